"""Row checks (DQ rules) on what the extract just staged, and the quarantine of bad rows.

``run_row_checks`` validates the ``dq_staging`` suite with GX for the council's staging, then
writes every row a rule found to ``dq_rejects`` (one row per rule, table and key, with the
complaint's reference so the complaints team can look it up; the run that first found it is
kept) and deletes the rejects whose row no longer breaks the rule, so a row corrected in the
source loads on the next build. The warehouse build leaves rejected rows out of the facts.
It holds the council's extract lock (csc_complaints.locks): it reads staging and writes the
rejects, so it waits for an extract or source comparison of the same council to finish.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam, select

from csc_complaints.db import sql
from csc_complaints.extract.rows import batched
from csc_complaints.locks import EXTRACT, holding_council_lock
from csc_complaints.quality.gx_validation import validate_suite
from csc_complaints.quality.results import (
    RejectedRow,
    RuleResult,
    RuleVerdicts,
    row_check_result,
)
from csc_complaints.quality.suites import DQ_SUITE, load_rules
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

    def summary(self) -> str:
        """A readable verdict, fit for a log line or an ``AirflowFailException`` message."""
        if not self.failed_rules:
            return f"row checks {self.council_code}: every DQ rule passed"
        lines = [
            f"row checks {self.council_code}: {sum(self.rejected_counts.values())} rejected "
            f"row(s) kept out of the figures ({self.new_rejects} new, "
            f"{self.resolved_rejects} resolved)"
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
    engine: Engine, council_code: str, run_id: str, rejects: list[RejectedRow]
) -> tuple[int, int]:
    """Make ``dq_rejects`` hold exactly ``rejects`` for the council; (new, resolved) counts."""
    current = {(r.rule_code, r.source_table, r.source_key): r for r in rejects}
    with engine.begin() as conn:
        known = {
            (row.rule_code, row.source_table, row.source_key)
            for row in conn.execute(
                sql("quality", "select_rejects"), {"council_code": council_code}
            )
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
    return len(set(current) - known), len(resolved)


@holding_council_lock(EXTRACT)
def run_row_checks(
    warehouse_engine: Engine,
    settings: Settings,
    run_id: str,
    output_dir: Path | str | None = None,
) -> RowCheckResult:
    """Validate the council's staging with the DQ suite and quarantine the rows it finds."""
    create_quality_schema(warehouse_engine)
    output = Path(output_dir) if output_dir is not None else settings.output_path
    council = settings.council_code
    as_of = extract_as_of_date(warehouse_engine, settings, run_id)
    url = warehouse_engine.url.render_as_string(hide_password=False)
    run = validate_suite(
        url, DQ_SUITE, {"council_code": council, "as_of_date": as_of}, run_id, output
    )

    rules: list[RuleResult] = []
    all_rejects: list[RejectedRow] = []
    found = {code: _rejected_rows(code, outcome.rows) for code, outcome in run.outcomes.items()}
    references = complaint_references(
        warehouse_engine, council, [r for rejects in found.values() for r in rejects]
    )
    for rule in load_rules(DQ_SUITE):
        rejects = found[rule.code]
        for reject in rejects:
            reject.reference = references.get((reject.source_table, reject.source_key))
        rules.append(row_check_result(rule, rejects, passed=run.outcomes[rule.code].success))
        all_rejects += rejects

    new, resolved = write_rejects(warehouse_engine, council, run_id, all_rejects)
    result = RowCheckResult(
        council_code=council,
        run_id=run_id,
        as_of_date=as_of,
        rules=rules,
        rejects=all_rejects,
        new_rejects=new,
        resolved_rejects=resolved,
        data_docs_page=run.data_docs_page,
    )
    log.info("%s", result.summary())
    return result
