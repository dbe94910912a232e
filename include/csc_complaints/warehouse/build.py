"""The warehouse build: staging -> dimensions and facts -> the ``stats_*`` tables.

Why one file of over 600 lines: the build's three steps, in their full and incremental forms and
with the open cases of the quarters, share the temporary tables, the targets and the year
fingerprint, and are read in order as one build (what an incremental build rebuilds is
csc_complaints.warehouse.incremental).

``build_warehouse`` runs in three steps, all SQL in ``include/sql/warehouse/`` (the database does
the counting; Python only orders the steps and fills the date dimension):

1. ``dim_date`` is extended to cover every financial year in which a staged date falls (found
   by the dates' year-months), from the ``holidays`` package (csc_complaints.working_days).
   Existing days are never changed.
2. Dimensions and facts of the council are rebuilt in one transaction from staging, leaving out
   deleted rows, rows of uncounted complaints, rejected rows (``dq_rejects``) and rows with a date
   that is not a calendar date (DQ02 reports those). Working-day durations are computed here,
   once per stage row. A full build rebuilds every fact of the council; an incremental one
   (``incremental=True``, the warehouse DAG's) only the facts of the rows logged as changed since
   the last build and of the rows that depend on them, and owes the years those fact rows'
   dates fall in, before and after (csc_complaints.warehouse.incremental). The same transaction
   records the owed years (``etl_build_owed``; all of them for a full build).
3. The stats tables (every table of ``STATS_TABLES``) are computed at once, one grouped pass over
   the facts per table, into temporary ``new_stats_*`` tables (a decade of years costs one pass,
   not ten): of the owed years only (every year when all are owed), so a day that owes the
   current year groups that year's fact rows alone. Each owed year's new rows are
   fingerprinted; a year whose fingerprint equals the one recorded in ``etl_year_builds`` is left
   alone, so a re-run with the same data writes nothing and reports no year as changed. Any
   other owed year is replaced in its own transaction (its rows deleted from the stats tables
   and copied from the new ones, the year no longer owed), so a reader (the report, a BI tool)
   sees the old year or the new year, never a half-built one. A year that no longer has any
   counted date is emptied. A year that is not owed is neither counted nor touched; with
   nothing owed the stats are not computed at all.

``fact_open_stages`` (the stage rows open at each counted quarter's end) is built with the
facts, in their transaction, with the targets and the day of the latest extract
(``open_cases_as_of``): whole in a full build or when a quarter has ended since the last build,
otherwise only the rows of the stage rows rebuilt. The years whose open-case counts
(``stats_quarterly_open``'s rows) differ before and after are owed too, since a case open for
years counts in quarters of years its own dates do not fall in.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    case,
    delete,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable, DropTable

from csc_complaints import measures
from csc_complaints.dates import FinancialQuarter, FinancialYear, parse_iso_date
from csc_complaints.db import sql
from csc_complaints.locks import BUILD, holding_council_lock
from csc_complaints.settings import Settings
from csc_complaints.warehouse import incremental as inc
from csc_complaints.warehouse.schema import (
    DIMENSIONS_AND_FACTS,
    FACTS,
    STAGING,
    STATS_TABLES,
    create_warehouse_schema,
    dim_date,
    dq_rejects,
    etl_year_builds,
    fact_open_stages,
)
from csc_complaints.working_days import date_dimension_rows

log = logging.getLogger(__name__)

SQL_STEP = "warehouse"


def timeliness_targets(settings: Settings) -> dict[str, int]:
    """The working days of each target setting the registry's timeliness measures name."""
    targets = {}
    for measure in measures.TIMELINESS_MEASURES:
        value = getattr(settings, measure.target_setting, None)
        if value is None:
            raise measures.MeasureRegistryError(
                f"timeliness measure {measure.name}: its target {measure.target_setting!r} is "
                "not a setting (add it to csc_complaints.settings and include/settings.toml)"
            )
        targets[measure.target_setting] = int(value)
    return targets


