"""The operations alerts: a year not signed off by its deadline, and an extract gone quiet.

Plain functions, no Airflow: the ``complaints_operations_alerts`` DAG runs them on the schedule
of the setting ``operations_alerts_schedule`` (hourly), with the run's date as "now", and sends
through the channels of every other alert (``smtp_default`` to ``complaints_alert_emails``, and
the ``complaints_alert_webhook`` connection).

* **Sign-off deadline.** The financial year whose deadline passed most recently (the setting
  ``sign_off_deadline``, "06-30": the end of 30 June after the year ends, in the council's time
  zone) must have been signed off, i.e. its final report published (``dq_published_years``).
  If not, the data team and the council's Complaints Manager (``complaints_manager_email``) are
  told the council, the year and what blocks the sign-off: no data, the figures not ready (not
  reconciled, no extract since the year ended), rows rejected by rule, critical RC rules failed,
  or nothing but the Complaints Manager's approval.
* **Freshness.** No extract has succeeded for the council (``etl_extract_runs``, written when
  a run has staged every table) for longer than ``extract_stale_after_hours`` (48).

An unchanged condition is sent once: what was sent is kept in ``dq_alerts`` (check
``sign_off_deadline`` or ``extract_freshness``, unit the year or ``extract``, a fingerprint of
the condition), as the DQ/RC alerts keep theirs. A changed condition (another blocker, a newer
but again stale extract) is sent again; a condition that clears is forgotten, so it alerts
afresh if it comes back. Nothing is remembered when no channel is configured or delivery fails,
so the next check tries again.

Every function takes the council's ``Settings`` (name, code, zone, deadlines) explicitly, so a
warehouse of several councils is checked council by council.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from csc_complaints.dates import FinancialYear
from csc_complaints.db import sql
from csc_complaints.quality.alerts import SmtpSettings, deliver_if_configured
from csc_complaints.settings import Settings, sign_off_month_day

log = logging.getLogger(__name__)

SIGN_OFF_CHECK = "sign_off_deadline"  # dq_alerts.check_name
FRESHNESS_CHECK = "extract_freshness"
FRESHNESS_UNIT = "extract"

# What blocks a year's sign-off, by kind (the alert's payload groups them so).
NO_DATA = "no data"
NOT_READY = "figures not ready"
REJECTED_ROWS = "rejected rows"
FAILED_RULES = "failed RC rules"
AWAITING_APPROVAL = "awaiting approval"


@dataclass(frozen=True)
class Condition:
    """Something an operations alert reports: one unit of one check, and what to send."""

    check_name: str
    unit: str
    subject: str
    text: str
    payload: dict[str, Any]
    fingerprint: str
    extra_recipients: tuple[str, ...] = ()


@dataclass
class CheckOutcome:
    """What a check found and did: ``sent``, ``unchanged`` (already sent), ``clear`` or ``off``
    (a condition, but no channel configured)."""

    status: str
    condition: Condition | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _aware(value: Any) -> datetime | None:
    """A warehouse timestamp (naive UTC, or ISO text on SQLite) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- the sign-off deadline -----------------------------------------------------------------


def sign_off_deadline(settings: Settings, year: FinancialYear) -> datetime:
    """When ``year`` must be signed off by: the end of the ``sign_off_deadline`` day of the
    calendar year in which it ends, in the council's zone (aware)."""
    month, day = sign_off_month_day(settings.sign_off_deadline)
    last_day = datetime(year.end.year, month, day).date()
    return datetime.combine(last_day + timedelta(days=1), time(), ZoneInfo(settings.timezone))


def year_due(settings: Settings, now: datetime) -> FinancialYear:
    """The financial year whose sign-off deadline passed most recently at ``now``."""
    year = FinancialYear.containing(now.astimezone(ZoneInfo(settings.timezone)).date())
    while sign_off_deadline(settings, year) > now:
        year = year.prior
    return year


def signed_off_at(engine: Engine, council_code: str, year: FinancialYear) -> datetime | None:
    """When the year's final report was published (signed off), or None."""
    from csc_complaints.quality.tables import create_quality_schema, dq_published_years

    create_quality_schema(engine)  # a warehouse that has never been built or reconciled
    table = dq_published_years
    with engine.connect() as conn:
        value = conn.execute(
            select(table.c.published_at).where(
                table.c.council_code == council_code, table.c.financial_year == year.label
            )
        ).scalar()
    return _aware(value)


