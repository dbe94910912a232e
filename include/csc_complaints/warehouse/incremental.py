"""What an incremental warehouse build rebuilds: the changed rows' facts and the years they touch.

How the build knows what changed: every writer of staging and of ``dq_rejects`` logs the rows it
changed in ``etl_changed_rows`` in the same transaction (``log_changed_rows``,
``log_removed_rows``, ``log_reject_changes``): the extract and the source comparison (the rows
their run wrote or removed; a table's first load logs ``*``), and the row checks (rows newly
rejected or no longer rejected, whatever the reason, including DQ02's "later than the extract"
as time passes). The build copies the council's log into the temporary ``build_changes``, turns
it into the keys whose facts it rebuilds (``build_scope.sql``: a changed stage row brings in its
complaint as staging holds it now and as its fact row was last built), and deletes the log rows
it used in its facts transaction.

How it knows which years a change touches: the fact rows carry the financial year of each of
their dates (every ``*_fy`` column). The years of the fact rows in scope are read before they are
deleted (the years as last built: the change's "before") and after they are inserted again (its
"after"); their union is owed (``etl_build_owed``) in the same transaction, and each owed year's
stats are replaced (or confirmed unchanged) in a transaction of their own that also clears it.
A year no fact row in scope touches is neither recounted into the stats tables nor rewritten.

A change the log cannot describe row by row makes the build a full one: no build recorded for the
council, a first load (``*``), days added to ``dim_date``, or a different build definition (the
warehouse SQL, the fact and stats tables' columns, the measures, the targets: ``definition``),
so a new stats table in ``STATS_TABLES`` is filled for every year on the first build after it
appears, with nothing else to do. Dimensions are small: they are rebuilt whole every time, and
when they differ from before (a team renamed, an issue category relabelled, a team rejected)
every year is owed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from csc_complaints.db import SQL_DIR, sql
from csc_complaints.warehouse.schema import (
    FACT_SCOPES,
    FACTS,
    REFERENCE_TABLES,
    STAGING,
    STATS_TABLES,
    etl_build_owed,
    etl_build_state,
    etl_changed_rows,
    measure_rows,
)

SQL_STEP = "warehouse"
ALL_YEARS = "*"  # an owed "year" (and a logged key): all of them
_FACTS_BY_NAME = {table.name: table for table in FACTS}


# --- the log: written by the extract, the source comparison and the row checks ---------------


def log_changed_rows(
    conn: Connection, council: str, source_table: str, run_id: str, *, whole_table: bool
) -> None:
    """Log the staged rows of ``source_table`` that the run ``run_id`` wrote (staging's
    ``_run_id``; an upsert writes a row only when it changed), or ``*`` for a whole table (a
    first load: the next build is a full one anyway). Reference tables are not logged: the build
    compares its dimensions whole."""
    from csc_complaints.warehouse.schema import REFERENCE_TABLES, STAGING

    if source_table in REFERENCE_TABLES:
        return
    if whole_table:
        conn.execute(
            etl_changed_rows.insert().values(
                council_code=council, source_table=source_table, source_key=ALL_YEARS
            )
        )
        return
    table, key = STAGING[source_table]
    conn.execute(
        etl_changed_rows.insert().from_select(
            ["council_code", "source_table", "source_key"],
            select(
                table.c.council_code,
                _literal(source_table),
                table.c[key].cast(String(60)),
            ).where(table.c.council_code == council, table.c._run_id == run_id),
        )
    )


def log_keys(conn: Connection, council: str, keys: Iterable[tuple[str, str]]) -> None:
    """Log rows by (source table, key): rows removed from staging, rejects added or resolved."""
    rows = [
        {"council_code": council, "source_table": table, "source_key": str(key)}
        for table, key in sorted(set(keys))
    ]
    # (The extract imports this module: csc_complaints.extract's helpers are not imported here.)
    for start in range(0, len(rows), 1000):
        conn.execute(etl_changed_rows.insert(), rows[start : start + 1000])


def _literal(value: str):
    from sqlalchemy import literal

    return literal(value, String(60))


# --- the build's side --------------------------------------------------------------------------


def definition(targets: dict[str, int]) -> str:
    """sha256 of what the facts and stats are built by: every warehouse SQL file, the fact and
    stats tables' columns, the measures registry's rows and the timeliness targets."""
    digest = hashlib.sha256()
    for path in sorted((SQL_DIR / SQL_STEP).glob("*.sql")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for table in (*FACTS, *STATS_TABLES):
        digest.update(json.dumps([table.name, [c.name for c in table.columns]]).encode())
    digest.update(json.dumps(measure_rows(), sort_keys=True, default=str).encode())
    digest.update(json.dumps(sorted(targets.items())).encode())
    return digest.hexdigest()


OpenCases = tuple[str | None, int | None]  # (last quarter end counted, quarter ends counted)


class RecordedBuild(NamedTuple):
    """What ``record_build`` recorded of the council's last build (all None before the first):
    its definition, what its open cases were counted at, its reference rows' fingerprint."""

    definition: str | None = None
    open_cases: OpenCases = (None, None)
    references_hash: str | None = None


