"""The incremental extract: source rows changed since the high-water mark, into staging.

Each run reads every source row whose ``updated_at`` is later than the table's high-water mark
less a small overlap (settings ``extract_overlap_minutes``), so a missed day, a retry or a manual
run never loses a row, and upserts it into ``stg_<table>`` by key. A row is only written when
something in it changed, so re-reading the overlap (or re-running the same extract) writes
nothing. The two reference tables are small and copied whole.

Everything the run writes to the warehouse, the high-water marks included, is one transaction:
a failure half-way leaves the warehouse, and so the next run's starting point, as it was.

Only the columns the extract SQL selects (``include/sql/extract/<table>.sql``) are copied: no
complainant, name, contact detail or free-text summary ever leaves the source.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from csc_complaints.db import sql
from csc_complaints.settings import Settings
from csc_complaints.warehouse.schema import (
    REFERENCE_TABLES,
    STAGING,
    create_warehouse_schema,
    etl_extract_runs,
    etl_watermarks,
)

log = logging.getLogger(__name__)

BOOKKEEPING = {"council_code", "_run_id", "_source_copies"}
TIMESTAMPS = ("updated_at", "deleted_at")


class ExtractError(RuntimeError):
    """The source gave something the extract cannot stage; the message names table and key."""


@dataclass
class TableExtract:
    source_table: str
    read_since: datetime | None
    rows_read: int = 0
    rows_written: int = 0
    source_rows: int = 0
    high_water_mark: datetime | None = None


@dataclass
class ExtractResult:
    run_id: str
    council_code: str
    started_at: datetime
    tables: dict[str, TableExtract] = field(default_factory=dict)

    @property
    def rows_written(self) -> int:
        return sum(t.rows_written for t in self.tables.values())

    def summary(self) -> str:
        return ", ".join(
            f"{name}: read {t.rows_read}, wrote {t.rows_written}" for name, t in self.tables.items()
        )


def _as_iso_date(value: Any) -> str | None:
    """A business date as staged: ISO text. Text the source holds is kept as given (DQ02
    reports it if it is not a date) rather than failing the whole extract."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _as_timestamp(value: Any, table: str, key: Any, column: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        # updated_at is the system's own change stamp, not business data: without it the row
        # cannot be tracked at all, so this stops the extract with the record named.
        raise ExtractError(
            f"{table} key {key}: {column} {value!r} is not a timestamp; "
            "the incremental extract needs updated_at/deleted_at to be timestamps"
        ) from exc


class _RowShaper:
    """Turns source rows into staging rows for one table (types normalised per column)."""

    def __init__(self, source_table: str, council_code: str, run_id: str):
        self.table, self.key = STAGING[source_table]
        self.source_table = source_table
        self.council_code = council_code
        self.run_id = run_id
        self.columns = [c.name for c in self.table.columns if c.name not in BOOKKEEPING]
        self.kind = {}
        for column in self.table.columns:
            if column.name in TIMESTAMPS:
                self.kind[column.name] = "timestamp"
            elif column.name.endswith("_date"):
                self.kind[column.name] = "date"
            elif isinstance(column.type, Boolean):
                self.kind[column.name] = "bool"
            elif isinstance(column.type, Integer):
                self.kind[column.name] = "int"

    def shape(self, row: dict[str, Any], copies: int) -> dict[str, Any]:
        missing = [c for c in self.columns if c not in row]
        if missing:
            raise ExtractError(
                f"include/sql/extract/{self.source_table}.sql does not select {', '.join(missing)}"
            )
        key = row[self.key]
        out: dict[str, Any] = {
            "council_code": self.council_code,
            "_run_id": self.run_id,
            "_source_copies": copies,
        }
        for name in self.columns:
            value = row[name]
            kind = self.kind.get(name)
            if kind == "date":
                value = _as_iso_date(value)
            elif kind == "timestamp":
                value = _as_timestamp(value, self.source_table, key, name)
            elif kind == "bool" and value is not None:
                value = bool(value)
            elif kind == "int" and value is not None and not isinstance(value, int):
                try:
                    value = int(value)
                except (TypeError, ValueError) as exc:
                    raise ExtractError(
                        f"{self.source_table} key {key}: {name} {value!r} is not a whole number"
                    ) from exc
            out[name] = value
        return out


def _grouped_by_key(rows: Iterable[dict[str, Any]], key: str, table: str) -> Iterator[tuple]:
    """(last row, copies) per key, from rows ordered by key: a key the source holds more than
    once arrives as adjacent rows and is staged once with its number of copies (DQ01)."""
    previous = None
    for value, group in itertools.groupby(rows, key=lambda r: r[key]):
        if value is None:
            raise ExtractError(f"{table}: a row has no {key}; every source row needs its key")
        if previous is not None and isinstance(value, int) and value < previous:
            raise ExtractError(
                f"include/sql/extract/{table}.sql must return rows ORDER BY {key} "
                f"({key} {value} came after {previous})"
            )
        previous = value
        members = list(group)
        yield members[-1], len(members)


def _upsert_statement(conn: Connection, source_table: str):
    """INSERT ... ON CONFLICT DO UPDATE, but only where a column really changed."""
    table, key = STAGING[source_table]
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    data_columns = [c.name for c in table.columns if c.name not in {"council_code", key, "_run_id"}]
    changed = or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in data_columns))
    return stmt.on_conflict_do_update(
        index_elements=["council_code", key],
        set_={c: stmt.excluded[c] for c in [*data_columns, "_run_id"]},
        where=changed,
    )