def sign_off_blockers(
    engine: Engine, settings: Settings, year: FinancialYear, output_dir: Path, now: datetime
) -> list[tuple[str, str]]:
    """What stands between the year and its sign-off, as (kind, text), kind one of NO_DATA,
    NOT_READY, REJECTED_ROWS, FAILED_RULES, AWAITING_APPROVAL. The texts are the report's own
    readiness and sign-off checks (``report.build.check_year_ready``): keys, codes, counts and
    dates, never a value from the data."""
    from csc_complaints.report.build import check_year_ready, year_directory

    readiness = check_year_ready(engine, settings, year.label, output_dir, now)
    blockers: list[tuple[str, str]] = []
    for problem in readiness.problems:
        kind = NO_DATA if "holds no stats" in problem else NOT_READY
        blockers.append((kind, problem))
    if readiness.ready:
        for reason in readiness.sign_off_blockers:
            # Reconciliation.blocking_reasons: "<n> rejected rows under DQ05" or "RC02 failed".
            kind = REJECTED_ROWS if " rejected row" in reason else FAILED_RULES
            blockers.append((kind, reason))
    if not blockers:
        draft = year_directory(output_dir, year) / f"annual-report-{year.slug}.pdf"
        blockers.append(
            (
                AWAITING_APPROVAL,
                f"the DRAFT report ({draft}) awaits the Complaints Manager's approval "
                "(approve_report in complaints_annual_report)"
                if draft.exists()
                else "the figures are ready but no report has been built: run "
                f"complaints_annual_report for {year.label}, then approve it",
            )
        )
    return blockers


def sign_off_condition(
    engine: Engine, settings: Settings, output_dir: Path, now: datetime
) -> tuple[FinancialYear, Condition | None]:
    """The year due for sign-off at ``now``, and its alert unless it is signed off."""
    year = year_due(settings, now)
    if signed_off_at(engine, settings.council_code, year) is not None:
        return year, None
    deadline = sign_off_deadline(settings, year)
    blockers = sign_off_blockers(engine, settings, year, output_dir, now)
    kinds = list(dict.fromkeys(kind for kind, _ in blockers))
    council = f"{settings.council_name} ({settings.council_code})"
    subject = (
        f"[complaints {settings.council_code}] NOT SIGNED OFF: the {year.label} annual report "
        f"of {settings.council_name} missed its deadline ({', '.join(kinds)})"
    )
    passed = (deadline - timedelta(days=1)).date()
    lines = [
        f"Council: {council}",
        f"Financial year: {year.label}",
        f"Sign-off deadline: {passed.isoformat()} (setting sign_off_deadline), passed",
        "",
        "What blocks the sign-off:",
        *(f"- {kind}: {text}" for kind, text in blockers),
        "",
        "What to do: fix what is listed (the rejected rows are in dq_rejects by complaint",
        "reference), let complaints_extract and complaints_warehouse run, then build the report",
        "(complaints_annual_report) and approve it in Airflow.",
    ]
    text = "\n".join(lines) + "\n"
    recipients = tuple(a.strip() for a in settings.complaints_manager_email.split(",") if a.strip())
    payload = {
        "text": f"{subject}\n{text}",
        "alert": SIGN_OFF_CHECK,
        "council_code": settings.council_code,
        "council_name": settings.council_name,
        "financial_year": year.label,
        "deadline": passed.isoformat(),
        "blockers": [{"kind": kind, "text": text} for kind, text in blockers],
    }
    # The condition is the year's blockers; the deadline moving or a path changing is not news.
    fingerprint = _digest([year.label, [(kind, text) for kind, text in blockers]])
    condition = Condition(
        SIGN_OFF_CHECK, year.label, subject, text, payload, fingerprint, recipients
    )
    return year, condition


# --- freshness -----------------------------------------------------------------------------


def last_extract_succeeded(engine: Engine, council_code: str) -> datetime | None:
    """When the council's latest successful extract finished (aware UTC), or None."""
    from csc_complaints.warehouse.schema import create_warehouse_schema

    create_warehouse_schema(engine)  # a warehouse that has never been extracted into
    with engine.connect() as conn:
        value = conn.execute(
            sql("report", "last_extract_finished"), {"council_code": council_code}
        ).scalar()
    return _aware(value)


