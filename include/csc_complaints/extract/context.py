"""What every step of one extract run shares, and one source table's part of it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Table, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import TextClause

from csc_complaints.db import sql
from csc_complaints.extract.fingerprints import (
    HASH_COLUMN,
    extract_sql,
    key_range_sql,
    row_hash_sql,
)
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

    def table_load(
        self,
        source_table: str,
        since: datetime | None,
        key_ranges: list[tuple[int, int]] | None = None,
    ) -> TableLoad:
        """The part of this run that stages ``source_table``: rows changed after ``since``, or
        (the source comparison's reload) every row whose key is in one of ``key_ranges``."""
        return TableLoad(
            run=self,
            shaper=RowShaper(source_table, self.council_code, self.run_id),
            progress=TableExtract(source_table, read_since=since),
            key_ranges=key_ranges,
        )


@dataclass(frozen=True)
class TableLoad:
    """One source table's part of a run: what to read, how to shape it, where its counts go."""

    run: ExtractContext
    shaper: RowShaper
    progress: TableExtract
    key_ranges: list[tuple[int, int]] | None = None  # (low, high) inclusive; None: every key

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
        """The rows to stage and their parameters: ``include/sql/extract/<table>.sql`` as is for
        a reference table; otherwise wrapped as a subquery that adds each row's fingerprint
        (``_source_hash``, computed by the source) and, for a reload, keeps the key ranges."""
        if self.is_reference:
            return sql("extract", self.source_table), {}
        self.check_selected_columns()
        dialect = self.run.source.dialect.name
        fingerprint = row_hash_sql(dialect, "q", self.shaper.columns)
        where = ""
        if self.key_ranges is not None:
            where = f" WHERE {key_range_sql(f'q.{self.key}', self.key_ranges) or 'FALSE'}"
        query = text(
            f"SELECT q.*, {fingerprint} AS {HASH_COLUMN}\n"
            f"FROM (\n{extract_sql(self.source_table)}\n) AS q{where}\n"
            f"ORDER BY q.{self.key}"
        )
        since = None if self.key_ranges is not None else self.since
        return query.bindparams(bindparam("since", type_=DateTime())), {"since": since}

    def check_selected_columns(self) -> None:
        """Stop the run, naming the extract SQL file, when it leaves out a staging column (asked
        of the source before anything is read)."""
        probe = text(f"SELECT * FROM (\n{extract_sql(self.source_table)}\n) AS q WHERE 1 = 0")
        probe = probe.bindparams(bindparam("since", type_=DateTime()))
        selected = self.run.source.execute(probe, {"since": None}).keys()
        self.shaper.check_selected(set(selected))

    def read_source(self) -> Iterator[dict[str, Any]]:
        """The source rows the extract SQL selects, streamed a batch at a time."""
        query, params = self.source_query()
        result = self.run.source.execution_options(
            stream_results=True, yield_per=self.run.batch_size
        ).execute(query, params)
        for row in result.mappings():
            yield dict(row)
