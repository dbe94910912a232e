"""The source comparison: the rows the high-water mark cannot see, found and reloaded.

The daily extract reads the rows whose ``updated_at`` is later than its high-water mark. A row
changed with an older ``updated_at`` (a clock out of step, a database administrator's bulk fix,
a restored backup), a row removed from the source, or one inserted with an old ``updated_at``
is never read again. ``compare_source_with_staging`` (the ``complaints_source_comparison`` DAG,
weekly by default) finds them:

1. For every incrementally extracted table, the source adds up, per range of
   ``KEY_RANGE`` keys, the number of keys and rows and the fingerprints of its rows
   (``fingerprints``: a hash of each row as the extract SQL selects it, computed by the source
   database); the warehouse adds up the fingerprints staged with the rows. Only these sums,
   a handful of numbers per range, cross the wire, however many rows there are.
2. A range whose sums differ is reloaded through the normal extract path: every source row in
   it is upserted (written only where something changed; the row checks and the warehouse build
   follow through the staging asset), and the staged rows of the range that the source no
   longer has are removed.
3. What it found (tables, key ranges, counts; never a value) is returned for the alert.

It holds the council's extract lock, so it never runs alongside an extract. High-water marks
are left alone: the daily extract goes on from where it was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, bindparam, delete, text
from sqlalchemy.engine import Connection

from csc_complaints.extract.context import ExtractContext, TableExtract
from csc_complaints.extract.fingerprints import (
    HASH_COLUMN,
    HASH_PARTS,
    extract_sql,
    hash_part_sql,
    key_range_sql,
    register_functions,
    row_hash_sql,
)
from csc_complaints.extract.rows import RowShaper, batched
from csc_complaints.extract.run import (
    ExtractResult,
    count_source_rows,
    record_run,
    source_connection,
    stage_table,
)
from csc_complaints.locks import EXTRACT, council_lock
from csc_complaints.settings import Settings
from csc_complaints.warehouse.incremental import log_changed_rows, log_keys
from csc_complaints.warehouse.schema import REFERENCE_TABLES, STAGING, create_warehouse_schema

log = logging.getLogger(__package__)

# Keys per compared range: a differing range is read again whole, so it is kept small enough
# to reload in a moment, and large enough that a million rows make only a hundred ranges.
KEY_RANGE = 10_000

# (keys, rows, fingerprinted rows, sum of hash part 1, sum of hash part 2) of one key range
RangeSums = tuple[int, ...]


@dataclass
class TableComparison:
    """One table compared: what differed and what the reload did."""

    source_table: str
    source_rows: int = 0  # rows the source holds (deleted ones too)
    staged_rows: int = 0  # rows staging held before the reload
    ranges: list[tuple[int, int]] = field(default_factory=list)  # differing key ranges
    rows_reloaded: int = 0  # source rows read again
    rows_written: int = 0  # staged rows added or changed by the reload
    rows_removed: int = 0  # staged rows the source no longer has

    @property
    def repaired(self) -> int:
        return self.rows_written + self.rows_removed

    def summary(self) -> str:
        ranges = ", ".join(f"{low}-{high}" for low, high in self.ranges)
        return (
            f"{self.source_table}: {len(self.ranges)} key range(s) differed ({ranges}); "
            f"source {self.source_rows} rows, staging {self.staged_rows}; reloaded "
            f"{self.rows_reloaded}, of which {self.rows_written} added or changed; "
            f"{self.rows_removed} removed (no longer in the source)"
        )


@dataclass
class ComparisonResult:
    council_code: str
    run_id: str
    tables: dict[str, TableComparison] = field(default_factory=dict)

    @property
    def differing(self) -> list[TableComparison]:
        return [t for t in self.tables.values() if t.ranges]

    @property
    def repaired(self) -> int:
        """Staged rows added, changed or removed by the reload."""
        return sum(t.repaired for t in self.tables.values())

    def summary(self) -> str:
        if not self.differing:
            compared = ", ".join(f"{t.source_table} {t.source_rows}" for t in self.tables.values())
            return (
                f"source comparison {self.council_code}: staging matches the source "
                f"({compared} rows)"
            )
        lines = [
            f"source comparison {self.council_code}: {self.repaired} staged row(s) repaired "
            "that the incremental extract had not seen"
        ]
        lines += ["  " + t.summary() for t in self.differing]
        return "\n".join(lines)


def range_of(bucket: int) -> tuple[int, int]:
    """The keys ``key / KEY_RANGE`` (integer division, towards zero) maps to ``bucket``."""
    if bucket > 0:
        return bucket * KEY_RANGE, bucket * KEY_RANGE + KEY_RANGE - 1
    if bucket < 0:
        return bucket * KEY_RANGE - KEY_RANGE + 1, bucket * KEY_RANGE
    return -KEY_RANGE + 1, KEY_RANGE - 1


def compare_source_with_staging(
    source_engine: Engine, warehouse_engine: Engine, settings: Settings, run_id: str
) -> ComparisonResult:
    """Compare every incrementally extracted table with the source; reload what differs."""
    council = settings.council_code
    result = ComparisonResult(council_code=council, run_id=run_id)
    with council_lock(warehouse_engine, EXTRACT, council):
        create_warehouse_schema(warehouse_engine)
        started_at = datetime.now(UTC).replace(tzinfo=None)
        with source_connection(source_engine) as source, warehouse_engine.begin() as warehouse:
            register_functions(source)
            register_functions(warehouse)
            if source.dialect.name == "postgresql":
                # Room to group a million keys in memory rather than on disk (this transaction).
                source.exec_driver_sql("SET LOCAL work_mem TO '64MB'")
            run = ExtractContext(source, warehouse, council, run_id, settings.batch_size)
            reloaded = ExtractResult(run_id=run_id, council_code=council, started_at=started_at)
            finished_at: dict[str, datetime] = {}
            for source_table in STAGING:
                if source_table in REFERENCE_TABLES:
                    continue  # copied whole on every extract: nothing to miss
                compared = _compare_table(run, source_table)
                result.tables[source_table] = compared
                if compared.ranges:
                    reloaded.tables[source_table] = _reload(run, compared)
                    finished_at[source_table] = datetime.now(UTC).replace(tzinfo=None)
            if reloaded.tables:
                record_run(run, reloaded, count_source_rows(source), started_at, finished_at)
    log.info("%s", result.summary())
    return result


def _compare_table(run: ExtractContext, source_table: str) -> TableComparison:
    shaper = RowShaper(source_table, run.council_code, run.run_id)
    source_sums = _source_sums(run.source, shaper)
    staged_sums = _staged_sums(run.warehouse, shaper, run.council_code)
    buckets = sorted(b for b in source_sums.keys() | staged_sums.keys() if b is not None)
    differing = [b for b in buckets if source_sums.get(b) != staged_sums.get(b)]
    return TableComparison(
        source_table=source_table,
        source_rows=sum(s[1] for s in source_sums.values()),
        staged_rows=sum(s[1] for s in staged_sums.values()),
        ranges=[range_of(b) for b in differing],
    )


def _sums_sql(dialect: str, key: str, hash_expression: str, rows: str) -> str:
    """Per key range: keys, rows, fingerprinted rows and the two sums of the fingerprints."""
    parts = ", ".join(
        f"SUM({hash_part_sql(dialect, hash_expression, start, length)})"
        for start, length in HASH_PARTS
    )
    return (
        f"SELECT g.{key} / {KEY_RANGE} AS bucket, COUNT(*), SUM(g.copies), "
        f"COUNT({hash_expression}), {parts} FROM ({rows}) AS g GROUP BY g.{key} / {KEY_RANGE}"
    )


def _source_sums(source: Connection, shaper: RowShaper) -> dict[int | None, RangeSums]:
    """The source's sums, over its rows as the extract SQL selects them (every row: since is
    NULL). A key held more than once counts its copies and the largest of their fingerprints,
    as staging holds it."""
    dialect, key = source.dialect.name, shaper.key
    fingerprint = row_hash_sql(dialect, "q", shaper.columns)
    rows = (
        f"SELECT q.{key} AS {key}, COUNT(*) AS copies, MAX({fingerprint}) AS {HASH_COLUMN} "
        f"FROM (\n{extract_sql(shaper.source_table)}\n) AS q GROUP BY q.{key}"
    )
    query = text(_sums_sql(dialect, key, f"g.{HASH_COLUMN}", rows))
    return _by_bucket(source.execute(query, {"since": None}))


def _staged_sums(warehouse: Connection, shaper: RowShaper, council: str) -> dict[int, RangeSums]:
    table, key = shaper.table, shaper.key
    rows = (
        f"SELECT {key}, _source_copies AS copies, {HASH_COLUMN} FROM {table.name} "
        "WHERE council_code = :council_code"
    )
    query = text(_sums_sql(warehouse.dialect.name, key, f"g.{HASH_COLUMN}", rows))
    return _by_bucket(warehouse.execute(query, {"council_code": council}))


def _by_bucket(rows) -> dict[int | None, RangeSums]:
    return {
        None if bucket is None else int(bucket): tuple(int(v or 0) for v in sums)
        for bucket, *sums in rows
    }


def _reload(run: ExtractContext, compared: TableComparison) -> TableExtract:
    """Stage every source row of the differing ranges again (an upsert: only what changed is
    written) and remove the staged rows of those ranges that the source no longer has."""
    load = run.table_load(compared.source_table, since=None, key_ranges=compared.ranges)
    stage_table(load)
    # The rows written, for the incremental build (removed ones: _remove_vanished).
    log_changed_rows(
        run.warehouse, run.council_code, compared.source_table, run.run_id, whole_table=False
    )
    compared.rows_reloaded = load.progress.rows_read
    compared.rows_written = load.progress.rows_written
    compared.rows_removed = _remove_vanished(run, load.shaper, compared.ranges)
    log.info("source comparison %s", compared.summary())
    return load.progress


def _remove_vanished(run: ExtractContext, shaper: RowShaper, ranges) -> int:
    table, key = shaper.table, shaper.key
    in_source = text(
        f"SELECT q.{key} FROM (\n{extract_sql(shaper.source_table)}\n) AS q "
        f"WHERE {key_range_sql(f'q.{key}', ranges)}"
    )
    present = {row[0] for row in run.source.execute(in_source, {"since": None})}
    present = {shaper.read_key(value) for value in present if value is not None}
    staged = text(
        f"SELECT {key} FROM {table.name} WHERE council_code = :council_code "
        f"AND ({key_range_sql(key, ranges)})"
    )
    gone = sorted(
        value
        for (value,) in run.warehouse.execute(staged, {"council_code": run.council_code})
        if value not in present
    )
    statement = delete(table).where(
        table.c.council_code == run.council_code,
        table.c[key].in_(bindparam("keys", expanding=True)),
    )
    for chunk in batched(gone, 1000):
        run.warehouse.execute(statement, {"keys": chunk})
    log_keys(run.warehouse, run.council_code, ((shaper.source_table, key) for key in gone))
    return len(gone)
