"""Row checks (DQ rules) on what the extract just staged, and the quarantine of bad rows.

``run_row_checks`` validates the ``dq_staging`` suite with GX, then writes every row a rule found
to ``dq_rejects`` (one row per rule, table and key, with the complaint's reference so the
complaints team can look it up; the run that first found it is kept) and deletes the rejects
whose row no longer breaks the rule, so a row corrected in the source loads on the next build.
The check is incremental (csc_complaints.quality.check_scope): GX validates the same rules on the
rows that changed since the last check and the rows whose verdict can change with them
(``dq_check_scope``, which every rule query then joins), and only the rejects of those rows are
added or resolved; the first check of a council, or one after the suite changed, is a full one.
The verdict (every rule's rejected rows) is read back from ``dq_rejects``, so it is the whole
council's, as a full check would give it. The warehouse build leaves rejected rows out of the facts.
It holds the council's extract lock (csc_complaints.locks): it reads staging and writes the
rejects, so it waits for an extract or source comparison of the same council to finish.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, bindparam, select

from csc_complaints.db import sql
from csc_complaints.extract.rows import batched
from csc_complaints.locks import EXTRACT, holding_council_lock
from csc_complaints.quality.check_scope import (
    CheckPlan,
    fill_scope,
    plan_check,
    record_check,
    scope_keys,
)
from csc_complaints.quality.gx_validation import validate_suite
from csc_complaints.quality.results import (
    RejectedRow,
    RuleResult,
    RuleVerdicts,
    row_check_result,
)
from csc_complaints.quality.suites import DQ_SUITE, load_rules, scoped_to_checked_rows
from csc_complaints.quality.tables import create_quality_schema
from csc_complaints.settings import Settings
from csc_complaints.warehouse.incremental import log_keys
from csc_complaints.warehouse.schema import STAGING

log = logging.getLogger(__name__)


@dataclass
class RowCheckResult(RuleVerdicts):
    """The DQ verdict on a council's staging after one extract."""

    council_code: str
    run_id: str
    as_of_date: str  # no business date may be later than this (DQ02)
    rules: list[RuleResult]
    rejects: list[RejectedRow] = field(default_factory=list)
    new_rejects: int = 0  # rows rejected for the first time by this run
    resolved_rejects: int = 0  # rows no longer rejected (corrected in the source)
    data_docs_page: str | None = None
    mode: str = "full"  # or "incremental": which rows GX validated (check_scope)
    checked_rows: int | None = None  # rows in the incremental check's scope

    def summary(self) -> str:
        """A readable verdict, fit for a log line or an ``AirflowFailException`` message."""
        checked = (
            "every staged row checked"
            if self.checked_rows is None
            else f"{self.checked_rows} changed or dependent row(s) checked"
        )
        if not self.failed_rules:
            return f"row checks {self.council_code}: every DQ rule passed ({checked})"
        lines = [
            f"row checks {self.council_code}: {sum(self.rejected_counts.values())} rejected "
            f"row(s) kept out of the figures ({self.new_rejects} new, "
            f"{self.resolved_rejects} resolved; {checked})"
        ]
        lines += [rule.headline() for rule in self.failed_rules]
        if self.data_docs_page:
            lines.append(f"Data Docs: {self.data_docs_page}")
        return "\n".join(lines)


def extract_as_of_date(engine: Engine, settings: Settings, run_id: str | None) -> str:
    """The local date the extract ran (its start, in the council's time zone), ISO text."""
    with engine.connect() as conn:
        started = conn.execute(
            sql("quality", "extract_started_at"),
            {"council_code": settings.council_code, "run_id": run_id},
        ).scalar()
        if started is None and run_id is not None:
            started = conn.execute(
                sql("quality", "extract_started_at"),
                {"council_code": settings.council_code, "run_id": None},
            ).scalar()
    if isinstance(started, str):  # SQLite may hand back text
        started = datetime.fromisoformat(started)
    moment = (started or datetime.now(UTC).replace(tzinfo=None)).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(settings.timezone)).date().isoformat()


