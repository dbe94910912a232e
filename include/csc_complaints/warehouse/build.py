"""The warehouse build: staging -> dimensions and facts -> the six ``stats_*`` tables.

``build_warehouse`` runs in three steps, all SQL in ``include/sql/warehouse/`` (the database does
the counting; Python only orders the steps and fills the date dimension):

1. ``dim_date`` is extended to cover every financial year in which a staged date falls, from the
   ``holidays`` package (csc_complaints.working_days). Existing days are never changed.
2. Dimensions and facts of the council are rebuilt in one transaction from staging, leaving out
   deleted rows, rows of uncounted complaints, rejected rows (``dq_rejects``) and rows with a date
   that is not a calendar date (DQ02 reports those). Working-day durations are computed here,
   once per stage row.
3. Each financial year of the council is rebuilt in its own transaction: its rows are deleted
   from the six stats tables and inserted again from the facts. A reader (the report, a BI tool)
   sees the old year or the new year, never a half-built one. The new rows are fingerprinted; when
   the fingerprint equals the one recorded in ``etl_year_builds``, the transaction is rolled back,
   so a re-run with the same data commits nothing and reports no year as changed. A year that no
   longer has any counted date is emptied.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select, union
from sqlalchemy.engine import Connection

from csc_complaints.db import sql
from csc_complaints.settings import Settings
from csc_complaints.warehouse.schema import (
    DIMENSIONS_AND_FACTS,
    STAGING,
    STATS_TABLES,
    create_warehouse_schema,
    dim_date,
    dq_rejects,
    etl_year_builds,
)
from csc_complaints.working_days import (
    date_dimension_rows,
    financial_year,
    financial_year_bounds,
    parse_iso_date,
)

log = logging.getLogger(__name__)

SQL_STEP = "warehouse"
# The timeliness targets in working days, bound into stats_timeliness.sql by these names.
TARGET_SETTINGS = (
    "stage1_target_wd",
    "stage1_extended_wd",
    "stage2_target_wd",
    "stage2_extended_wd",
    "stage3_panel_wd",
    "stage3_panel_report_wd",
    "stage3_director_wd",
)


@dataclass
class BuildResult:
    """What one warehouse build did, for the quality step, the alerts and the run's log."""

    run_id: str
    council_code: str
    financial_years: tuple[str, ...] = ()  # every year with counted data, oldest first
    changed_years: tuple[str, ...] = ()  # stats replaced with different figures (incl. new years)
    removed_years: tuple[str, ...] = ()  # no counted data any more: stats emptied
    unchanged_years: tuple[str, ...] = ()  # same figures as the last build: nothing written
    fact_rows: dict[str, int] = field(default_factory=dict)
    dates_added: int = 0

    def summary(self) -> str:
        facts = ", ".join(f"{name} {count}" for name, count in self.fact_rows.items())
        return (
            f"council {self.council_code}: years {', '.join(self.financial_years) or 'none'}; "
            f"changed {', '.join(self.changed_years) or 'none'}; "
            f"removed {', '.join(self.removed_years) or 'none'}; facts: {facts}"
        )


def build_warehouse(warehouse_engine: Engine, settings: Settings, run_id: str) -> BuildResult:
    """Build dimensions, facts and stats for every financial year of ``settings.council_code``."""
    council = settings.council_code
    create_warehouse_schema(warehouse_engine)
    result = BuildResult(run_id=run_id, council_code=council)
    result.dates_added = refresh_date_dimension(warehouse_engine, council)
    result.fact_rows = rebuild_facts(warehouse_engine, council)

    with warehouse_engine.connect() as conn:
        fact_years = {row[0] for row in conn.execute(sql(SQL_STEP, "fact_years"), _c(council))}
        built_years = _years_in_stats(conn, council)
    targets = {name: int(getattr(settings, name)) for name in TARGET_SETTINGS}

    changed, removed, unchanged = [], [], []
    for year in sorted(fact_years | built_years):
        if year in fact_years:
            if build_year(warehouse_engine, council, year, targets, run_id):
                changed.append(year)
            else:
                unchanged.append(year)
        else:
            empty_year(warehouse_engine, council, year)
            removed.append(year)
    result.financial_years = tuple(sorted(fact_years))
    result.changed_years = tuple(changed)
    result.removed_years = tuple(removed)
    result.unchanged_years = tuple(unchanged)
    log.info("warehouse build %s: %s", run_id, result.summary())
    return result


def _c(council: str) -> dict[str, str]:
    return {"council_code": council}


def refresh_date_dimension(engine: Engine, council: str) -> int:
    """Add to ``dim_date`` every day of each financial year in which a staged date falls.

    Whole financial years (not just the dates seen) so the dimension is a usable calendar; years
    already complete are skipped, and a day already present is never rewritten. Returns the
    number of days added.
    """
    with engine.connect() as conn:
        texts = [row[0] for row in conn.execute(sql(SQL_STEP, "staged_dates"), _c(council))]
        present = {
            row.financial_year: row.days
            for row in conn.execute(sql(SQL_STEP, "dim_date_days_per_year"))
        }
    years = {financial_year(day) for day in map(parse_iso_date, texts) if day is not None}
    added = 0
    for year in sorted(years):
        first, last = financial_year_bounds(year)
        if present.get(year, 0) == (last - first).days + 1:
            continue
        rows = date_dimension_rows(first, last)
        with engine.begin() as conn:
            before = _count_days(conn, year)
            conn.execute(sql(SQL_STEP, "insert_dim_date"), rows)
            added += _count_days(conn, year) - before
    return added


