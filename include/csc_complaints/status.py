"""What the Complaints page shows: each council's financial years and where each one stands.

Plain functions, no Airflow: ``warehouse_status`` reads the warehouse (stats builds, rejected
rows, reconciliations, published figures, extract runs) and each council's output folder
(``<output>/<council_code>``) for every council of the registry (``csc_complaints.councils``)
and any other the warehouse holds, and takes what
Airflow knows about the annual report's runs (its human-in-the-loop sign-off) as plain records,
``ReportRun``. The Airflow plugin (``plugins/complaints_status_page.py``, app in
``csc_complaints.status_app``) reads those records from Airflow's metadata database and serves
the result as JSON (``GET /complaints/api/status``) and as the page ``/complaints/``. The
links each year shows come from ``csc_complaints.status_links``.

A year's state, the first that applies:

* ``restated``: its final report was published and RC07 now finds a figure that changed since;
* ``signed_off``: its final report was published (``dq_published_years``), by whom and when
  from the sign-off (the approval's responder; the publication time when Airflow has no record);
* ``awaiting_sign_off``: a run of the report is waiting for the Complaints Manager's approval,
  since the approval was requested;
* ``draft``: the DRAFT report is in the output folder (and was not signed off);
* ``not_built``: the figures are in the warehouse but no report was built yet;
* ``no_data``: the warehouse holds nothing for the year (listed for the year just ended).

Nothing here is personal data: rejected rows are shown as ``dq_rejects`` holds them (keys,
codes, dates, the complaint's reference) and rules as the reconciliation recorded them.

Why one file of over 400 lines: each state of a council's year is decided from several records
(warehouse, reconciliation, Airflow's runs and approvals, output files) in one order of
precedence, which reads best in one place (the links are in status_links.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect

from csc_complaints.dates import FinancialYear
from csc_complaints.db import sql
from csc_complaints.status_links import (
    Link,
    dag_run_href,
    year_links,
)

STEP = "status"
EXTRACT_DAG = "complaints_extract"

STATES = ("restated", "signed_off", "awaiting_sign_off", "draft", "not_built", "no_data")
STATE_LABELS = {
    "restated": "Restated since publication",
    "signed_off": "Signed off",
    "awaiting_sign_off": "Awaiting sign-off",
    "draft": "Built as DRAFT",
    "not_built": "Figures ready, no report built",
    "no_data": "No data",
}
# The warehouse tables the page reads; a warehouse without them has no data yet.
NEEDED_TABLES = frozenset(
    {"etl_extract_runs", "etl_year_builds", "dq_rejects", "dq_reconciliations",
     "dq_reconciliation_results", "dq_published_years"}
)  # fmt: skip


@dataclass(frozen=True)
class Council:
    """A council the page lists: its ONS code, its name when known, its output folder."""

    code: str
    name: str | None
    output_dir: Path


@dataclass(frozen=True)
class ReportRun:
    """One run of ``complaints_annual_report`` as Airflow records it (read by the plugin).

    ``approval``: ``waiting`` (the Complaints Manager has been asked), ``approved``,
    ``rejected``, or None (the run has not reached its sign-off, or skipped it).
    """

    council_code: str
    financial_year: str
    run_id: str
    run_state: str | None = None
    started_at: datetime | None = None
    approval: str | None = None
    requested_at: datetime | None = None
    responded_at: datetime | None = None
    responded_by: str | None = None


@dataclass
class YearStatus:
    """One council's financial year, as the page and ``GET /complaints/api/status`` show it."""

    council_code: str
    council_name: str | None
    financial_year: str
    state: str
    summary: str  # one sentence: the state, since when, by whom
    since: datetime | None = None  # when the year entered its state
    signed_off_by: str | None = None
    signed_off_at: datetime | None = None
    published_at: datetime | None = None
    draft_built_at: datetime | None = None
    sign_off_blockers: list[str] = field(default_factory=list)
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    reconciled_at: datetime | None = None
    last_extract: dict[str, Any] | None = None
    links: list[Link] = field(default_factory=list)

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    def as_json(self) -> dict[str, Any]:
        return {
            "council_code": self.council_code,
            "council_name": self.council_name,
            "financial_year": self.financial_year,
            "state": self.state,
            "state_label": self.label,
            "summary": self.summary,
            "since": _iso(self.since),
            "signed_off_by": self.signed_off_by,
            "signed_off_at": _iso(self.signed_off_at),
            "published_at": _iso(self.published_at),
            "draft_built_at": _iso(self.draft_built_at),
            "sign_off_blockers": self.sign_off_blockers,
            "rejected_rows": self.rejected_rows,
            "rules": self.rules,
            "reconciled_at": _iso(self.reconciled_at),
            "last_extract": self.last_extract,
            "links": [link.as_json() for link in self.links],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _utc(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (the warehouse keeps naive UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _has_tables(engine: Engine) -> bool:
    return set(inspect(engine).get_table_names()) >= NEEDED_TABLES


def list_councils(engine: Engine, registered: Sequence[Any]) -> list[Council]:
    """The councils the page lists: the council registry's (``csc_complaints.councils.
    load_councils()``, in registry order, each with its own output folder), then every other
    council code the warehouse holds (sorted; its folder ``<output>/<council_code>``, its name
    unknown: a council since taken out of the registry, say)."""
    listed = [Council(c.code, c.name, c.output_path) for c in registered]
    known = {council.code for council in listed}
    codes: set[str] = set()
    if _has_tables(engine):
        with engine.connect() as conn:
            codes = {row.council_code for row in conn.execute(sql(STEP, "councils"))}
    root = registered[0].settings.output_root if registered else None
    others = [
        Council(code, None, root / code) for code in sorted(codes - known) if root is not None
    ]
    return [*listed, *others]


def age_text(delta_seconds: float) -> str:
    """How long ago, in words a person reads at a glance: ``2 days 3 hours ago``."""
    seconds = max(0, int(delta_seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours and days < 7:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts) + " ago"


def _last_extract(conn, council_code: str, now: datetime, dag_of_run) -> dict[str, Any] | None:
    row = conn.execute(sql(STEP, "last_extract"), {"council_code": council_code}).first()
    if row is None or row.finished_at is None:
        return None
    finished = _utc(row.finished_at)
    age = (now - finished).total_seconds()
    dag_id = dag_of_run.get(row.run_id, EXTRACT_DAG)
    return {
        "run_id": row.run_id,
        "dag_id": dag_id,
        "finished_at": _iso(finished),
        "finished": _when(finished),
        "age_seconds": int(age),
        "age": age_text(age),
        "href": dag_run_href(dag_id, row.run_id),
    }


def _by_year(conn, name: str, params: dict[str, Any]) -> dict[str, Any]:
    return {row.financial_year: row for row in conn.execute(sql(STEP, name), params)}


def _latest_runs(runs: Iterable[ReportRun], council_code: str) -> dict[str, list[ReportRun]]:
    """The council's report runs by year, latest first."""
    by_year: dict[str, list[ReportRun]] = {}
    oldest = datetime.min.replace(tzinfo=UTC)
    for run in sorted(runs, key=lambda r: (r.started_at or oldest, r.run_id), reverse=True):
        if run.council_code == council_code:
            by_year.setdefault(run.financial_year, []).append(run)
    return by_year


def _rule_json(rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "severity": rule.severity,
        "rule": rule.description,
        "passed": rule.passed,
        "expected": rule.expected,
        "observed": rule.observed,
        "discrepancies": len(rule.discrepancies),
    }


def council_status(
    engine: Engine,
    council: Council,
    report_runs: Sequence[ReportRun] = (),
    now: datetime | None = None,
    dag_of_run: Mapping[str, str] | None = None,
) -> list[YearStatus]:
    """Every financial year of one council, newest first: the warehouse's years and the year
    just ended (``no_data`` when the warehouse holds nothing for it)."""
    from csc_complaints.quality.reconciliation import rejects_by_year
    from csc_complaints.quality.reconciliation_record import load_recorded_years

    now = now or datetime.now(UTC)
    dag_of_run = dag_of_run or {}
    code = council.code
    just_ended = FinancialYear.containing(now.date()).prior.label
    if not _has_tables(engine):
        years, builds, published, recorded, last_extract = [just_ended], {}, {}, {}, None
        rejects: dict[str, list] = {just_ended: []}
    else:
        params = {"council_code": code}
        with engine.connect() as conn:
            years = {row.financial_year for row in conn.execute(sql(STEP, "years"), params)}
            builds = _by_year(conn, "year_builds", params)
            published = _by_year(conn, "published_years", params)
            last_extract = _last_extract(conn, code, now, dag_of_run)
        years = sorted(years | {just_ended}, key=FinancialYear.parse, reverse=True)
        recorded = load_recorded_years(engine, code, years)
        rejects = rejects_by_year(engine, code, years)
    runs = _latest_runs(report_runs, code)
    return [
        _year_status(
            council,
            year,
            builds.get(year),
            published.get(year),
            recorded.get(year),
            rejects.get(year, []),
            runs.get(year, []),
            last_extract,
            dag_of_run,
        )
        for year in years
    ]


def _year_status(
    council: Council,
    year_label: str,
    build,
    published,
    recorded,
    rejects,
    runs: list[ReportRun],
    last_extract: dict[str, Any] | None,
    dag_of_run: Mapping[str, str],
) -> YearStatus:
    from csc_complaints.report.build import year_directory

    year = FinancialYear.parse(year_label)
    code = council.code
    rules = list(recorded.rules) if recorded else []
    rc_rules = [rule for rule in rules if not rule.is_row_check]
    directory = year_directory(council.output_dir, year)
    pdf = directory / f"annual-report-{year.slug}.pdf"
    status = YearStatus(code, council.name, year.label, "no_data", "", last_extract=last_extract)
    status.rules = [_rule_json(rule) for rule in rc_rules]
    status.rejected_rows = [
        {
            "rule": reject.rule_code,
            "reference": reject.reference,
            "table": reject.source_table,
            "key": reject.source_key,
            "message": reject.message,
        }
        for reject in rejects
    ]
    status.reconciled_at = recorded.reconciled_at if recorded else None
    blockers = sign_off_blockers(council, year, recorded) if build or recorded else []
    status.sign_off_blockers = blockers

    approved = next((run for run in runs if run.approval == "approved"), None)
    waiting = next((run for run in runs if run.approval == "waiting"), None)
    rejected = next((run for run in runs if run.approval == "rejected"), None)
    restated = any(rule.code == "RC07" and not rule.passed for rule in rules)
    if pdf.exists():
        status.draft_built_at = datetime.fromtimestamp(pdf.stat().st_mtime, UTC)

    if published is not None:
        status.published_at = _utc(published.published_at)
        signer = next((run for run in runs if run.run_id == published.run_id), approved)
        status.signed_off_by = signer.responded_by if signer else None
        status.signed_off_at = (
            signer.responded_at if signer and signer.responded_at else status.published_at
        )
        signed = (
            f"signed off by {status.signed_off_by} on {_when(status.signed_off_at)}"
            if status.signed_off_by
            else f"published on {_when(status.published_at)} (Airflow holds no record of "
            "who signed it off)"
        )
        if restated:
            status.state, status.since = "restated", status.reconciled_at
            status.summary = (
                f"Published figures have changed since publication (RC07, found "
                f"{_when(status.reconciled_at)}); the report was {signed}."
            )
        else:
            status.state, status.since = "signed_off", status.signed_off_at
            status.summary = f"Final report {signed}."
    elif waiting is not None:
        status.state, status.since = "awaiting_sign_off", waiting.requested_at
        status.summary = (
            f"The DRAFT is waiting for the Complaints Manager's sign-off since "
            f"{_when(waiting.requested_at)}."
        )
    elif status.draft_built_at is not None:
        status.state, status.since = "draft", status.draft_built_at
        status.summary = f"Built as a DRAFT on {_when(status.draft_built_at)}"
        if rejected is not None:
            status.summary += (
                f"; sign-off rejected by {rejected.responded_by or 'someone unrecorded'} on "
                f"{_when(rejected.responded_at)}"
            )
        status.summary += (
            "; it cannot be signed off while it has: " + "; ".join(blockers) + "."
            if blockers
            else "; not yet sent for sign-off."
        )
    elif build is not None:
        status.state, status.since = "not_built", _utc(build.built_at)
        status.summary = (
            f"Figures built on {_when(status.since)}; no report built yet "
            f"(complaints_annual_report builds it)."
        )
    else:
        status.summary = (
            f"The warehouse holds nothing for {year.label}: run complaints_extract and "
            "complaints_warehouse."
        )

    if runs and runs[0].run_state == "failed":
        status.summary += f" The latest report run ({runs[0].run_id}) failed: see its task log."
    status.links = year_links(council, year, recorded, runs, published, dag_of_run, pdf, directory)
    return status


def sign_off_blockers(council: Council, year: FinancialYear, recorded) -> list[str]:
    """Why the year cannot be signed off, in the words of the approval step
    (``Reconciliation.blocking_reasons``), from the warehouse's record of its reconciliation."""
    from csc_complaints.report.reconciliation import (
        CheckResult,
        Reconciliation,
        reconciliation_path,
    )

    path = reconciliation_path(council.output_dir, year)
    if recorded is None:
        return Reconciliation(path=path, available=False).blocking_reasons()
    results = tuple(
        CheckResult(
            code=rule.code,
            severity=rule.severity,
            passed=rule.passed,
            expected="" if rule.expected is None else str(rule.expected),
            observed="" if rule.observed is None else str(rule.observed),
            rule=rule.description,
        )
        for rule in recorded.rules
    )
    rejected = {rule.code: int(rule.observed or 0) for rule in recorded.rules if rule.is_row_check}
    return Reconciliation(path, True, results, rejected).blocking_reasons()


def _when(value: datetime | None) -> str:
    return value.strftime("%d %B %Y %H:%M UTC") if value else "an unknown time"


def warehouse_status(
    engine: Engine,
    registered: Sequence[Any],
    report_runs: Sequence[ReportRun] = (),
    now: datetime | None = None,
    dag_of_run: Mapping[str, str] | None = None,
) -> list[YearStatus]:
    """Every council's years (``list_councils``: the registry's councils first)."""
    now = now or datetime.now(UTC)
    return [
        status
        for council in list_councils(engine, registered)
        for status in council_status(engine, council, report_runs, now, dag_of_run)
    ]