def _rejected_rows(rule_code: str, rows: list[dict]) -> list[RejectedRow]:
    """The GX rows of one rule, one RejectedRow per (table, key) with its messages joined."""
    messages: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        messages[(str(row["source_table"]), str(row["source_key"]))].add(str(row["message"]))
    return [
        RejectedRow(rule_code, table, key, "; ".join(sorted(found)))
        for (table, key), found in sorted(messages.items())
    ]


def complaint_references(
    engine: Engine, council_code: str, rejects: list[RejectedRow]
) -> dict[tuple[str, str], str]:
    """(table, key) -> the reference of the rejected row's complaint: a complaint's own, or
    that of the complaint a stage row, learning action or ombudsman case belongs to (staging
    holds every complaint the source has, deleted ones too). Looked up by primary key, a few
    rows at a time. Teams, issue categories and feedback belong to no complaint."""
    complaints = STAGING["complaints"][0].alias("complaint")
    keys: dict[str, set[int]] = defaultdict(set)
    for reject in rejects:
        table = STAGING[reject.source_table][0]
        if "complaint_id" in table.columns and reject.source_key.lstrip("-").isdigit():
            keys[reject.source_table].add(int(reject.source_key))
    found: dict[tuple[str, str], str] = {}
    with engine.connect() as conn:
        for source_table, wanted in keys.items():
            table, key = STAGING[source_table]
            query = (
                select(table.c[key], complaints.c.reference)
                .join_from(
                    table,
                    complaints,
                    (complaints.c.council_code == table.c.council_code)
                    & (complaints.c.complaint_id == table.c.complaint_id),
                )
                .where(
                    table.c.council_code == council_code,
                    table.c[key].in_(bindparam("keys", expanding=True)),
                    complaints.c.reference.is_not(None),
                )
            )
            for chunk in batched(sorted(wanted), 1000):
                for key_value, reference in conn.execute(query, {"keys": chunk}):
                    found[(source_table, str(key_value))] = reference
    return found


def write_rejects(
    engine: Engine,
    council_code: str,
    run_id: str,
    rejects: list[RejectedRow],
    checked: set[tuple[str, str]] | None = None,
    then: Callable[[Connection], None] | None = None,
) -> tuple[int, int]:
    """Make ``dq_rejects`` hold exactly ``rejects`` for the council's rows that were checked
    (``checked``: (table, key) pairs; None: every row); (new, resolved) counts. The rejects of
    rows outside ``checked`` are left as they are. ``then`` runs in the same transaction."""
    current = {(r.rule_code, r.source_table, r.source_key): r for r in rejects}
    with engine.begin() as conn:
        known = {
            (row.rule_code, row.source_table, row.source_key)
            for row in conn.execute(
                sql("quality", "select_rejects"), {"council_code": council_code}
            )
            if checked is None or (row.source_table, row.source_key) in checked
        }
        resolved = sorted(known - set(current))
        if resolved:
            conn.execute(
                sql("quality", "delete_reject"),
                [
                    {
                        "council_code": council_code,
                        "rule_code": c,
                        "source_table": t,
                        "source_key": k,
                    }
                    for c, t, k in resolved
                ],
            )
        if current:
            conn.execute(
                sql("quality", "upsert_reject"),
                [
                    {
                        "council_code": council_code,
                        "rule_code": r.rule_code,
                        "source_table": r.source_table,
                        "source_key": r.source_key,
                        "run_id": run_id,
                        "message": r.message,
                        "reference": r.reference,
                    }
                    for r in current.values()
                ],
            )
        # The rows whose verdict changed, for the incremental build (a row newly rejected
        # leaves the facts, a corrected one comes back).
        log_keys(
            conn,
            council_code,
            ((table, key) for _, table, key in set(current).symmetric_difference(known)),
        )
        if then is not None:
            then(conn)
    return len(set(current) - known), len(resolved)


