"""What the DAG files share, run as a task runs it: engines from Airflow connections given as
``AIRFLOW_CONN_*`` variables, the Airflow run's URL, the quality verdict with its alert (to a
real SMTP server on loopback) and the gate that fails the task."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from csc_complaints.councils import Council, load_councils
from csc_complaints.db import make_engine
from csc_complaints.extract import run_extract
from csc_complaints.orchestration import (
    WAREHOUSE_CONN_ID,
    airflow_run_url,
    check_and_alert,
    engine_for,
    fail_if_critical,
)
from csc_complaints.settings import load_settings
from tests.quality.dataset import EXTRACT_AT, execute, seed_lax_source

RUN_ID = "scheduled__2020-09-01T08:00:00+00:00"


def _airflow_uri(url: str) -> str:
    """A database URL as a deployment writes it in ``AIRFLOW_CONN_*`` (Airflow's own schemes)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{parsed.database}"
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def test_engine_for_reaches_the_database_a_connection_names(new_database, monkeypatch):
    url = new_database()
    monkeypatch.setenv(f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}", _airflow_uri(url))
    engine = engine_for(WAREHOUSE_CONN_ID)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE reached (marker VARCHAR(20))"))
            conn.execute(text("INSERT INTO reached VALUES ('engine_for')"))
    finally:
        engine.dispose()
    expected = make_engine(url)  # the same database, opened directly
    with expected.connect() as conn:
        assert conn.execute(text("SELECT marker FROM reached")).scalar_one() == "engine_for"
    expected.dispose()


def test_engine_for_a_missing_connection_names_it(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_COMPLAINTS_NOWHERE", raising=False)
    with pytest.raises(Exception, match="complaints_nowhere"):
        engine_for("complaints_nowhere")


def test_airflow_run_url_only_when_the_api_base_url_is_set(monkeypatch):
    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    assert airflow_run_url("complaints_extract", RUN_ID) is None
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.council.example/")
    assert airflow_run_url("complaints_extract", RUN_ID) == (
        "https://airflow.council.example/dags/complaints_extract/runs/"
        "scheduled__2020-09-01T08%3A00%3A00%2B00%3A00"
    )


@pytest.fixture
def alert_inbox(monkeypatch, smtp_server):
    """Airflow's alert channels pointed at a real SMTP server on loopback (no webhook)."""
    smtp, inbox = smtp_server
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT",
        f"smtp://{smtp.host}:{smtp.port}?disable_tls=true&disable_ssl=true",
    )
    monkeypatch.setenv("AIRFLOW_VAR_COMPLAINTS_ALERT_EMAILS", "duty@council.example")
    monkeypatch.delenv("AIRFLOW_CONN_COMPLAINTS_ALERT_WEBHOOK", raising=False)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.council.example")
    return inbox


@pytest.fixture
def row_checks(new_sqlite_database, new_database, tmp_path):
    """Run the extract and the row checks of a lax source, after ``breakage`` (SQL) if any."""
    engines = []

    def run(*breakage: str):
        from csc_complaints.quality import run_row_checks

        source, warehouse = make_engine(new_sqlite_database()), make_engine(new_database())
        engines.extend([source, warehouse])
        seed_lax_source(source)
        if breakage:
            execute(source, *breakage)
        settings = load_settings()
        run_extract(source, warehouse, settings, "extract-1", now=EXTRACT_AT)
        return run_row_checks(warehouse, settings, "extract-1", tmp_path / "output"), warehouse

    yield run
    for engine in engines:
        engine.dispose()


def _council(*alert_emails: str) -> Council:
    """The settings' council as the registry gives it, with its own alert recipients."""
    (council,) = load_councils({})
    return dataclasses.replace(council, alert_emails=alert_emails)


def test_a_critical_failure_is_alerted_once_and_fails_the_gate(alert_inbox, row_checks):
    from airflow.sdk.exceptions import AirflowFailException

    result, warehouse = row_checks("UPDATE complaints SET channel = 'fax' WHERE complaint_id = 3")
    council = _council("complaints@darlington.example")
    verdict = check_and_alert(result, "complaints_extract", RUN_ID, warehouse, council)
    assert verdict == {"critical": True, "summary": result.summary()}
    assert "DQ06" in verdict["summary"]
    [(recipients, message)] = alert_inbox.messages
    # The deployment's recipients and the council's own.
    assert recipients == ["duty@council.example", "complaints@darlington.example"]
    assert council.code in message["Subject"]
    assert "DQ06" in message["Subject"]
    body = message.get_content()
    run_page = f"/dags/complaints_extract/runs/{quote(RUN_ID, safe='')}"
    assert f"Airflow run: https://airflow.council.example{run_page}" in body

    # The next run finds the same failure: the gate still fails, the alert is not sent again.
    again = check_and_alert(
        result, "complaints_extract", "scheduled__2020-09-02", warehouse, council
    )
    assert again["critical"] is True
    assert len(alert_inbox.messages) == 1
    with pytest.raises(AirflowFailException, match="DQ06"):
        fail_if_critical(again)


def test_a_clean_result_sends_nothing_and_passes_the_gate(alert_inbox, row_checks, capsys):
    result, warehouse = row_checks()
    verdict = check_and_alert(result, "complaints_extract", RUN_ID, warehouse, _council())
    assert verdict == {"critical": False, "summary": result.summary()}
    assert alert_inbox.messages == []
    fail_if_critical(verdict)  # nothing raised
    assert "no critical failure" in capsys.readouterr().out
