"""Alerts: tell the people who look after the pipeline when a check fails, without Airflow.

An alert is an email (SMTP) to the recipients and, when a webhook URL is configured, a JSON POST
(Slack/Teams incoming webhook: the ``text`` field, plus the failures as data). It names the DAG,
run and council, each failed rule with its year, expected and observed values, the rejected
rows by rule and where to look (Airflow run, Data Docs). Its text comes from the suite files
(rule codes and wording) and from the rules' own messages, which hold keys, codes and dates.

A failure is reported once: each failing unit (a DQ rule, or a year's RC rule) is stored in
``dq_alerts`` with a fingerprint of what was reported; the next run sends only units that are
new or whose failure changed, and forgets units that pass again. Once a reconciliation's alert
is dealt with (sent, or nothing to send), its years are marked reported in
``dq_reconciliations``; until then they stay owed, so a run killed between reconciling and
alerting is alerted by the next one.

Why one file of over 400 lines: the alert's text, its two channels and the record of what was
already sent are one idea (say each failure once, the same way everywhere).
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from csc_complaints.db import sql
from csc_complaints.quality.reconciliation import ReconciliationResult
from csc_complaints.quality.reconciliation_record import mark_reported
from csc_complaints.quality.results import RuleResult
from csc_complaints.quality.row_checks import RowCheckResult
from csc_complaints.quality.tables import create_quality_schema

if TYPE_CHECKING:
    from csc_complaints.extract.comparison import ComparisonResult

log = logging.getLogger(__name__)

MAX_LINES_PER_RULE = 20  # the rest are in dq_rejects / reconciliation.json


class AlertDeliveryError(RuntimeError):
    """The alert could not be delivered (it will be tried again on the next run)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where to send mail (from the Airflow connection ``smtp_default``)."""

    host: str
    port: int = 25
    login: str | None = None
    password: str | None = None
    starttls: bool = False
    use_ssl: bool = False
    mail_from: str = "complaints-pipeline@localhost"
    timeout: float = 30.0


@dataclass
class AlertUnit:
    """One thing that failed and is reported (and de-duplicated) on its own."""

    unit: str  # "DQ05" or "2019/20 RC02"
    financial_year: str | None
    rule: RuleResult
    fingerprint: str


@dataclass
class AlertOutcome:
    sent: bool
    reported: list[str] = field(default_factory=list)  # units in this alert
    unchanged: list[str] = field(default_factory=list)  # failing, already reported
    subject: str = ""
    text: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(parts)).encode("utf-8")).hexdigest()


def failing_units(result: RowCheckResult | ReconciliationResult) -> tuple[str, list[AlertUnit]]:
    """The check's name and its failing units, each with a fingerprint of its failure."""
    if isinstance(result, RowCheckResult):
        units = []
        by_rule: dict[str, list[str]] = {}
        for reject in result.rejects:
            by_rule.setdefault(reject.rule_code, []).append(
                f"{reject.source_table}:{reject.source_key}"
            )
        for rule in result.failed_rules:
            # The rows, not the messages: a DQ02 message quotes the extract date, which moves.
            units.append(AlertUnit(rule.code, None, rule, _digest(by_rule.get(rule.code, []))))
        return "row_checks", units
    units = []
    for year, rec in result.years.items():
        for rule in rec.failed_rules:
            if rule.is_row_check:
                continue  # reported by the row checks; the year's counts are in the text
            parts = [d["message"] for d in rule.discrepancies]
            units.append(AlertUnit(f"{year} {rule.code}", year, rule, _digest(parts)))
    return "reconciliation", units


def _rule_lines(unit: AlertUnit) -> list[str]:
    rule = unit.rule
    head = f"- {unit.financial_year + ' ' if unit.financial_year else ''}{rule.headline()}"
    details = (
        rule.messages
        if rule.is_row_check
        else [
            d["message"] + f" (expected {d['expected']}, observed {d['observed']})"
            for d in rule.discrepancies
        ]
    )
    lines = [head] + [f"    {line}" for line in details[:MAX_LINES_PER_RULE]]
    if len(details) > MAX_LINES_PER_RULE:
        lines.append(f"    ... and {len(details) - MAX_LINES_PER_RULE} more")
    return lines


