"""What every step of one extract run shares, and one source table's part of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Table, bindparam
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

from csc_complaints.db import sql
from csc_complaints.extract.rows import RowShaper
from csc_complaints.warehouse.schema import REFERENCE_TABLES


@dataclass
class TableExtract:
    """One table's counts in a run, filled in as it is staged (and kept in ``etl_extract_runs``)."""

    source_table: str
    read_since: datetime | None
    rows_read: int = 0
    rows_written: int = 0
    source_rows: int = 0
    high_water_mark: datetime | None = None


@dataclass(frozen=True)
class ExtractContext:
    """One run of the extract: its two connections (one warehouse transaction for everything
    it writes; on PostgreSQL, one source snapshot for everything it reads), the council whose
    data it is, the run id stamped on every row it writes, and the batch size."""

    source: Connection
    warehouse: Connection
    council_code: str
    run_id: str
    batch_size: int

    def table_load(self, source_table: str, since: datetime | None) -> TableLoad:
        """The part of this run that stages ``source_table`` (rows changed after ``since``)."""
        return TableLoad(
            run=self,
            shaper=RowShaper(source_table, self.council_code, self.run_id),
            progress=TableExtract(source_table, read_since=since),
        )


@dataclass(frozen=True)
class TableLoad:
    """One source table's part of a run: what to read, how to shape it, where its counts go."""

    run: ExtractContext
    shaper: RowShaper
    progress: TableExtract

    @property
    def source_table(self) -> str:
        return self.progress.source_table

    @property
    def since(self) -> datetime | None:
        """Read the rows changed after this (None: every row)."""
        return self.progress.read_since

    @property
    def staging(self) -> Table:
        return self.shaper.table

    @property
    def key(self) -> str:
        return self.shaper.key

    @property
    def is_reference(self) -> bool:
        """A small reference table, copied whole on every run rather than incrementally."""
        return self.source_table in REFERENCE_TABLES

    def source_query(self) -> tuple[TextClause, dict[str, Any]]:
        """``include/sql/extract/<table>.sql`` and its parameters (none for a reference table)."""
        query = sql("extract", self.source_table)
        if self.is_reference:
            return query, {}
        return query.bindparams(bindparam("since", type_=DateTime())), {"since": self.since}

    def read_source(self) -> Iterator[dict[str, Any]]:
        """The source rows the extract SQL selects, streamed a batch at a time."""
        query, params = self.source_query()
        result = self.run.source.execution_options(
            stream_results=True, yield_per=self.run.batch_size
        ).execute(query, params)
        for row in result.mappings():
            yield dict(row)