@dataclass
class BuildResult:
    """What one warehouse build did, for the quality step, the alerts and the run's log."""

    run_id: str
    council_code: str
    financial_years: tuple[str, ...] = ()  # every year with counted data, oldest first
    changed_years: tuple[str, ...] = ()  # stats replaced with different figures (incl. new years)
    removed_years: tuple[str, ...] = ()  # no counted data any more: stats emptied
    unchanged_years: tuple[str, ...] = ()  # same figures as the last build: nothing written
    fact_rows: dict[str, int] = field(default_factory=dict)  # rows inserted into each table
    dates_added: int = 0
    # "full"; "incremental": only the changed rows' facts and years; "unchanged": nothing
    # logged since the last build, the same quarter ends to count open cases at and the same
    # teams and issue categories, so nothing rewritten
    mode: str = "full"
    owed_years: tuple[str, ...] = ()  # the years whose stats this build recounted ('*': all)

    def summary(self) -> str:
        facts = ", ".join(f"{name} {count}" for name, count in self.fact_rows.items())
        return (
            f"council {self.council_code} ({self.mode} build, years owed: "
            f"{', '.join(self.owed_years) or 'none'}): "
            f"years {', '.join(self.financial_years) or 'none'}; "
            f"changed {', '.join(self.changed_years) or 'none'}; "
            f"removed {', '.join(self.removed_years) or 'none'}; facts: {facts}"
        )


@holding_council_lock(BUILD)  # a second build of the council waits (csc_complaints.locks)
def build_warehouse(
    warehouse_engine: Engine, settings: Settings, run_id: str, *, incremental: bool = False
) -> BuildResult:
    """Build dimensions, facts and stats of ``settings.council_code``: every fact and year, or
    (``incremental``) the facts of the rows changed since the last build and the years they
    touch. An incremental build falls back to a full one when the change cannot be described
    row by row (csc_complaints.warehouse.incremental)."""
    council = settings.council_code
    create_warehouse_schema(warehouse_engine)
    result = BuildResult(run_id=run_id, council_code=council)
    result.dates_added = refresh_date_dimension(warehouse_engine, council)
    targets = timeliness_targets(settings)
    as_of = open_cases_as_of(warehouse_engine, council)
    built_by = inc.definition(targets)
    result.mode, result.fact_rows = update_facts(
        warehouse_engine,
        council,
        run_id,
        built_by,
        incremental=incremental and not result.dates_added,
        targets=targets,
        as_of=as_of,
    )

    changed, removed, unchanged = [], [], []
    # One connection throughout: the new stats live in its temporary tables.
    with warehouse_engine.connect() as conn:
        with conn.begin():
            owed = inc.owed_years(conn, council)
            built_years = _years_in_stats(conn, council)
        result.owed_years = tuple(owed)
        if not owed:  # nothing changed since the last build: no stats to count
            result.financial_years = tuple(sorted(built_years))
            result.unchanged_years = result.financial_years
            log.info("warehouse build %s: %s", run_id, result.summary())
            return result
        # Only the owed years are counted (every year when all are owed).
        new_tables = compute_stats(conn, council, targets, as_of, owed)
        try:
            every = inc.ALL_YEARS in owed
            named = set(owed) - {inc.ALL_YEARS}
            with conn.begin():
                # The years with counted data: the counted ones that have any, and the years
                # not counted (not owed: nothing touched them) as they were last built.
                fact_years = _years_in(conn, new_tables[0])
                kept = set() if every else _counted_years(conn, council) - named
            # A full build visits every year, and any year owed by name as well (the open cases
            # of a quarter can owe a year no fact's date falls in), so none stays owed.
            years = fact_years | built_years | named if every else named
            for year in sorted(years):
                if year not in fact_years:
                    if empty_year(conn, council, year):
                        removed.append(year)
                elif replace_year(conn, new_tables, council, year, run_id):
                    changed.append(year)
                else:
                    unchanged.append(year)
            if every:
                with conn.begin():
                    inc.clear_owed(conn, council, inc.ALL_YEARS)
        finally:
            _drop_new_tables(conn, new_tables)
    result.financial_years = tuple(sorted(fact_years | kept))
    result.changed_years = tuple(changed)
    result.removed_years = tuple(removed)
    result.unchanged_years = tuple(sorted(set(unchanged) | kept))
    log.info("warehouse build %s: %s", run_id, result.summary())
    return result


