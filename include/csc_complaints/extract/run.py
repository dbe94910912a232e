"""One run of the extract: every staging table in turn, the high-water marks, the source counts
(RC01) and the run's record in ``etl_extract_runs``, all in one warehouse transaction, holding
the council's extract lock (csc_complaints.locks) so a second run at the same time waits."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, delete, select
from sqlalchemy.engine import Connection

from csc_complaints.db import sql
from csc_complaints.extract.context import ExtractContext, TableExtract, TableLoad
from csc_complaints.extract.copy_path import load_by_copy
from csc_complaints.extract.fingerprints import register_functions
from csc_complaints.extract.row_by_row import load_row_by_row
from csc_complaints.extract.rows import dialect_insert
from csc_complaints.locks import EXTRACT, council_lock
from csc_complaints.settings import Settings
from csc_complaints.warehouse.incremental import log_changed_rows
from csc_complaints.warehouse.schema import (
    REFERENCE_TABLES,
    STAGING,
    create_warehouse_schema,
    etl_extract_runs,
    etl_watermarks,
)

log = logging.getLogger(__package__)


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


def run_extract(
    source_engine: Engine,
    warehouse_engine: Engine,
    settings: Settings,
    run_id: str,
    *,
    now: datetime | None = None,
) -> ExtractResult:
    """Copy what changed in the source since the last successful extract into staging."""
    with council_lock(warehouse_engine, EXTRACT, settings.council_code):
        return _run_extract(source_engine, warehouse_engine, settings, run_id, now)


def _run_extract(
    source_engine: Engine,
    warehouse_engine: Engine,
    settings: Settings,
    run_id: str,
    now: datetime | None,
) -> ExtractResult:
    create_warehouse_schema(warehouse_engine)
    council = settings.council_code
    started_at = (now or datetime.now(UTC)).replace(tzinfo=None)
    result = ExtractResult(run_id=run_id, council_code=council, started_at=started_at)
    overlap = timedelta(minutes=settings.extract_overlap_minutes)

    with (
        source_connection(source_engine) as source,
        warehouse_engine.begin() as warehouse,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="source-counts") as pool,
    ):
        run = ExtractContext(source, warehouse, council, run_id, settings.batch_size)
        register_functions(source)
        marks = _watermarks(run)
        # RC01's counts scan the whole source (proportional to its size, not to what changed):
        # on PostgreSQL they run on a second connection, in the same snapshot, while the
        # tables are copied.
        counting = _start_source_counts(source_engine, source, pool)
        finished_at: dict[str, datetime] = {}
        for source_table in STAGING:
            mark = marks.get(source_table)
            since = None if source_table in REFERENCE_TABLES or mark is None else mark - overlap
            load = run.table_load(source_table, since)
            stage_table(load)
            progress = load.progress
            if progress.rows_written:  # what the next (incremental) build must look at
                log_changed_rows(
                    warehouse, council, source_table, run_id, whole_table=since is None
                )
            if progress.high_water_mark is not None and not load.is_reference:
                _save_watermark(run, source_table, progress.high_water_mark)
            finished_at[source_table] = datetime.now(UTC).replace(tzinfo=None)
            result.tables[source_table] = progress
            log.info(
                "extract %s: since %s, read %d, wrote %d",
                source_table,
                since,
                progress.rows_read,
                progress.rows_written,
            )
        record_run(run, result, counting.result(), started_at, finished_at)
    return result


def stage_table(load: TableLoad) -> None:
    """Stage one table's rows: by COPY on a PostgreSQL warehouse, else row by row."""
    if load.run.warehouse.dialect.name == "postgresql" and not load.is_reference:
        load_by_copy(load)
    else:
        load_row_by_row(load)


def record_run(
    run: ExtractContext,
    result: ExtractResult,
    source_rows: dict[str, int],
    started_at: datetime,
    finished_at: dict[str, datetime],
) -> None:
    """Keep each table's counts of the run in ``etl_extract_runs``, with the source's own
    count of its rows (RC01's left side)."""
    warehouse, council, run_id = run.warehouse, run.council_code, run.run_id
    for source_table, progress in result.tables.items():
        progress.source_rows = int(source_rows.get(source_table, 0))
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
                read_since=progress.read_since,
                rows_read=progress.rows_read,
                rows_written=progress.rows_written,
                source_rows=progress.source_rows,
                started_at=started_at,
                finished_at=finished_at[source_table],
            )
        )


def _watermarks(run: ExtractContext) -> dict[str, datetime]:
    """Each incrementally read table's high-water mark: the latest ``updated_at`` staged."""
    rows = run.warehouse.execute(
        select(etl_watermarks.c.source_table, etl_watermarks.c.high_water_mark).where(
            etl_watermarks.c.council_code == run.council_code
        )
    )
    return {name: mark for name, mark in rows}


def _save_watermark(run: ExtractContext, source_table: str, mark: datetime) -> None:
    """Move a table's high-water mark forward to ``mark`` (never back)."""
    stmt = dialect_insert(run.warehouse, etl_watermarks).values(
        council_code=run.council_code,
        source_table=source_table,
        high_water_mark=mark,
        run_id=run.run_id,
    )
    run.warehouse.execute(
        stmt.on_conflict_do_update(
            index_elements=["council_code", "source_table"],
            set_={"high_water_mark": mark, "run_id": run.run_id},
            where=etl_watermarks.c.high_water_mark < mark,
        )
    )


def source_connection(source_engine: Engine) -> Connection:
    """A read-only connection; on PostgreSQL one snapshot for every table and the counts."""
    conn = source_engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return conn


def count_source_rows(source: Connection) -> dict[str, int]:
    return {name: int(count) for name, count in source.execute(sql("extract", "source_counts"))}


def _start_source_counts(
    source_engine: Engine, source: Connection, pool: ThreadPoolExecutor
) -> Future:
    """The source's row counts (RC01), as a future.

    On PostgreSQL a second connection imports the extract's snapshot (``pg_export_snapshot``),
    so the counts describe exactly the rows the extract reads, and runs them concurrently.
    Elsewhere they are counted here, on the extract's own connection.
    """
    if source.dialect.name != "postgresql":
        done: Future = Future()
        done.set_result(count_source_rows(source))
        return done
    snapshot = source.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()

    def count_in_snapshot() -> dict[str, int]:
        with source_connection(source_engine) as other:
            # Must be the transaction's first statement; the snapshot id is the server's own.
            other.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            counts = count_source_rows(other)
            other.rollback()
            return counts

    return pool.submit(count_in_snapshot)
