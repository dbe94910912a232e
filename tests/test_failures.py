"""Which errors a retry can fix, and what an alert may say about them: real errors from real
databases, sockets and mail servers, not hand-made exception objects where the real one can
be had."""

from __future__ import annotations

import smtplib
import socket
import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from csc_complaints.extract import ExtractError
from csc_complaints.failures import blank_quoted, classify, compose_failure_alert
from csc_complaints.report.build import YearNotReady
from csc_complaints.settings import SettingsError, load_settings
from tests.conftest import free_port

CANARY = "Quilliam-Fenwick-4471"  # a value from the data: never in an alert


def _raised(action) -> BaseException:
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 (the error is what the test is about)
        return exc
    raise AssertionError("expected an error")


def test_settings_errors_fail_at_once_and_are_quoted_whole():
    failure = classify(_raised(lambda: load_settings({"COMPLAINTS_COUNCIL_CODE": "Darlington"})))
    assert not failure.retryable
    assert failure.error_class == "SettingsError"
    assert "council_code 'Darlington'" in failure.message
    assert "COMPLAINTS_" in failure.what_to_do and "clear the task" in failure.what_to_do


def test_a_year_not_ready_fails_at_once_and_says_what_to_run():
    failure = classify(YearNotReady("the 2019/20 report cannot be built: no stats"))
    assert not failure.retryable
    assert "complaints_extract" in failure.what_to_do


def test_the_pipelines_own_messages_lose_every_quoted_value():
    failure = classify(ExtractError(f"complaints key 42: updated_at '{CANARY}' is not a timestamp"))
    assert not failure.retryable
    assert CANARY not in failure.message
    assert failure.message == "complaints key 42: updated_at '…' is not a timestamp"


def test_great_expectations_failing_on_a_locked_warehouse_is_retried():
    from csc_complaints.quality.gx_validation import ValidationError

    locked = ValidationError("dq_staging DQ02: GX could not run the rule: database is locked")
    broken = ValidationError(f"dq_staging DQ02: GX could not run the rule: near '{CANARY}'")
    assert classify(locked).retryable
    assert not classify(broken).retryable and CANARY not in classify(broken).message


def test_a_python_error_is_named_by_its_class_alone():
    failure = classify(_raised(lambda: int(CANARY)))
    assert (failure.error_class, failure.retryable) == ("ValueError", False)
    assert CANARY not in failure.message and "task log" in failure.message


def test_a_missing_sqlite_table_is_a_schema_mismatch(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'source.db'}")
    with engine.connect() as conn:
        error = _raised(lambda: conn.execute(text("SELECT reference FROM complaints")))
    failure = classify(error)
    assert not failure.retryable
    assert "no such table: complaints" in failure.message
    assert "include/sql/extract" in failure.what_to_do


def test_a_locked_sqlite_database_is_retried(tmp_path):
    path = tmp_path / "warehouse.db"
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    with engine.connect() as conn:
        error = _raised(lambda: conn.execute(text("SELECT * FROM t")))
    holder.rollback()
    failure = classify(error)
    assert failure.retryable, failure
    assert "SQLITE_BUSY" in failure.message


@pytest.mark.postgres
def test_a_login_postgresql_refuses_is_not_retried(postgres_server):
    from sqlalchemy.engine import make_url

    for url in (
        make_url(postgres_server).set(database="no_such_database_here"),
        make_url(postgres_server).set(username="no_such_role_here"),
    ):
        failure = classify(_raised(create_engine(url).connect))
        assert not failure.retryable, failure
        assert "does not exist" in failure.message
        assert "check the Airflow connection" in failure.what_to_do


def test_a_refused_postgresql_connection_is_retried():
    engine = create_engine(f"postgresql+psycopg2://nobody@127.0.0.1:{free_port()}/none")
    failure = classify(_raised(engine.connect))
    assert failure.retryable
    assert "Airflow retries" in failure.what_to_do


@pytest.mark.postgres
def test_postgresql_errors_by_sqlstate(new_postgres_database):
    engine = create_engine(new_postgres_database())
    with engine.connect() as conn:
        missing = classify(_raised(lambda: conn.execute(text("SELECT x FROM complaints"))))
        conn.rollback()
        bad_value = classify(
            _raised(lambda: conn.execute(text(f"SELECT CAST('{CANARY}' AS integer)")))
        )
        conn.rollback()
    assert not missing.retryable
    assert "SQLSTATE 42P01" in missing.message and '"complaints"' in missing.message
    assert not bad_value.retryable
    assert "SQLSTATE 22P02" in bad_value.message
    assert CANARY not in bad_value.message