def freshness_condition(
    engine: Engine, settings: Settings, now: datetime
) -> tuple[datetime | None, Condition | None]:
    """The council's last successful extract, and the freshness alert if it is too old."""
    last = last_extract_succeeded(engine, settings.council_code)
    limit = timedelta(hours=settings.extract_stale_after_hours)
    if last is not None and now - last <= limit:
        return last, None
    age = None if last is None else now - last
    since = (
        "no extract has ever succeeded"
        if last is None
        else f"the last successful extract finished {last.isoformat()} "
        f"({age.total_seconds() / 3600:.0f} hours ago)"
    )
    subject = (
        f"[complaints {settings.council_code}] STALE: no extract has succeeded for "
        f"{settings.council_name} for over {settings.extract_stale_after_hours} hours"
    )
    text = (
        "\n".join(
            [
                f"Council: {settings.council_name} ({settings.council_code})",
                f"Checked at: {now.isoformat()}",
                f"Finding: {since}",
                f"Limit: {settings.extract_stale_after_hours} hours (setting "
                "extract_stale_after_hours)",
                "",
                "What to do: look at complaints_extract in Airflow (is it paused, failing, not",
                "scheduled?) and at the complaints_source connection.",
            ]
        )
        + "\n"
    )
    payload = {
        "text": f"{subject}\n{text}",
        "alert": FRESHNESS_CHECK,
        "council_code": settings.council_code,
        "council_name": settings.council_name,
        "last_extract_succeeded": last.isoformat() if last else None,
        "stale_after_hours": settings.extract_stale_after_hours,
    }
    # The same stale extract is one condition however long it stays stale.
    fingerprint = _digest([FRESHNESS_UNIT, last.isoformat() if last else None])
    return last, Condition(FRESHNESS_CHECK, FRESHNESS_UNIT, subject, text, payload, fingerprint)


# --- sending once --------------------------------------------------------------------------


def alert_once(
    engine: Engine,
    council_code: str,
    check_name: str,
    condition: Condition | None,
    *,
    dag_id: str,
    run_id: str,
    smtp: SmtpSettings | None,
    recipients: list[str],
    webhook_url: str | None,
    now: datetime | None = None,
) -> str:
    """Send ``condition`` unless the same was sent already; forget the check's other units
    (a cleared condition, a year no longer due). Returns ``sent``, ``unchanged``, ``clear`` or
    ``off``; raises ``AlertDeliveryError`` when a configured channel fails (nothing is kept)."""
    from csc_complaints.quality.tables import create_quality_schema

    create_quality_schema(engine)
    key = {"council_code": council_code, "check_name": check_name}
    with engine.connect() as conn:
        known = dict(conn.execute(sql("quality", "select_alert_fingerprints"), key).all())
    status = "clear"
    if condition is not None:
        if known.get(condition.unit) == condition.fingerprint:
            log.info("%s %s unchanged since it was sent, not re-sent", check_name, condition.unit)
            status = "unchanged"
        else:
            to = list(dict.fromkeys([*recipients, *condition.extra_recipients]))
            what = f"{check_name} alert for {condition.unit}"
            payload = condition.payload
            if not deliver_if_configured(
                condition.subject, condition.text, payload, smtp, to, webhook_url, what
            ):
                return "off"
            log.info("alert sent: %s", condition.subject)
            status = "sent"
    keep = {condition.unit} if condition is not None else set()
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        if status == "sent":
            conn.execute(
                sql("quality", "upsert_alert_fingerprint"),
                {
                    **key,
                    "unit": condition.unit,
                    "fingerprint": condition.fingerprint,
                    "dag_id": dag_id,
                    "run_id": run_id,
                    "sent_at": stamp,
                },
            )
        for unit in sorted(set(known) - keep):
            conn.execute(sql("quality", "delete_alert_fingerprint"), {**key, "unit": unit})
    return status


def check_sign_off(
    engine: Engine,
    settings: Settings,
    output_dir: Path,
    now: datetime,
    *,
    dag_id: str,
    run_id: str,
    smtp: SmtpSettings | None,
    recipients: list[str],
    webhook_url: str | None,
) -> CheckOutcome:
    """The sign-off deadline check of one council, alerted once per condition."""
    year, condition = sign_off_condition(engine, settings, output_dir, now)
    status = alert_once(
        engine,
        settings.council_code,
        SIGN_OFF_CHECK,
        condition,
        dag_id=dag_id,
        run_id=run_id,
        smtp=smtp,
        recipients=recipients,
        webhook_url=webhook_url,
        now=now,
    )
    return CheckOutcome(status, condition, {"financial_year": year.label})


def check_freshness(
    engine: Engine,
    settings: Settings,
    now: datetime,
    *,
    dag_id: str,
    run_id: str,
    smtp: SmtpSettings | None,
    recipients: list[str],
    webhook_url: str | None,
) -> CheckOutcome:
    """The extract freshness check of one council, alerted once per condition."""
    last, condition = freshness_condition(engine, settings, now)
    status = alert_once(
        engine,
        settings.council_code,
        FRESHNESS_CHECK,
        condition,
        dag_id=dag_id,
        run_id=run_id,
        smtp=smtp,
        recipients=recipients,
        webhook_url=webhook_url,
        now=now,
    )
    return CheckOutcome(status, condition, {"last_extract_succeeded": last})
