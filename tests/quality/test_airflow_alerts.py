"""The Airflow adapter: channels from Airflow connections/variables (as AIRFLOW_CONN_* and
AIRFLOW_VAR_* environment variables, as a deployment gives them) and task failure."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from csc_complaints.quality.airflow_alerts import (
    alert_channels,
    fail_task_if_critical,
    send_alerts_from_airflow,
)
from tests.quality.dataset import execute


@pytest.fixture
def airflow_channels(monkeypatch, smtp_server, webhook_server):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT",
        f"smtp://{smtp.host}:{smtp.port}?from_email={quote('etl@council.example')}"
        "&disable_tls=true&disable_ssl=true",
    )
    monkeypatch.setenv(
        "AIRFLOW_VAR_COMPLAINTS_ALERT_EMAILS", " a@council.example,b@council.example "
    )
    monkeypatch.setenv("AIRFLOW_CONN_COMPLAINTS_ALERT_WEBHOOK", webhook_url)
    return inbox, posted, webhook_url


def test_channels_come_from_airflow(airflow_channels, smtp_server, monkeypatch):
    _inbox, _posted, webhook_url = airflow_channels
    smtp, recipients, webhook = alert_channels()
    assert (smtp.host, smtp.port, smtp.mail_from) == (
        "127.0.0.1",
        smtp_server[0].port,
        "etl@council.example",
    )
    assert not smtp.starttls and not smtp.use_ssl
    assert recipients == ["a@council.example", "b@council.example"]
    assert webhook == webhook_url

    monkeypatch.delenv("AIRFLOW_CONN_COMPLAINTS_ALERT_WEBHOOK")
    assert alert_channels()[2] is None  # the webhook is optional


def test_failed_checks_alert_through_airflow_and_fail_the_task(pipeline, airflow_channels):
    from airflow.sdk.exceptions import AirflowFailException

    inbox, posted, _url = airflow_channels
    p = pipeline()
    execute(p.source, "UPDATE complaints SET channel = 'fax' WHERE complaint_id = 3")
    p.extract("extract-1")
    checks = p.row_checks("extract-1")

    outcome = send_alerts_from_airflow(checks, "complaints_extract", "extract-1", p.warehouse)
    assert outcome.reported == ["DQ06"]
    assert sorted(inbox.messages[0][0]) == ["a@council.example", "b@council.example"]
    assert [f["code"] for f in json.loads(posted[0]["body"])["failures"]] == ["DQ06"]

    with pytest.raises(AirflowFailException, match="DQ06"):
        fail_task_if_critical(checks)


def test_warnings_do_not_fail_the_task(pipeline):
    from csc_complaints.quality import record_published_figures

    p = pipeline()
    p.extract("extract-1")
    fail_task_if_critical(p.row_checks("extract-1"))  # clean: nothing raised
    build = p.build("warehouse-1")
    record_published_figures(p.warehouse, "E06000005", "2019/20")
    execute(
        p.warehouse,
        "UPDATE stats_headlines SET value = value + 1 WHERE measure = 'compliments_received'",
    )
    result = p.reconcile("warehouse-2", build.changed_years)
    assert [r.code for _y, r in result.warnings] == ["RC07"]
    fail_task_if_critical(result)  # a warning only: the task goes on