def recorded_build(conn: Connection, council: str) -> RecordedBuild:
    t = etl_build_state.c
    query = select(
        t.definition, t.open_cases_to, t.open_cases_quarter_ends, t.references_hash
    ).where(t.council_code == council)
    row = conn.execute(query).first()
    if row is None:
        return RecordedBuild()
    return RecordedBuild(
        row.definition, (row.open_cases_to, row.open_cases_quarter_ends), row.references_hash
    )


def open_cases_counted(conn: Connection, quarter: str, as_of: str) -> OpenCases:
    """What ``fact_open_stages`` holds once counted before ``as_of``: its last quarter end
    (``build.last_quarter_counted``) and how many quarter ends of the shared calendar it counts
    at (``quarter_ends_counted.sql``). Both as recorded must match for its rows to be kept."""
    count = conn.execute(sql(SQL_STEP, "quarter_ends_counted"), {"as_of": as_of}).scalar_one()
    return quarter, count


def forget_open_cases(conn: Connection, council: str) -> None:
    """Record that no quarter's open cases are known to be in ``fact_open_stages`` (a rebuild
    of the facts that is not recorded as a build, ``build.rebuild_facts``, may have left them
    out): the next build counts them all again."""
    conn.execute(
        update(etl_build_state)
        .where(etl_build_state.c.council_code == council)
        .values(open_cases_to=None, open_cases_quarter_ends=None)
    )


def nothing_changed(conn: Connection) -> bool:
    """The council's change log, as copied into ``build_changes`` (``read_changes``), is empty."""
    table = build_changes_table()
    return conn.execute(select(table.c.source_table).limit(1)).first() is None


def reference_row_hashes(conn: Connection, council: str) -> dict[tuple[str, str], str]:
    """(table, key) -> sha256 of the staged row's values, for the teams and issue categories.

    The extract copies these reference tables whole and does not log them in
    ``etl_changed_rows``: the row checks (``dq_checked_references``) and the build
    (``etl_build_state.references_hash``) compare these hashes with the ones they last saw.
    """
    hashes: dict[tuple[str, str], str] = {}
    for source_table in REFERENCE_TABLES:
        table, key = STAGING[source_table]
        columns = [c for c in table.columns if c.name not in ("_run_id", "_source_hash")]
        for row in conn.execute(select(*columns).where(table.c.council_code == council)):
            values = repr(tuple(str(v) for v in row))
            hashes[(source_table, str(row._mapping[key]))] = hashlib.sha256(
                values.encode()
            ).hexdigest()
    return hashes


def references_fingerprint(conn: Connection, council: str) -> str:
    """One sha256 of every staged reference row of the council (``reference_row_hashes``)."""
    digest = hashlib.sha256()
    for (table, key), row_hash in sorted(reference_row_hashes(conn, council).items()):
        digest.update(f"{table}\t{key}\t{row_hash}\n".encode())
    return digest.hexdigest()


def record_build(
    conn: Connection,
    council: str,
    built_by: str,
    run_id: str,
    mode: str,
    open_cases: OpenCases,
    references_hash: str,
) -> None:
    """Record the council's build: its definition, mode, what its open cases were counted at
    (``open_cases_counted``) and the fingerprint of the reference rows its dimensions were
    built from (``references_fingerprint``, read before they were built: a change committed
    meanwhile then makes the next build rebuild them, never keep them stale)."""
    from datetime import UTC, datetime

    values = {
        "definition": built_by,
        "built_at": datetime.now(UTC).replace(tzinfo=None),
        "run_id": run_id,
        "mode": mode,
        "open_cases_to": open_cases[0],
        "open_cases_quarter_ends": open_cases[1],
        "references_hash": references_hash,
    }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(etl_build_state).values(council_code=council, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["council_code"], set_=values))