def _read_source(
    source: Connection, source_table: str, since: datetime | None, batch_size: int
) -> Iterator[dict[str, Any]]:
    query = sql("extract", source_table)
    if source_table not in REFERENCE_TABLES:
        query = query.bindparams(bindparam("since", type_=DateTime()))
    params = {} if source_table in REFERENCE_TABLES else {"since": since}
    result = source.execution_options(stream_results=True, yield_per=batch_size).execute(
        query, params
    )
    for row in result.mappings():
        yield dict(row)


def _load_table(
    source: Connection,
    warehouse: Connection,
    source_table: str,
    since: datetime | None,
    shaper: _RowShaper,
    batch_size: int,
    progress: TableExtract,
) -> None:
    table, key = STAGING[source_table]
    upsert = _upsert_statement(warehouse, source_table)
    rows = _read_source(source, source_table, since, batch_size)
    if source_table in REFERENCE_TABLES:
        # Small, and keyed by text whose sort order differs between databases: count in memory.
        all_rows = list(rows)
        copies = Counter(r[key] for r in all_rows)
        last = {r[key]: r for r in all_rows}
        grouped: Iterable[tuple] = ((last[k], copies[k]) for k in last)
    else:
        grouped = _grouped_by_key(rows, key, source_table)

    seen_keys = []
    for batch in _batched(grouped, batch_size):
        staged = [shaper.shape(row, copies) for row, copies in batch]
        progress.rows_read += sum(copies for _, copies in batch)
        for row in staged:
            stamp = row.get("updated_at")
            if stamp is not None and (
                progress.high_water_mark is None or stamp > progress.high_water_mark
            ):
                progress.high_water_mark = stamp
        warehouse.execute(upsert, staged)
        if source_table in REFERENCE_TABLES:
            seen_keys.extend(r[key] for r in staged)

    if source_table in REFERENCE_TABLES:
        # A reference row removed from the source leaves staging too (copied whole).
        gone = delete(table).where(table.c.council_code == shaper.council_code)
        if seen_keys:
            gone = gone.where(table.c[key].not_in(seen_keys))
        warehouse.execute(gone)

    progress.rows_written = warehouse.execute(
        select(func.count())
        .select_from(table)
        .where(and_(table.c.council_code == shaper.council_code, table.c._run_id == shaper.run_id))
    ).scalar_one()


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to ``size`` items (``itertools.batched`` arrives only in Python 3.12)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _watermarks(warehouse: Connection, council_code: str) -> dict[str, datetime]:
    rows = warehouse.execute(
        select(etl_watermarks.c.source_table, etl_watermarks.c.high_water_mark).where(
            etl_watermarks.c.council_code == council_code
        )
    )
    return {name: mark for name, mark in rows}


def _save_watermark(
    warehouse: Connection, council_code: str, source_table: str, mark: datetime, run_id: str
) -> None:
    insert = postgresql.insert if warehouse.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(etl_watermarks).values(
        council_code=council_code, source_table=source_table, high_water_mark=mark, run_id=run_id
    )
    warehouse.execute(
        stmt.on_conflict_do_update(
            index_elements=["council_code", "source_table"],
            set_={"high_water_mark": mark, "run_id": run_id},
            where=etl_watermarks.c.high_water_mark < mark,
        )
    )


def _source_connection(source_engine: Engine) -> Connection:
    """A read-only connection; on PostgreSQL one snapshot for every table and the counts."""
    conn = source_engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return conn


def run_extract(
    source_engine: Engine,
    warehouse_engine: Engine,
    settings: Settings,
    run_id: str,
    *,
    now: datetime | None = None,
) -> ExtractResult:
    """Copy what changed in the source since the last successful extract into staging."""
    create_warehouse_schema(warehouse_engine)
    council = settings.council_code
    started_at = (now or datetime.now(UTC)).replace(tzinfo=None)
    result = ExtractResult(run_id=run_id, council_code=council, started_at=started_at)
    overlap = timedelta(minutes=settings.extract_overlap_minutes)

    with _source_connection(source_engine) as source, warehouse_engine.begin() as warehouse:
        marks = _watermarks(warehouse, council)
        source_rows = {
            name: count for name, count in source.execute(sql("extract", "source_counts"))
        }
        for source_table in STAGING:
            mark = marks.get(source_table)
            since = None if source_table in REFERENCE_TABLES or mark is None else mark - overlap
            progress = TableExtract(source_table, read_since=since)
            progress.source_rows = int(source_rows.get(source_table, 0))
            shaper = _RowShaper(source_table, council, run_id)
            _load_table(
                source, warehouse, source_table, since, shaper, settings.batch_size, progress
            )
            if progress.high_water_mark is not None and source_table not in REFERENCE_TABLES:
                _save_watermark(warehouse, council, source_table, progress.high_water_mark, run_id)
            warehouse.execute(
                delete(etl_extract_runs).where(
                    and_(
                        etl_extract_runs.c.council_code == council,
                        etl_extract_runs.c.run_id == run_id,
                        etl_extract_runs.c.source_table == source_table,
                    )
                )
            )
            warehouse.execute(
                etl_extract_runs.insert().values(
                    council_code=council,
                    run_id=run_id,
                    source_table=source_table,
                    read_since=since,
                    rows_read=progress.rows_read,
                    rows_written=progress.rows_written,
                    source_rows=progress.source_rows,
                    started_at=started_at,
                    finished_at=datetime.now(UTC).replace(tzinfo=None),
                )
            )
            result.tables[source_table] = progress
            log.info(
                "extract %s: since %s, read %d, wrote %d",
                source_table,
                since,
                progress.rows_read,
                progress.rows_written,
            )
    return result
