"""Which staged rows a row check validates: the rows that changed since the last check, plus the
rows whose verdict can change with them (issue 16). Every other row keeps its verdict.

How the check knows what changed:

* the extract and the source comparison log every staged row they write or remove in
  ``etl_changed_rows`` (csc_complaints.warehouse.incremental), and the row checks log every row
  whose reject they add or resolve. ``dq_check_state.change_id`` is the newest log row of the
  council when the last check ended: the log rows after it are new. The build deletes the log
  rows it used; when a build ran since the last check, every log row left is new (it was logged
  after that build copied the log). An extract that started after the last check and before
  the build that followed it had its changes used up unseen: the check is then a full one.
* teams and issue categories are copied whole and not logged: the check keeps a hash of each
  row as it last saw it (``dq_checked_references``) and compares.

The rows whose verdict can change with a changed row (``check_scope_*.sql``, in this order):

* every row rejected now (``dq_rejects``): its rejection may end without a change of its own
  (a referenced team corrected, a duplicate's twin changed, DQ02's "later than the extract" as
  the days pass: a date after the last check's as-of date may not be after this one's);
* a stage row's complaint (DQ09), a complaint's namesakes (DQ01's shared reference), an issue
  category's complaints (DQ07), then every complaint's stages, learning actions and ombudsman
  cases (whether they count, DQ07's missing complaint, DQ03 and DQ08 between stage rows), and a
  team's stages, feedback and learning actions (DQ07).

A change that cannot be followed row by row makes the check a full one (``CheckPlan.reason``):
no check recorded for the council, no full check for a week (``FULL_CHECK_EVERY``: a stage row
moved to another complaint leaves its old complaint and siblings unknown, so only a full check
re-judges them), another DQ suite or scope SQL (``definition``), a table's
first load (``*`` in the log), an as-of date earlier than the last check's, a stage row removed
from staging (its complaint is unknown now), or changes used up unseen (above).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from csc_complaints.db import SQL_DIR, sql
from csc_complaints.quality.suites import DQ_SUITE, suite_path
from csc_complaints.quality.tables import dq_check_scope, dq_check_state, dq_checked_references
from csc_complaints.warehouse.incremental import reference_row_hashes
from csc_complaints.warehouse.schema import (
    REFERENCE_TABLES,
    etl_build_state,
    etl_changed_rows,
)

FULL = "full"
INCREMENTAL = "incremental"
_STEP = "quality"
# A full check at least this often: the one change the scope cannot follow, a stage row moved to
# another complaint (its old complaint and siblings are not known any more), is caught by it.
FULL_CHECK_EVERY = timedelta(days=7)
# Run in this order: each may bring in rows the next ones expand from.
EXPANSIONS = (
    "check_scope_stage_complaints",
    "check_scope_shared_references",
    "check_scope_category_complaints",
    "check_scope_complaint_complaint_stages",
    "check_scope_complaint_learning_actions",
    "check_scope_complaint_ombudsman_cases",
    "check_scope_team_complaint_stages",
    "check_scope_team_feedback",
    "check_scope_team_learning_actions",
)


@dataclass
class CheckPlan:
    """What one row check validates: every staged row (``full``) or ``dq_check_scope``."""

    mode: str
    reason: str  # why a full check, or what the incremental one starts from
    after_change_id: int = 0
    up_to_change_id: int = 0
    checked_rows: int = 0  # rows in dq_check_scope (incremental)

    @property
    def full(self) -> bool:
        return self.mode == FULL


def definition() -> str:
    """sha256 of what a check is run by: the DQ suite file and the scope SQL files."""
    digest = hashlib.sha256(suite_path(DQ_SUITE).read_bytes())
    for path in sorted((SQL_DIR / _STEP).glob("check_scope_*.sql")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _latest_change(conn: Connection, council: str) -> int:
    query = select(func.max(etl_changed_rows.c.change_id)).where(
        etl_changed_rows.c.council_code == council
    )
    return int(conn.execute(query).scalar() or 0)


def plan_check(conn: Connection, council: str, as_of: str) -> CheckPlan:
    """Full or incremental, and which log rows are new."""
    state = conn.execute(
        select(dq_check_state).where(dq_check_state.c.council_code == council)
    ).first()
    latest = _latest_change(conn, council)
    if state is None:
        return CheckPlan(FULL, "no earlier row check of the council", up_to_change_id=latest)
    if state.definition != definition():
        return CheckPlan(FULL, "the DQ suite or the scope SQL changed", up_to_change_id=latest)
    if datetime.now(UTC).replace(tzinfo=None) - state.full_checked_at > FULL_CHECK_EVERY:
        return CheckPlan(FULL, "the weekly full check", up_to_change_id=latest)
    if as_of < state.as_of_date:
        return CheckPlan(
            FULL,
            f"as-of date {as_of} is earlier than the last check's {state.as_of_date}",
            up_to_change_id=latest,
        )
    built_at = conn.execute(
        select(etl_build_state.c.built_at).where(etl_build_state.c.council_code == council)
    ).scalar()
    after = state.change_id
    if built_at is not None and built_at > state.checked_at:
        unseen = conn.execute(
            sql(_STEP, "check_scope_unseen_changes"),
            {"council_code": council, "checked_at": state.checked_at},
        ).scalar()
        if unseen:
            return CheckPlan(
                FULL, "an extract's changes were built before a row check saw them", 0, latest
            )
        after = 0  # the build used up what the last check saw: every log row left is new
    first_load = conn.execute(
        select(func.count()).where(
            etl_changed_rows.c.council_code == council,
            etl_changed_rows.c.change_id > after,
            etl_changed_rows.c.change_id <= latest,
            etl_changed_rows.c.source_key == "*",
        )
    ).scalar()
    if first_load:
        return CheckPlan(FULL, "a table was loaded whole", after, latest)
    return CheckPlan(INCREMENTAL, f"changes logged after {after}", after, latest)


def _checked_reference_hashes(conn: Connection, council: str) -> dict[tuple[str, str], str]:
    t = dq_checked_references
    query = select(t.c.source_table, t.c.source_key, t.c.row_hash).where(
        t.c.council_code == council
    )
    return {(row.source_table, row.source_key): row.row_hash for row in conn.execute(query)}


def fill_scope(conn: Connection, council: str, plan: CheckPlan) -> CheckPlan:
    """Fill ``dq_check_scope`` for an incremental check; the plan, full if the changes cannot be
    followed row by row."""
    params = {"council_code": council}
    conn.execute(sql(_STEP, "check_scope_clear"), params)
    conn.execute(
        sql(_STEP, "check_scope_changes"),
        params | {"after_change_id": plan.after_change_id, "up_to_change_id": plan.up_to_change_id},
    )
    if conn.execute(sql(_STEP, "check_scope_removed_stages"), params).scalar():
        conn.execute(sql(_STEP, "check_scope_clear"), params)
        return CheckPlan(FULL, "a stage row was removed from staging", 0, plan.up_to_change_id)
    now, before = reference_row_hashes(conn, council), _checked_reference_hashes(conn, council)
    changed = {key for key in now.keys() | before.keys() if now.get(key) != before.get(key)}
    present = {
        (row.source_table, row.source_key)
        for row in conn.execute(
            select(dq_check_scope.c.source_table, dq_check_scope.c.source_key).where(
                dq_check_scope.c.council_code == council,
                dq_check_scope.c.source_table.in_(REFERENCE_TABLES),
            )
        )
    }
    rows = [
        {
            "council_code": council,
            "source_table": table,
            "source_key": key,
            "key_value": None if table == "issue_categories" else int(key),
        }
        for table, key in sorted(changed - present)
    ]
    if rows:
        conn.execute(dq_check_scope.insert(), rows)
    conn.execute(sql(_STEP, "check_scope_rejects"), params)
    for name in EXPANSIONS:
        conn.execute(sql(_STEP, name), params)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE dq_check_scope")  # filled just now: plan with its size
    count = conn.execute(
        select(func.count()).where(dq_check_scope.c.council_code == council)
    ).scalar()
    plan.checked_rows = int(count or 0)
    return plan


def scope_keys(conn: Connection, council: str) -> set[tuple[str, str]]:
    """The (table, key) pairs of ``dq_check_scope``: the rows whose rejects the check decides."""
    query = select(dq_check_scope.c.source_table, dq_check_scope.c.source_key).where(
        dq_check_scope.c.council_code == council
    )
    return {(row.source_table, row.source_key) for row in conn.execute(query)}


def record_check(conn: Connection, council: str, run_id: str, as_of: str, mode: str) -> None:
    """What this check saw, for the next one: the log's newest row now (the rejects this check
    logged included: it decided them), the teams and issue categories, the as-of date."""
    from sqlalchemy.dialects import postgresql, sqlite

    now = datetime.now(UTC).replace(tzinfo=None)
    previous = conn.execute(
        select(dq_check_state.c.full_checked_at).where(dq_check_state.c.council_code == council)
    ).scalar()
    values = {
        "definition": definition(),
        "as_of_date": as_of,
        "change_id": _latest_change(conn, council),
        "checked_at": now,
        "run_id": run_id,
        "mode": mode,
        "full_checked_at": now if mode == FULL or previous is None else previous,
    }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(dq_check_state).values(council_code=council, **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=["council_code"], set_=values))
    conn.execute(
        delete(dq_checked_references).where(dq_checked_references.c.council_code == council)
    )
    rows = [
        {"council_code": council, "source_table": t, "source_key": k, "row_hash": h}
        for (t, k), h in sorted(reference_row_hashes(conn, council).items())
    ]
    if rows:
        conn.execute(dq_checked_references.insert(), rows)
    conn.execute(delete(dq_check_scope).where(dq_check_scope.c.council_code == council))