def build_changes_table() -> Table:
    """Temporary: the log rows this build uses (``build_changes.sql``)."""
    return Table(
        "build_changes",
        MetaData(),
        Column("change_id", Integer),
        Column("source_table", String(60)),
        Column("source_key", String(60)),
        Column("key_value", Integer),
        prefixes=["TEMPORARY"],
    )


def build_scope_table() -> Table:
    """Temporary: the keys whose facts this build rebuilds (``build_scope.sql``); empty for a
    full build, whose fact steps take the whole council."""
    return Table(
        "build_scope",
        MetaData(),
        Column("source_table", String(60)),
        Column("key_value", Integer),
        prefixes=["TEMPORARY"],
    )


def read_changes(conn: Connection, council: str) -> set[tuple[str, str]]:
    """Copy the council's log into ``build_changes``; the (table, key) pairs with ``*``."""
    conn.execute(sql(SQL_STEP, "build_changes"), {"council_code": council})
    changes = build_changes_table()
    query = select(changes.c.source_table, changes.c.source_key).where(
        changes.c.source_key == ALL_YEARS
    )
    return {tuple(row) for row in conn.execute(query)}


def fill_scope(conn: Connection, council: str) -> int:
    """The keys to rebuild, from ``build_changes``; how many."""
    count = conn.execute(sql(SQL_STEP, "build_scope"), {"council_code": council}).rowcount
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE build_scope")  # temporary: autovacuum never sees it
    return count


def delete_used_changes(conn: Connection, council: str) -> None:
    conn.execute(sql(SQL_STEP, "delete_used_changes"), {"council_code": council})


def in_scope(table: Table):
    """The rows of fact ``table`` in the build's scope (FACT_SCOPES)."""
    scope = build_scope_table()
    return or_(
        *(
            table.c[column].in_(
                select(scope.c.key_value).where(scope.c.source_table == source_table)
            )
            for column, source_table in FACT_SCOPES[table.name]
        )
    )


def year_columns(table: Table) -> list[Column]:
    """The fact table's financial-year columns: one per date it counts by."""
    return [c for c in table.columns if c.name.endswith("_fy")]


def scope_years(conn: Connection, council: str) -> set[str]:
    """Every financial year of a date of a fact row in scope.

    One pass per fact table (the facts have no index: each pass reads the whole table), for the
    distinct combinations of its year columns among its rows in scope, which are few."""
    years: set[str] = set()
    for table in FACTS:
        query = (
            select(*year_columns(table))
            .where(table.c.council_code == council, in_scope(table))
            .distinct()
        )
        years.update(year for row in conn.execute(query) for year in row if year is not None)
    return years


def delete_scope_facts(conn: Connection, council: str) -> None:
    """Delete the fact rows in scope, later facts first (they were built from earlier ones)."""
    for table in reversed(FACTS):
        conn.execute(delete(table).where(table.c.council_code == council, in_scope(table)))


# --- owed years ---------------------------------------------------------------------------------


def owe_years(conn: Connection, council: str, years: Iterable[str]) -> None:
    """Record that the stats of ``years`` (``*``: all) must be replaced or confirmed."""
    wanted = set(years)
    if not wanted:
        return
    present = set(owed_years(conn, council))
    rows = [{"council_code": council, "financial_year": y} for y in sorted(wanted - present)]
    if rows:
        conn.execute(etl_build_owed.insert(), rows)


def owed_years(conn: Connection, council: str) -> list[str]:
    query = select(etl_build_owed.c.financial_year).where(etl_build_owed.c.council_code == council)
    return sorted(conn.execute(query).scalars())


def clear_owed(conn: Connection, council: str, year: str) -> None:
    conn.execute(
        delete(etl_build_owed).where(
            etl_build_owed.c.council_code == council, etl_build_owed.c.financial_year == year
        )
    )