def _c(council: str) -> dict[str, str]:
    return {"council_code": council}


def refresh_date_dimension(engine: Engine, council: str) -> int:
    """Add to ``dim_date`` every day of each financial year in which a staged date falls.

    Whole financial years (not just the dates seen) so the dimension is a usable calendar; years
    already complete are skipped, and a day already present is never rewritten. The years come
    from the staged dates' year-months (``staged_months.sql``): a year is whole, so its months
    are all it takes to know it, and they are few however many rows there are. Returns the
    number of days added.
    """
    with engine.connect() as conn:
        months = {
            value
            for row in conn.execute(sql(SQL_STEP, "staged_months"), _c(council))
            for value in row
        }
        present = {
            row.financial_year: row.days
            for row in conn.execute(sql(SQL_STEP, "dim_date_days_per_year"))
        }
    years = {FinancialYear.containing(day) for day in map(_first_of_month, months) if day}
    added = 0
    for year in sorted(years):
        if present.get(year.label, 0) == (year.end - year.start).days:
            continue
        rows = date_dimension_rows(year.start, year.last_day)
        with engine.begin() as conn:
            before = _count_days(conn, year.label)
            conn.execute(sql(SQL_STEP, "insert_dim_date"), rows)
            added += _count_days(conn, year.label) - before
    return added


def _first_of_month(month: str | None) -> date | None:
    """'2019-05' as 1 May 2019; None for anything that is not a real year-month (a staged date
    text that is not a date at all; DQ02 reports those rows)."""
    return parse_iso_date(f"{month}-01") if isinstance(month, str) else None


def _count_days(conn: Connection, year: str) -> int:
    query = select(func.count()).select_from(dim_date).where(dim_date.c.financial_year == year)
    return int(conn.execute(query).scalar_one())


# Before any quarter's end: no quarter is counted for open cases (no extract has finished).
NO_QUARTER_YET = "0001-01-01"


def open_cases_as_of(engine: Engine, council: str) -> str:
    """The day the council's latest extract finished (ISO, UTC), or ``NO_QUARTER_YET``.

    Open cases are counted at the end of every quarter that ended before this day: its data
    has been extracted since (``fact_open_stages.sql``). The same data gives the same day, so a
    rebuild from the same extract counts the same quarters.
    """
    with engine.connect() as conn:
        finished = conn.execute(
            sql("report", "last_extract_finished"), {"council_code": council}
        ).scalar()
    if finished is None:
        return NO_QUARTER_YET
    return str(finished)[:10]  # a datetime, or SQLite's ISO text


def last_quarter_counted(as_of: str) -> str:
    """The last quarter end before ``as_of``: ``fact_open_stages`` counts open cases at every
    quarter end up to it (``fact_open_stages.sql``), so the same quarter, the same counts."""
    if as_of == NO_QUARTER_YET:
        return NO_QUARTER_YET
    return FinancialQuarter.containing(date.fromisoformat(as_of[:10])).prior.last_day.isoformat()


def _open_case_counts(conn: Connection, council: str, *, scoped: bool) -> dict[tuple, tuple]:
    """The council's open cases counted as ``stats_quarterly_open`` counts them: (count, past
    target) by (financial year, quarter, stage, as at), one entry per row it would hold.

    ``scoped``: only the rows of the complaints in the build's scope (``incremental.in_scope``),
    the rows an incremental build deletes and inserts again."""
    f = fact_open_stages.c
    past = func.sum(case((f.past_target, 1), else_=0))
    where = [f.council_code == council]
    if scoped:
        where.append(inc.in_scope(fact_open_stages))
    query = (
        select(f.financial_year, f.quarter, f.stage, f.as_at, func.count(), past)
        .where(*where)
        .group_by(f.financial_year, f.quarter, f.stage, f.as_at)
    )
    return {tuple(row[:4]): (int(row[4]), int(row[5] or 0)) for row in conn.execute(query)}