def compose_alert(
    result: RowCheckResult | ReconciliationResult,
    dag_id: str,
    run_id: str,
    units: list[AlertUnit],
    unchanged: list[str],
    airflow_run_url: str | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """Subject, plain text and webhook payload of an alert about ``units``."""
    council = result.council_code
    critical = any(u.rule.critical for u in units)
    years = sorted({u.financial_year for u in units if u.financial_year})
    codes = ", ".join(dict.fromkeys(u.rule.code for u in units))
    subject = (
        f"[complaints {council}] {'FAILED' if critical else 'WARNING'}: {codes}"
        + (f" ({', '.join(years)})" if years else "")
        + f" in {dag_id}"
    )
    lines = [
        f"DAG: {dag_id}",
        f"Run: {run_id}",
        f"Council: {council}",
    ]
    if years:
        lines.append(f"Financial year(s): {', '.join(years)}")
    lines += ["", "Failed rules (critical rules fail the task; warnings let the run go on):"]
    for unit in units:
        lines += _rule_lines(unit)

    rejected: dict[str, dict[str, int]] = {}
    docs: list[str] = []
    if isinstance(result, RowCheckResult):
        rejected["all years"] = result.rejected_counts
        if result.data_docs_page:
            docs.append(result.data_docs_page)
    else:
        for year, rec in result.years.items():
            rejected[year] = rec.rejected_counts
            # Every year of one reconciliation shares its validation's page: list it once.
            page = rec.data_docs_page
            if page and page not in docs and any(u.financial_year == year for u in units):
                docs.append(page)
    lines += ["", "Rejected rows by rule (kept out of the figures, listed in dq_rejects):"]
    for scope, counts in rejected.items():
        shown = ", ".join(f"{code} {n}" for code, n in sorted(counts.items())) or "none"
        lines.append(f"- {scope}: {shown}")
    if unchanged:
        lines += ["", f"Still failing, already reported: {', '.join(unchanged)}"]
    lines += ["", "Where to look:"]
    if airflow_run_url:
        lines.append(f"- Airflow run: {airflow_run_url}")
    else:
        lines.append(f"- Airflow: DAG {dag_id}, run {run_id}")
    lines += [f"- Data Docs: {page}" for page in docs]
    text = "\n".join(lines) + "\n"

    payload = {
        "text": f"{subject}\n{text}",
        "dag_id": dag_id,
        "run_id": run_id,
        "council_code": council,
        "failures": [
            {
                "code": u.rule.code,
                "severity": u.rule.severity,
                "financial_year": u.financial_year,
                "rule": u.rule.description,
                "expected": u.rule.expected,
                "observed": u.rule.observed,
                "details": (u.rule.messages if u.rule.is_row_check else u.rule.discrepancies)[
                    :MAX_LINES_PER_RULE
                ],
            }
            for u in units
        ],
        "rejected_rows_by_rule": rejected,
        "still_failing": unchanged,
        "airflow_run": airflow_run_url,
        "data_docs": docs,
    }
    return subject, text, payload


def send_email(smtp: SmtpSettings, recipients: list[str], subject: str, text: str) -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = smtp.mail_from
    message["To"] = ", ".join(recipients)
    message.set_content(text)
    if smtp.use_ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls and not smtp.use_ssl:
            client.starttls(context=ssl.create_default_context())
        if smtp.login:
            client.login(smtp.login, smtp.password or "")
        client.send_message(message)


def post_webhook(url: str, payload: dict[str, Any], timeout: float = 30.0) -> int:
    body = json.dumps(payload, default=str).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured)
        return response.status


NO_CHANNEL = (
    "no smtp_default connection with complaints_alert_emails recipients, and no "
    "complaints_alert_webhook connection"
)


def channels_configured(
    smtp: SmtpSettings | None, recipients: list[str], webhook_url: str | None
) -> bool:
    """Is there anywhere to send an alert?"""
    return bool((smtp is not None and recipients) or webhook_url)


def deliver(
    subject: str,
    text: str,
    payload: dict[str, Any],
    smtp: SmtpSettings | None,
    recipients: list[str],
    webhook_url: str | None,
) -> None:
    """Send one alert by e-mail and webhook; ``AlertDeliveryError`` unless every configured
    channel took it (and at least one is configured)."""
    errors, delivered = [], 0
    if smtp is not None and recipients:
        try:
            send_email(smtp, recipients, subject, text)
            delivered += 1
        except (OSError, smtplib.SMTPException) as exc:
            errors.append(f"email via {smtp.host}:{smtp.port}: {exc}")
    if webhook_url:
        try:
            post_webhook(webhook_url, payload)
            delivered += 1
        except OSError as exc:  # urllib's errors are OSErrors
            errors.append(f"webhook: {exc}")
    if errors or not delivered:
        raise AlertDeliveryError("; ".join(errors) or "no recipients and no webhook configured")


def deliver_if_configured(
    subject: str,
    text: str,
    payload: dict[str, Any],
    smtp: SmtpSettings | None,
    recipients: list[str],
    webhook_url: str | None,
    what: str,
) -> bool:
    """``deliver``, naming ``what`` in a delivery error; False (and a warning) when no channel
    is configured, so nothing was sent."""
    if not channels_configured(smtp, recipients, webhook_url):
        log.warning("alerts are off (%s), not sent: %s", NO_CHANNEL, subject)
        return False
    try:
        deliver(subject, text, payload, smtp, recipients, webhook_url)
    except AlertDeliveryError as exc:
        raise AlertDeliveryError(f"{what}: {exc}") from exc
    return True


