"""The Airflow side of the alerts: connections and variables, looked up when a task runs.

``smtp_default`` (SMTP connection), ``complaints_alert_emails`` (Variable, comma separated) and
the optional ``complaints_alert_webhook`` connection. ``airflow.sdk`` is imported inside the
functions, so the rest of the quality package never needs Airflow.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine

from csc_complaints.orchestration import ALERT_EMAILS_VARIABLE, SMTP_CONN_ID, WEBHOOK_CONN_ID
from csc_complaints.quality.alerts import (
    AlertOutcome,
    SmtpSettings,
    compose_comparison_alert,
    deliver_if_configured,
    parse_recipients,
    send_alerts,
)

log = logging.getLogger(__name__)


def _truthy(value: Any) -> bool:
    """Extras from a URI are strings: "false" must read as false."""
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def smtp_settings_from_connection(conn: Any) -> SmtpSettings:
    """SmtpSettings from the Airflow SMTP connection, read as the SMTP provider reads it.

    Extras: ``from_email``, ``timeout``, ``disable_ssl`` and ``disable_tls`` (both default
    false: SSL on, as in the provider's SmtpHook; a plain relay sets both to true).
    """
    extra = conn.extra_dejson or {}
    use_ssl = not _truthy(extra.get("disable_ssl", False))
    starttls = not use_ssl and not _truthy(extra.get("disable_tls", False))
    return SmtpSettings(
        host=conn.host or "localhost",
        port=int(conn.port or (465 if use_ssl else 25)),
        login=conn.login or None,
        password=conn.password or None,
        starttls=starttls,
        use_ssl=use_ssl,
        mail_from=extra.get("from_email") or "complaints-pipeline@localhost",
        timeout=float(extra.get("timeout", 30)),
    )


def webhook_url_from_connection(conn: Any) -> str:
    """The URL of an HTTP connection: ``https://host[:port]/path`` (host may hold the full URL).

    ``AIRFLOW_CONN_COMPLAINTS_ALERT_WEBHOOK=https://hooks.slack.com/services/T/B/X`` parses as
    conn_type https, host hooks.slack.com, schema services/T/B/X.
    """
    host = conn.host or ""
    if host.startswith(("http://", "https://")):
        base = host
    else:
        default = conn.conn_type if conn.conn_type in ("http", "https") else "https"
        scheme = (conn.extra_dejson or {}).get("scheme", default)
        base = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    path = (conn.schema or "").lstrip("/")
    return f"{base.rstrip('/')}/{path}" if path else base


def alert_channels(
    council_emails: Sequence[str] = (),
) -> tuple[SmtpSettings | None, list[str], str | None]:
    """(SMTP settings, recipients, webhook URL) from Airflow; missing pieces are None/empty.

    The recipients are the deployment's (the ``complaints_alert_emails`` Variable) and, for an
    alert about one council, that council's own (its registry ``alert_emails``)."""
    from airflow.sdk import BaseHook, Variable
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        smtp = smtp_settings_from_connection(BaseHook.get_connection(SMTP_CONN_ID))
    except AirflowNotFoundException:
        log.warning("no Airflow connection %s: alerts are not emailed", SMTP_CONN_ID)
        smtp = None
    recipients = parse_recipients(Variable.get(ALERT_EMAILS_VARIABLE, default=""))
    recipients += [e for e in council_emails if e not in recipients]
    try:
        webhook = webhook_url_from_connection(BaseHook.get_connection(WEBHOOK_CONN_ID))
    except AirflowNotFoundException:
        webhook = None
    return smtp, recipients, webhook


def send_alerts_from_airflow(
    result: Any,
    dag_id: str,
    run_id: str,
    warehouse_engine: Engine,
    airflow_run_url: str | None = None,
    council_emails: Sequence[str] = (),
) -> AlertOutcome:
    """``send_alerts`` with the channels configured in Airflow (call inside a task), to the
    deployment's recipients and ``council_emails``."""
    smtp, recipients, webhook = alert_channels(council_emails)
    return send_alerts(
        result,
        dag_id,
        run_id,
        smtp,
        recipients,
        webhook,
        warehouse_engine,
        airflow_run_url=airflow_run_url,
    )


def send_comparison_alert_from_airflow(
    result: Any,
    dag_id: str,
    run_id: str,
    airflow_run_url: str | None = None,
    council_emails: Sequence[str] = (),
) -> str:
    """Alert on what the source comparison repaired, through the channels configured in
    Airflow (call inside a task); returns the subject sent."""
    smtp, recipients, webhook = alert_channels(council_emails)
    subject, text, payload = compose_comparison_alert(result, dag_id, run_id, airflow_run_url)
    what = "source comparison alert"
    if deliver_if_configured(subject, text, payload, smtp, recipients, webhook, what):
        log.info("alert sent: %s", subject)
    return subject


def fail_task_if_critical(result: Any) -> None:
    """Fail the Airflow task (red, no retries) when ``result`` has a critical failure.

    Warnings (RC07) do not fail it: they are alerted and the run goes on.
    """
    if result.critical_failures:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(result.summary())