def _update_open_stages(
    conn: Connection, council: str, targets: dict[str, int] | None, as_of: str, *, whole: bool
) -> tuple[int, set[str]]:
    """Bring ``fact_open_stages`` up to date (inside the facts' transaction): the rows inserted,
    and the years whose open-case counts (``stats_quarterly_open``'s rows) changed.

    ``whole``: delete the council's rows and count every stage row again (a full build, or a
    new quarter to count); otherwise only the rows of the complaints in scope, whose fact_stages
    rows were rebuilt: every other row is what the same SQL would write again. A group's count
    changes exactly when the rows deleted from it and those inserted into it differ in number
    or in how many are past target, so comparing the scoped rows' counts before and after owes
    the same years as comparing the whole table's. Without ``targets`` the table is emptied.
    """
    scoped = not whole
    before = _open_case_counts(conn, council, scoped=scoped)
    stale = [fact_open_stages.c.council_code == council]
    if scoped:
        stale.append(inc.in_scope(fact_open_stages))
    conn.execute(delete(fact_open_stages).where(*stale))
    rows = 0
    if targets is not None:
        rows = _open_stages(conn, council, targets, as_of, whole=whole)
    after = _open_case_counts(conn, council, scoped=scoped)
    changed = {key[0] for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    return rows, changed


def _open_stages(
    conn: Connection, council: str, targets: dict[str, int], as_of: str, *, whole: bool
) -> int:
    """Insert the open-stage rows of the council's stage rows (``whole``) or of those of the
    complaints in the build's scope; how many rows were inserted."""
    measure_targets = _measure_targets_table()
    conn.execute(DropTable(measure_targets, if_exists=True))
    conn.execute(CreateTable(measure_targets))
    conn.execute(measure_targets.insert(), _measure_targets(targets))
    params = {"council_code": council, "as_of": as_of, "whole_council": int(whole)}
    rows = conn.execute(sql(SQL_STEP, fact_open_stages.name), params).rowcount
    conn.execute(DropTable(measure_targets))
    if whole:  # a few rows of an incremental build leave the statistics as they were
        _analyze(conn, [fact_open_stages])
    return rows


def rebuild_facts(
    engine: Engine,
    council: str,
    targets: dict[str, int] | None = None,
    as_of: str = NO_QUARTER_YET,
) -> dict[str, int]:
    """Replace the council's dimension and fact rows from staging, in one transaction; the rows
    inserted into each table. Every year's stats are owed.

    With ``targets`` (``timeliness_targets(settings)``), also ``fact_open_stages``: the stage
    rows open at the end of each quarter that ended before ``as_of`` (``open_cases_as_of``).
    """
    return update_facts(engine, council, "rebuild-facts", None, targets=targets, as_of=as_of)[1]


def update_facts(
    engine: Engine,
    council: str,
    run_id: str,
    built_by: str | None,
    *,
    incremental: bool = False,
    targets: dict[str, int] | None = None,
    as_of: str = NO_QUARTER_YET,
) -> tuple[str, dict[str, int]]:
    """Rebuild the council's dimensions and facts from staging in one transaction, which also
    owes the years whose stats follow from them and uses up the council's change log.

    ``built_by``: the build definition (``incremental.definition``; None: not recorded, and the
    rebuild is a full one). Returns the mode the build took (``full`` or ``incremental``) and
    the rows inserted into each table. With ``targets``, ``fact_open_stages`` is brought up to
    date in the same transaction (``_update_open_stages``: in an incremental build counting the
    same quarters as the last, only the rows of the stage rows rebuilt), owing every year whose
    open-case counts changed.
    """
    changes, scope = inc.build_changes_table(), inc.build_scope_table()
    with engine.begin() as conn:
        _tune_for_bulk(conn)
        for table in (changes, scope):
            conn.execute(DropTable(table, if_exists=True))  # left by a failed build (SQLite)
            conn.execute(CreateTable(table))
        whole_tables = inc.read_changes(conn, council)
        last = inc.recorded_build(conn, council)
        same_definition = built_by is not None and last.definition == built_by
        open_cases = (None, None)
        if targets is not None:
            open_cases = inc.open_cases_counted(conn, last_quarter_counted(as_of), as_of)
        same_quarter = targets is not None and last.open_cases == open_cases
        # Read before the dimensions are built from them (see incremental.record_build).
        references = inc.references_fingerprint(conn, council)
        if (
            incremental
            and same_definition
            and inc.nothing_changed(conn)
            and same_quarter
            and last.references_hash == references
        ):
            # Nothing logged since the last build, no quarter ended since and the teams and
            # issue categories (copied whole, never logged) as the dimensions were built from:
            # the facts are what a rebuild would write, so nothing is rewritten (a shared
            # service's other councils, on the day one council changed).
            for table in (changes, scope):
                conn.execute(DropTable(table))
            return "unchanged", {}
        if incremental and not whole_tables and same_definition:
            mode, counts = "incremental", _rebuild_changed_facts(conn, council)
        else:
            mode, counts = "full", _rebuild_all_facts(conn, council)
            inc.owe_years(conn, council, [inc.ALL_YEARS])
        # Open cases are counted at quarter ends from the facts, whatever their dates: a case
        # open for years counts in quarters of years its own dates do not fall in, so the years
        # whose counts (stats_quarterly_open's rows) differ before and after are owed as well.
        # An incremental build with the same quarters to count redoes the open-stage rows of
        # the stage rows it rebuilt; any other counts them all (a new quarter ended: every row
        # open then is new).
        whole = mode == "full" or not same_quarter
        rows, open_changed = _update_open_stages(conn, council, targets, as_of, whole=whole)
        if targets is not None:
            counts[fact_open_stages.name] = rows
        inc.owe_years(conn, council, open_changed)
        inc.delete_used_changes(conn, council)
        if built_by is not None:
            inc.record_build(conn, council, built_by, run_id, mode, open_cases, references)
        else:  # not recorded: the next build may not take fact_open_stages as up to date
            inc.forget_open_cases(conn, council)
        for table in (changes, scope):
            conn.execute(DropTable(table))
    return mode, counts


def _rebuild_all_facts(conn: Connection, council: str) -> dict[str, int]:
    """Every dimension and fact row of the council, from staging."""
    counts: dict[str, int] = {}
    # The planner needs to know how big staging is (just loaded, autovacuum may not have
    # looked yet): without statistics it joins a million stage rows by nested loops. The
    # extract has usually refreshed them already; only stale ones are refreshed here.
    _analyze_if_stale(conn, [*(table for table, _ in STAGING.values()), dim_date, dq_rejects])
    # Facts refer to earlier facts (stages keep only counted complaints): delete in reverse.
    for table in reversed(DIMENSIONS_AND_FACTS):
        conn.execute(delete(table).where(table.c.council_code == council))
    for table in DIMENSIONS_AND_FACTS:
        # The council's rows were all deleted above: what the step inserts is what it has.
        counts[table.name] = conn.execute(
            sql(SQL_STEP, table.name), {**_c(council), "whole_council": 1}
        ).rowcount
        # Later facts join it and the stats group it: without fresh statistics the planner
        # takes a million just-written rows for a handful and sorts them instead of hashing.
        _analyze(conn, [table])
    return counts


def _rebuild_changed_facts(conn: Connection, council: str) -> dict[str, int]:
    """The facts of the rows in the change log and their dependants, and the years they touch
    before and after (owed); the dimensions whole (every year owed when they changed)."""
    counts: dict[str, int] = {}
    inc.fill_scope(conn, council)
    touched = inc.scope_years(conn, council)  # as last built
    inc.delete_scope_facts(conn, council)
    dimensions = [table for table in DIMENSIONS_AND_FACTS if table not in FACTS]
    before = _rows_of(conn, council, dimensions)
    for table in reversed(dimensions):
        conn.execute(delete(table).where(table.c.council_code == council))
    for table in DIMENSIONS_AND_FACTS:
        counts[table.name] = conn.execute(
            sql(SQL_STEP, table.name), {**_c(council), "whole_council": 0}
        ).rowcount
    touched |= inc.scope_years(conn, council)  # as built now
    if _rows_of(conn, council, dimensions) != before:
        touched.add(inc.ALL_YEARS)
    inc.owe_years(conn, council, touched)
    return counts


def _rows_of(conn: Connection, council: str, tables) -> dict[str, list[tuple]]:
    """Every row of the council in (small) ``tables``, sorted: to tell whether they changed."""
    return {
        table.name: sorted(
            tuple(row) for row in conn.execute(select(table).where(table.c.council_code == council))
        )
        for table in tables
    }


def _tune_for_bulk(conn: Connection) -> None:
    """On PostgreSQL, memory for this transaction's hash joins and sorts over a million rows,
    and no JIT: compiling each of these one-off statements costs more than it saves."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL work_mem TO '64MB'")
        conn.exec_driver_sql("SET LOCAL jit TO off")


def _analyze(conn: Connection, tables) -> None:
    """Refresh the PostgreSQL planner's statistics of ``tables`` (inside the transaction)."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table.name}")


def _analyze_if_stale(conn: Connection, tables) -> None:
    """ANALYZE the tables (PostgreSQL) whose rows changed by more than autovacuum's threshold
    (50 rows + 10%) since their statistics were last taken."""
    if conn.dialect.name != "postgresql":
        return
    stale = set(
        conn.execute(
            sql(SQL_STEP, "stale_statistics"), {"tables": [table.name for table in tables]}
        ).scalars()
    )
    _analyze(conn, [table for table in tables if table.name in stale])


def _years_in_stats(conn: Connection, council: str) -> set[str]:
    """Years with stats rows or a recorded build (a year that vanished must be emptied)."""
    queries = [
        select(table.c.financial_year).where(table.c.council_code == council)
        for table in (*STATS_TABLES, etl_year_builds)
    ]
    return {row[0] for row in conn.execute(union(*queries))}


def _delete_year(conn: Connection, council: str, year: str) -> None:
    """Delete the year's stats rows and its build record (inside the caller's transaction)."""
    for table in (*STATS_TABLES, etl_year_builds):
        conn.execute(
            delete(table).where(table.c.council_code == council, table.c.financial_year == year)
        )


def _new_table(table: Table) -> Table:
    """A temporary table shaped like the stats table ``table``: ``new_<name>``."""
    return Table(
        f"new_{table.name}",
        MetaData(),
        *(Column(c.name, c.type) for c in table.columns),
        prefixes=["TEMPORARY"],
    )


def _drop_new_tables(conn: Connection, tables: list[Table]) -> None:
    """Drop the temporary tables (the connection goes back to the pool, and they with it)."""
    if conn.in_transaction():
        conn.rollback()
    with conn.begin():
        for table in tables:
            conn.execute(DropTable(table, if_exists=True))


def _stage_counts_table() -> Table:
    """Temporary: the council's stage rows counted by everything the stage-based stats group
    or filter them by (filled by ``stage_counts.sql``)."""
    return Table(
        "stage_counts",
        MetaData(),
        Column("stage", Integer),
        Column("team_id", Integer),
        Column("outcome", String(30)),
        Column("requested_fy", String(7)),
        Column("response_fy", String(7)),
        Column("stage_rows", Integer),
        prefixes=["TEMPORARY"],
    )


def _measure_targets_table() -> Table:
    """Temporary: each timeliness measure's target in working days, from this build's settings
    (``stats_timeliness.sql`` joins it to ``dim_measure``). A table rather than bind parameters
    so the SQL names no measure and no setting: the registry's rows drive it."""
    return Table(
        "measure_targets",
        MetaData(),
        Column("measure", String(60)),
        Column("target_wd", Integer),
        prefixes=["TEMPORARY"],
    )


def _measure_targets(targets: dict[str, int]) -> list[dict[str, object]]:
    """A row per registered timeliness measure: its name and its target from ``targets``."""
    missing = sorted({m.target_setting for m in measures.TIMELINESS_MEASURES} - set(targets))
    if missing:
        raise KeyError(f"no target given for the timeliness setting(s) {', '.join(missing)}")
    return [
        {"measure": m.name, "target_wd": int(targets[m.target_setting])}
        for m in measures.TIMELINESS_MEASURES
    ]


def _stats_years_table() -> Table:
    """Temporary: the years whose stats ``compute_stats`` counts (the steps' ``stats_years``),
    when it counts named years rather than every one."""
    return Table(
        "stats_years",
        MetaData(),
        Column("financial_year", String(7)),
        prefixes=["TEMPORARY"],
    )


def compute_stats(
    conn: Connection,
    council: str,
    targets: dict[str, int],
    as_of: str | None = None,
    years: Iterable[str] | None = None,
) -> list[Table]:
    """The stats rows of ``years`` (None, or ``incremental.ALL_YEARS`` among them: every year),
    into temporary ``new_stats_*`` tables (in STATS_TABLES order).

    ``targets``: the working days of each target setting the registry's timeliness measures
    name (``timeliness_targets(settings)``). ``stage_counts.sql`` first counts the stage rows in
    one pass; then ``include/sql/warehouse/stats_<table>.sql`` count each table's figures for all
    those years at once, and the ``*_zeros.sql`` steps give each of them every headline and
    timeliness measure of ``dim_measure`` (the registry, csc_complaints.measures).
    ``as_of``: the day before which a quarter's end is counted for open cases (by default
    ``open_cases_as_of``), as when ``fact_open_stages`` was built.

    Named ``years`` go into the temporary ``stats_years`` and every step counts only the fact
    rows of those years (``:every_year = 1 OR ... IN stats_years``), so a day that owes one
    year groups one year's rows; when they are more than half the council's years, every year
    is counted instead (``_filter_by_year``). The filters make the work smaller; what makes the
    result right is that the rows of any other year are then deleted from the new tables
    before the zeros steps run (``_keep_stats_years``): an owed year's rows are exactly those
    a count of every year gives, and no other year has any.
    """
    if as_of is None:
        as_of = open_cases_as_of(conn.engine, council)
    named = None if years is None else set(years)
    every = named is None or inc.ALL_YEARS in named
    target_rows = _measure_targets(targets)
    new_tables = [_new_table(table) for table in STATS_TABLES]
    measure_targets, stats_years = _measure_targets_table(), _stats_years_table()
    work_tables = [_stage_counts_table(), measure_targets, stats_years, *new_tables]
    _drop_new_tables(conn, work_tables)  # left on a pooled connection by a failed build
    try:
        with conn.begin():
            _tune_for_bulk(conn)
            filtered = not every and _filter_by_year(conn, council, named)
            params = {"council_code": council, "as_of": as_of, "every_year": int(not filtered)}
            for table in work_tables:
                conn.execute(CreateTable(table))
            conn.execute(measure_targets.insert(), target_rows)
            if not every and named:
                conn.execute(
                    stats_years.insert(), [{"financial_year": year} for year in sorted(named)]
                )
            conn.execute(sql(SQL_STEP, "stage_counts"), params)
            for table in STATS_TABLES:
                conn.execute(sql(SQL_STEP, table.name), params)
            if not every:
                _keep_stats_years(conn, new_tables, stats_years)
            for step in (
                "stats_headlines_zeros",
                "stats_timeliness_zeros",
                "stats_quarterly_open_zeros",
            ):
                conn.execute(sql(SQL_STEP, step), params)
    finally:
        _drop_new_tables(conn, work_tables[:3])
    return new_tables


def _filter_by_year(conn: Connection, council: str, named: set[str]) -> bool:
    """Whether the stats steps should keep only the fact rows of the ``named`` years: when they
    are at most half the council's years. Each step's year filter is a lookup per fact row,
    which costs more than the grouping it saves once most rows pass it (at 1M complaints over
    eleven years: one year 2.2 s, five 4.6 s, eleven 6.5 s filtered, 5.0 s unfiltered)."""
    return 2 * len(named) <= len(_counted_years(conn, council) | named)


def _keep_stats_years(conn: Connection, new_tables: list[Table], stats_years: Table) -> None:
    """Delete from the ``new_stats_*`` tables every row of a year not in ``stats_years``: the
    steps' year filters shrink their work, this makes sure no other year is left (the zeros
    steps, run next, add zeros to the years they find there)."""
    for table in new_tables:
        year = table.c.financial_year
        conn.execute(
            delete(table).where(
                or_(year.is_(None), year.not_in(select(stats_years.c.financial_year)))
            )
        )


def _years_in(conn: Connection, new_headlines: Table) -> set[str]:
    """The counted years with counted data: every one has its headline rows (zeros included)."""
    return set(conn.execute(select(new_headlines.c.financial_year).distinct()).scalars())


def _counted_years(conn: Connection, council: str) -> set[str]:
    """The years with counted data as last built: every one has its headline rows."""
    headlines = STATS_TABLES[0]
    query = select(headlines.c.financial_year).where(headlines.c.council_code == council)
    return set(conn.execute(query.distinct()).scalars())


def year_fingerprint(
    conn: Connection, council: str, year: str, new_tables: Sequence[Table]
) -> tuple[str, int]:
    """sha256 of the year's new stats rows (sorted), and how many rows there are.

    ``new_tables``: the build's ``new_stats_*`` tables, in STATS_TABLES order; each row is
    hashed under its stats table's name, so the fingerprint is that of the stats it replaces.
    """
    digest = hashlib.sha256()
    rows = 0
    for stats_table, table in zip(STATS_TABLES, new_tables, strict=True):
        columns = [c for c in table.columns if c.name not in ("council_code", "financial_year")]
        query = (
            select(*columns)
            .where(table.c.council_code == council, table.c.financial_year == year)
            .order_by(*columns)
        )
        for row in conn.execute(query):
            digest.update(json.dumps([stats_table.name, *row], default=str).encode())
            digest.update(b"\n")
            rows += 1
    return digest.hexdigest(), rows


def _recorded_fingerprint(conn: Connection, council: str, year: str) -> str | None:
    query = select(etl_year_builds.c.fingerprint).where(
        etl_year_builds.c.council_code == council, etl_year_builds.c.financial_year == year
    )
    return conn.execute(query).scalar_one_or_none()


def replace_year(
    conn: Connection, new_tables: list[Table], council: str, year: str, run_id: str
) -> bool:
    """Replace one year's stats by its new rows in one transaction; True when they changed.

    When the new rows fingerprint the same as the recorded build, nothing is written, not even
    the build time.
    """
    with conn.begin():
        inc.clear_owed(conn, council, year)
        fingerprint, rows = year_fingerprint(conn, council, year, new_tables)
        if fingerprint == _recorded_fingerprint(conn, council, year):
            return False
        _delete_year(conn, council, year)
        for stats_table, new in zip(STATS_TABLES, new_tables, strict=True):
            names = [c.name for c in stats_table.columns]
            conn.execute(
                stats_table.insert().from_select(
                    names,
                    select(*(new.c[name] for name in names)).where(
                        new.c.council_code == council, new.c.financial_year == year
                    ),
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
    log.info("stats %s %s replaced (%d rows) by %s", council, year, rows, run_id)
    return True


def empty_year(conn: Connection, council: str, year: str) -> bool:
    """An owed year with no counted data: delete its stats and its build record, atomically;
    True when it had any (a year owed that never had counted data has nothing to empty)."""
    with conn.begin():
        inc.clear_owed(conn, council, year)
        built = year in _years_in_stats(conn, council)
        if built:
            _delete_year(conn, council, year)
    if built:
        log.info("stats %s %s emptied: no counted data in that year any more", council, year)
    return built