def compose_comparison_alert(
    result: ComparisonResult, dag_id: str, run_id: str, airflow_run_url: str | None = None
) -> tuple[str, str, dict[str, Any]]:
    """Subject, text and webhook payload of what the source comparison found and repaired:
    tables, key ranges and counts only (no value, no reference)."""
    subject = (
        f"[complaints {result.council_code}] SOURCE COMPARISON: {result.repaired} staged "
        f"row(s) repaired in {dag_id}"
    )
    lines = [
        f"DAG: {dag_id}",
        f"Run: {run_id}",
        f"Council: {result.council_code}",
        "",
        "Rows the incremental extract had not seen (an updated_at older than the high-water",
        "mark: a clock out of step, a bulk fix in the database, a restored backup). The key",
        "ranges below were reloaded from the source; the row checks and the warehouse build",
        "follow.",
        "",
    ]
    lines += [f"- {table.summary()}" for table in result.differing]
    lines += [
        "",
        "Where to look:",
        f"- Airflow run: {airflow_run_url or f'DAG {dag_id}, run {run_id}'}",
    ]
    text = "\n".join(lines) + "\n"
    payload = {
        "text": f"{subject}\n{text}",
        "dag_id": dag_id,
        "run_id": run_id,
        "council_code": result.council_code,
        "repaired_rows": result.repaired,
        "tables": [
            {
                "source_table": t.source_table,
                "key_ranges": [list(r) for r in t.ranges],
                "source_rows": t.source_rows,
                "staged_rows": t.staged_rows,
                "rows_reloaded": t.rows_reloaded,
                "rows_written": t.rows_written,
                "rows_removed": t.rows_removed,
            }
            for t in result.differing
        ],
        "airflow_run": airflow_run_url,
    }
    return subject, text, payload


def parse_recipients(value: str | None) -> list[str]:
    """``complaints_alert_emails`` is comma separated; blanks are ignored."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def send_alerts(
    result: RowCheckResult | ReconciliationResult,
    dag_id: str,
    run_id: str,
    smtp: SmtpSettings | None,
    recipients: list[str] | str,
    webhook_url: str | None,
    warehouse_engine: Engine,
    *,
    airflow_run_url: str | None = None,
) -> AlertOutcome:
    """Send an alert for failures not reported yet; remember what was reported.

    Raises ``AlertDeliveryError`` when a configured channel could not deliver it (nothing is
    remembered, so the next run tries again). With no channel configured at all, alerts are
    off: a warning is logged and nothing is remembered either.
    """
    if isinstance(recipients, str):
        recipients = parse_recipients(recipients)
    create_quality_schema(warehouse_engine)
    check, units = failing_units(result)
    key = {"council_code": result.council_code, "check_name": check}
    with warehouse_engine.connect() as conn:
        known = dict(conn.execute(sql("quality", "select_alert_fingerprints"), key).all())
    failing = {u.unit for u in units}
    fresh = [u for u in units if known.get(u.unit) != u.fingerprint]
    unchanged = [u.unit for u in units if known.get(u.unit) == u.fingerprint]
    outcome = AlertOutcome(sent=False, unchanged=unchanged)

    if fresh:
        subject, text, payload = compose_alert(
            result, dag_id, run_id, fresh, unchanged, airflow_run_url
        )
        outcome.subject, outcome.text, outcome.payload = subject, text, payload
        what = f"alert for {', '.join(u.unit for u in fresh)}"
        if not deliver_if_configured(subject, text, payload, smtp, recipients, webhook_url, what):
            # Alerts are off (a laptop's `make run`): nothing is remembered, so the alert goes
            # out once a channel is configured. The findings are in dq_rejects and the outputs.
            return outcome
        outcome.sent = True
        outcome.reported = [u.unit for u in fresh]
        log.info("alert sent for %s (%s)", ", ".join(outcome.reported), subject)
    elif units:
        log.info("failures unchanged since the last alert, not re-sent: %s", ", ".join(unchanged))

    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse_engine.begin() as conn:
        for unit in fresh:
            conn.execute(
                sql("quality", "upsert_alert_fingerprint"),
                {
                    **key,
                    "unit": unit.unit,
                    "fingerprint": unit.fingerprint,
                    "dag_id": dag_id,
                    "run_id": run_id,
                    "sent_at": now,
                },
            )
        for unit in sorted(set(known) - failing):
            if isinstance(result, ReconciliationResult) and unit.split(" ")[0] not in result.years:
                continue  # a year not checked by this run: its failure still stands
            conn.execute(sql("quality", "delete_alert_fingerprint"), {**key, "unit": unit})
        if isinstance(result, ReconciliationResult):
            # Dealt with, in the transaction that remembers what was sent: a run killed before
            # this point leaves the years owed, and the next run reconciles and alerts them.
            mark_reported(conn, result.council_code, result.run_id, result.years, now)
    return outcome