def council_rejects(engine: Engine, council_code: str) -> dict[str, list[RejectedRow]]:
    """Rule code -> the council's rejected rows now, as ``dq_rejects`` holds them."""
    found: dict[str, list[RejectedRow]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(sql("quality", "select_rejects"), {"council_code": council_code}):
            found[row.rule_code].append(
                RejectedRow(
                    row.rule_code, row.source_table, row.source_key, row.message, row.reference
                )
            )
    return found


def _plan(engine: Engine, council: str, as_of: str, full: bool) -> CheckPlan:
    with engine.begin() as conn:
        plan = plan_check(conn, council, as_of)
        if full and not plan.full:
            plan = CheckPlan("full", "a full check was asked for", 0, plan.up_to_change_id)
        if not plan.full:
            plan = fill_scope(conn, council, plan)
    return plan


@holding_council_lock(EXTRACT)
def run_row_checks(
    warehouse_engine: Engine,
    settings: Settings,
    run_id: str,
    output_dir: Path | str | None = None,
    *,
    full: bool = False,
) -> RowCheckResult:
    """Validate the council's staging with the DQ suite and quarantine the rows it finds: the
    rows changed since the last check and those whose verdict can change with them, or every
    row (``full``, or when check_scope says the changes cannot be followed row by row)."""
    create_quality_schema(warehouse_engine)
    output = Path(output_dir) if output_dir is not None else settings.output_path
    council = settings.council_code
    as_of = extract_as_of_date(warehouse_engine, settings, run_id)
    plan = _plan(warehouse_engine, council, as_of, full)
    log.info("row checks %s: %s (%s)", council, plan.mode, plan.reason)
    if not plan.full and plan.checked_rows == 0:
        # Nothing changed since the last check and no row is rejected (rejected rows are always
        # in scope): every rule would validate no row. Great Expectations is not started for
        # nothing: a shared service's councils whose sources did not change cost a query each.
        log.info("row checks %s: no row to check since the last check", council)
        found: dict[str, list[RejectedRow]] = {rule.code: [] for rule in load_rules(DQ_SUITE)}
        data_docs_page = None
    else:
        url = warehouse_engine.url.render_as_string(hide_password=False)
        run = validate_suite(
            url,
            DQ_SUITE,
            {"council_code": council, "as_of_date": as_of},
            run_id,
            output,
            rewrite=None if plan.full else scoped_to_checked_rows,
        )
        found = {code: _rejected_rows(code, o.rows) for code, o in run.outcomes.items()}
        data_docs_page = run.data_docs_page
    references = complaint_references(
        warehouse_engine, council, [r for rejects in found.values() for r in rejects]
    )
    checked_rejects: list[RejectedRow] = []
    for rule in load_rules(DQ_SUITE):
        for reject in found[rule.code]:
            reject.reference = references.get((reject.source_table, reject.source_key))
            checked_rejects.append(reject)

    checked = None
    if not plan.full:
        with warehouse_engine.connect() as conn:
            checked = scope_keys(conn, council)
    new, resolved = write_rejects(
        warehouse_engine,
        council,
        run_id,
        checked_rejects,
        checked,
        then=lambda conn: record_check(conn, council, run_id, as_of, plan.mode),
    )
    # The verdict is the council's: the rows checked now and those whose rejects stand.
    now = council_rejects(warehouse_engine, council) if checked is not None else found
    rules: list[RuleResult] = []
    all_rejects: list[RejectedRow] = []
    for rule in load_rules(DQ_SUITE):
        rejects = now.get(rule.code, [])
        # A full check's verdict is GX's; an incremental one's, the council's rejects now.
        passed = run.outcomes[rule.code].success if checked is None else not rejects
        rules.append(row_check_result(rule, rejects, passed=passed))
        all_rejects += rejects
    result = RowCheckResult(
        council_code=council,
        run_id=run_id,
        as_of_date=as_of,
        rules=rules,
        rejects=all_rejects,
        new_rejects=new,
        resolved_rejects=resolved,
        data_docs_page=data_docs_page,
        mode=plan.mode,
        checked_rows=plan.checked_rows if checked is not None else None,
    )
    log.info("%s", result.summary())
    return result