def _count_days(conn: Connection, year: str) -> int:
    query = select(func.count()).select_from(dim_date).where(dim_date.c.financial_year == year)
    return int(conn.execute(query).scalar_one())


def rebuild_facts(engine: Engine, council: str) -> dict[str, int]:
    """Replace the council's dimension and fact rows from staging, in one transaction."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        _tune_for_bulk(conn)
        # The planner needs to know how big staging is (just loaded, autovacuum has not looked
        # yet): without statistics it joins a million stage rows by nested loops.
        _analyze(conn, [*(table for table, _ in STAGING.values()), dim_date, dq_rejects])
        # Facts refer to earlier facts (stages keep only counted complaints): delete in reverse.
        for table in reversed(DIMENSIONS_AND_FACTS):
            conn.execute(delete(table).where(table.c.council_code == council))
        for table in DIMENSIONS_AND_FACTS:
            conn.execute(sql(SQL_STEP, table.name), _c(council))
            _analyze(conn, [table])  # later facts and the stats join it
            counts[table.name] = int(
                conn.execute(
                    select(func.count()).select_from(table).where(table.c.council_code == council)
                ).scalar_one()
            )
    return counts


def _tune_for_bulk(conn: Connection) -> None:
    """On PostgreSQL, memory for this transaction's hash joins and sorts over a million rows."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL work_mem TO '64MB'")


def _analyze(conn: Connection, tables) -> None:
    """Refresh the PostgreSQL planner's statistics of ``tables`` (inside the transaction)."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table.name}")


def _years_in_stats(conn: Connection, council: str) -> set[str]:
    """Years with stats rows or a recorded build (a year that vanished must be emptied)."""
    queries = [
        select(table.c.financial_year).where(table.c.council_code == council)
        for table in (*STATS_TABLES, etl_year_builds)
    ]
    return {row[0] for row in conn.execute(union(*queries))}


def _delete_year(conn: Connection, council: str, year: str) -> None:
    for table in STATS_TABLES:
        conn.execute(
            delete(table).where(table.c.council_code == council, table.c.financial_year == year)
        )


def year_fingerprint(conn: Connection, council: str, year: str) -> tuple[str, int]:
    """sha256 of the year's rows in the six stats tables (sorted), and how many rows there are."""
    digest = hashlib.sha256()
    rows = 0
    for table in STATS_TABLES:
        columns = [c for c in table.columns if c.name not in ("council_code", "financial_year")]
        query = (
            select(*columns)
            .where(table.c.council_code == council, table.c.financial_year == year)
            .order_by(*columns)
        )
        for row in conn.execute(query):
            digest.update(json.dumps([table.name, *row], default=str).encode())
            digest.update(b"\n")
            rows += 1
    return digest.hexdigest(), rows


def _recorded_fingerprint(conn: Connection, council: str, year: str) -> str | None:
    query = select(etl_year_builds.c.fingerprint).where(
        etl_year_builds.c.council_code == council, etl_year_builds.c.financial_year == year
    )
    return conn.execute(query).scalar_one_or_none()


def build_year(
    engine: Engine, council: str, year: str, targets: dict[str, int], run_id: str
) -> bool:
    """Replace one year's stats in one transaction; True when its figures changed.

    When the new rows fingerprint the same as the recorded build, the transaction is rolled back:
    nothing is written, not even the build time.
    """
    params = {"council_code": council, "financial_year": year, **targets}
    with engine.connect() as conn, conn.begin() as transaction:
        previous = _recorded_fingerprint(conn, council, year)
        _delete_year(conn, council, year)
        for table in STATS_TABLES:
            conn.execute(sql(SQL_STEP, table.name), params)
        fingerprint, rows = year_fingerprint(conn, council, year)
        if fingerprint == previous:
            transaction.rollback()
            return False
        conn.execute(
            delete(etl_year_builds).where(
                etl_year_builds.c.council_code == council,
                etl_year_builds.c.financial_year == year,
            )
        )
        conn.execute(
            etl_year_builds.insert().values(
                council_code=council,
                financial_year=year,
                fingerprint=fingerprint,
                stats_rows=rows,
                built_at=datetime.now(UTC).replace(tzinfo=None),
                run_id=run_id,
            )
        )
        transaction.commit()
    log.info("stats %s %s replaced (%d rows) by %s", council, year, rows, run_id)
    return True


def empty_year(engine: Engine, council: str, year: str) -> None:
    """A year with no counted data any more: delete its stats and its build record, atomically."""
    with engine.begin() as conn:
        _delete_year(conn, council, year)
        conn.execute(
            delete(etl_year_builds).where(
                etl_year_builds.c.council_code == council,
                etl_year_builds.c.financial_year == year,
            )
        )
    log.info("stats %s %s emptied: no counted data in that year any more", council, year)