def test_a_refused_socket_is_retried_and_a_missing_file_is_not(tmp_path):
    refused = _raised(lambda: socket.create_connection(("127.0.0.1", free_port()), timeout=2))
    assert classify(refused).retryable
    assert "ECONNREFUSED" in classify(refused).message
    missing = _raised(lambda: (tmp_path / "nowhere.json").read_text())
    assert not classify(missing).retryable


def _smtp_server_answering(code: int, text_: str) -> int:
    """A one-shot SMTP server on loopback that refuses MAIL FROM with ``code``."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"220 test\r\n")
            for line in conn.makefile("rb"):
                if line.upper().startswith((b"EHLO", b"HELO")):
                    conn.sendall(b"250 test\r\n")
                elif line.upper().startswith(b"MAIL"):
                    conn.sendall(f"{code} {text_}\r\n".encode())
                elif line.upper().startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    break
                else:
                    conn.sendall(b"250 ok\r\n")
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


@pytest.mark.parametrize(("code", "retryable"), [(421, True), (550, False)])
def test_mail_server_refusals(code, retryable):
    port = _smtp_server_answering(code, "not now")

    def send():
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
            client.sendmail("a@example.org", ["b@example.org"], "Subject: x\r\n\r\nx")

    failure = classify(_raised(send))
    assert failure.retryable is retryable
    assert str(code) in failure.message


def test_an_error_without_a_driver_code_is_named_by_its_class():
    failure = classify(DBAPIError("SELECT 1", {}, RuntimeError(CANARY)))
    assert CANARY not in failure.message


def test_blank_quoted_blanks_single_and_double_quoted_values():
    assert blank_quoted(f"""a 'x' b "{CANARY}" c""") == "a '…' b '…' c"


def test_the_failure_alert_names_dag_run_task_error_and_where_to_look():
    failure = classify(SettingsError("council_code 'X' is not an ONS code"))
    subject, text_, payload = compose_failure_alert(
        dag_id="complaints_extract",
        run_id="manual__2020-09-01",
        task_id="extract_changed_rows",
        try_number=1,
        max_tries=2,
        failure=failure,
        council_code=None,
        log_url="http://airflow.example/dags/complaints_extract/runs/r/tasks/extract_changed_rows",
    )
    assert (
        subject
        == "[complaints] TASK FAILED: complaints_extract.extract_changed_rows (SettingsError)"
    )
    for part in (
        "DAG: complaints_extract",
        "Run: manual__2020-09-01",
        "Task: extract_changed_rows (attempt 1; not retried: a retry cannot fix this)",
        "Error: SettingsError",
        "What to do: Correct the setting",
        "In the Airflow UI: http://airflow.example/",
    ):
        assert part in text_, text_
    assert payload["error_class"] == "SettingsError" and payload["retryable"] is False


def _body_raising(error: BaseException):
    from csc_complaints.orchestration import fail_fast

    @fail_fast
    def task_body(run_id: str | None = None) -> None:
        """A task body."""
        raise error

    return task_body


def test_fail_fast_ends_the_task_on_what_a_retry_cannot_fix():
    from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

    for error in (
        SettingsError("council_code 'X' is not an ONS code"),
        AirflowNotFoundException("The conn_id `complaints_source` isn't defined"),
    ):
        with pytest.raises(AirflowFailException, match="What to do:") as failed:
            _body_raising(error)(run_id="r")
        assert failed.value.__cause__ is error


def test_fail_fast_leaves_transient_faults_and_airflows_own_exceptions_alone():
    from airflow.sdk.exceptions import AirflowSkipException

    for error in (
        _raised(lambda: socket.create_connection(("127.0.0.1", free_port()), timeout=2)),
        AirflowSkipException("draft only"),
    ):
        with pytest.raises(type(error)) as raised:
            _body_raising(error)()
        assert raised.value is error
    body = _body_raising(ValueError())
    assert body.fails_fast and body.__doc__ == "A task body."
    assert list(__import__("inspect").signature(body).parameters) == ["run_id"]
