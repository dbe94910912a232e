"""A task that fails, through real Airflow: an error a retry cannot fix ends the task at its
first attempt (no retry, no waiting), touches no database it did not need, and sends an alert
by e-mail and webhook that names the DAG, run, task and error, says what to do and where to
look, and quotes no value from the data."""

from __future__ import annotations

import json

import pytest

from csc_complaints.db import make_engine
from tests.airflow_harness import airflow_home, dags_test, with_alert_channels
from tests.dags.test_end_to_end import airflow_uri
from tests.quality.dataset import CANARY, execute, seed_lax_source


def _extract_from_broken_source(
    tmp_path, source_url, warehouse_url, smtp_server, webhook_server, *breaks: str
) -> str:
    """The extract DAG, alerting to the test's receivers, on a clean source broken by SQL."""
    source = make_engine(source_url)
    seed_lax_source(source)
    execute(source, *breaks)
    source.dispose()
    env = airflow_home(
        tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), tmp_path / "out"
    )
    with_alert_channels(env, smtp_server[0], webhook_server[0])
    return dags_test(env, "complaints_extract", expect="failed")


def _the_alert(inbox, posted) -> tuple[str, str, dict]:
    assert len(inbox.messages) == 1, [m["Subject"] for _, m in inbox.messages]
    assert len(posted) == 1
    _, email = inbox.messages[0]
    body = email.get_body(preferencelist=("plain",)).get_content()
    return email["Subject"], body, json.loads(posted[0]["body"])


EXTRACT_TASK = "council.extract_changed_rows"  # the council's task of the mapped task group


def _ran_once_and_failed(log: str, task_id: str) -> None:
    assert log.count(f"[DAG TEST] starting task_id={task_id} ") == 1, "the task was retried"
    assert "new_state=up_for_retry" not in log


@pytest.mark.airflow
def test_invalid_settings_fail_the_first_task_at_once_and_alert(
    new_sqlite_database, tmp_path, smtp_server, webhook_server
):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    source_url = new_sqlite_database()
    seed_lax_source(make_engine(source_url))
    warehouse_file = tmp_path / "warehouse.db"
    env = airflow_home(
        tmp_path, airflow_uri(source_url), f"sqlite:///{warehouse_file}", tmp_path / "out"
    )
    with_alert_channels(env, smtp, webhook_url)
    env["COMPLAINTS_COUNCIL_CODE"] = "Darlington"  # a council name where the ONS code goes

    log = dags_test(env, "complaints_extract", expect="failed")

    # The registry (the single council of settings.toml) is read by the first task, before
    # any council's task and any database.
    _ran_once_and_failed(log, "list_councils")
    assert "starting task_id=council.extract_changed_rows" not in log
    assert not warehouse_file.exists()  # settings are checked before any database is touched
    subject, body, payload = _the_alert(inbox, posted)
    assert subject.strip() == (
        "[complaints] TASK FAILED: complaints_extract.list_councils (SettingsError)"
    )
    for part in (
        "DAG: complaints_extract",
        "Run: manual__",
        "Task: list_councils (attempt 1; not retried: a retry cannot fix this)",
        "council_code 'Darlington' is not an ONS code like E06000005",
        "What to do: Correct the setting",
        "Airflow task log: DAG complaints_extract, run manual__",
    ):
        assert part in body, body
    assert payload["error_class"] == "SettingsError"
    assert payload["task_id"] == "list_councils" and payload["retryable"] is False


@pytest.mark.airflow
@pytest.mark.postgres
def test_a_source_that_does_not_match_the_extract_sql_fails_at_once(
    new_postgres_database, new_sqlite_database, tmp_path, smtp_server, webhook_server
):
    source_url, warehouse_url = new_postgres_database(), new_sqlite_database()
    log = _extract_from_broken_source(
        tmp_path,
        source_url,
        warehouse_url,
        smtp_server,
        webhook_server,
        "ALTER TABLE complaints RENAME COLUMN channel TO contact_channel",
    )
    inbox, posted = smtp_server[1], webhook_server[1]

    _ran_once_and_failed(log, EXTRACT_TASK)
    subject, body, payload = _the_alert(inbox, posted)
    assert "complaints_extract.council.extract_changed_rows" in subject
    assert "Darlington" in subject  # the failed task's council
    assert "SQLSTATE 42703" in body and "channel" in body
    assert "include/sql/extract" in payload["what_to_do"]


@pytest.mark.airflow
def test_a_failure_alert_never_quotes_a_value_from_the_source(
    new_sqlite_database, tmp_path, smtp_server, webhook_server
):
    """The source's key holds personal data typed in the wrong field: the extract stops (a row
    without a key it can stage cannot be tracked; any other unreadable value is quarantined by
    DQ11 instead), and the alert names the table but not what the row holds."""
    source_url, warehouse_url = new_sqlite_database(), new_sqlite_database()
    log = _extract_from_broken_source(
        tmp_path,
        source_url,
        warehouse_url,
        smtp_server,
        webhook_server,
        f"UPDATE complaints SET complaint_id = '{CANARY}' WHERE complaint_id = 2",
    )
    inbox, posted = smtp_server[1], webhook_server[1]

    _ran_once_and_failed(log, EXTRACT_TASK)
    subject, body, _ = _the_alert(inbox, posted)
    assert "TASK FAILED: complaints_extract.council.extract_changed_rows" in subject
    assert "complaints" in body and "What to do:" in body
    assert CANARY not in subject + body + posted[0]["body"].decode()
