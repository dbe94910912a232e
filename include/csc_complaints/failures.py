"""Why a task failed, read for a person: can a retry fix it, what may an alert quote, what to do.

Plain Python, no Airflow (``csc_complaints.orchestration`` applies it to every task).

* **Retry or not.** Only faults that go away by themselves are retried: a dropped or refused
  connection, a locked or busy database, a server shutting down, a serialization conflict, a
  mail or webhook server that is down. Everything else (settings the pipeline refuses, a year
  that is not ready, a source whose tables do not match the extract SQL, a value the data
  should not hold, a missing Airflow connection, a defect) fails at once: a retry would meet
  the same error minutes later and only delay the alert.
* **What an alert may quote.** Never a value from the data. A database's own message can quote
  a row's value (PostgreSQL: ``invalid input syntax for type integer: "..."``) and so can a
  Python error (``int('...')``), so an alert quotes: the pipeline's own messages with every
  quoted literal blanked; a database error's SQLSTATE and, except for data exceptions, its
  primary message (table, column and constraint names, never values); an operating-system
  error's description; and for anything else the class alone. The task log keeps the rest.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass

# PostgreSQL SQLSTATE classes that a retry can clear (https://www.postgresql.org/docs/current/
# errcodes-appendix.html): 08 connection exception, 40 transaction rollback (serialization
# failure, deadlock), 53 insufficient resources, 57 operator intervention (shutdown, cannot
# connect now, query cancelled), 58 system error (I/O).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")
_TRANSIENT_SQLSTATES = ("55P03", "55006")  # lock not available, object in use
# SQLite primary result codes that a retry can clear: another process holds the file.
_TRANSIENT_SQLITE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_PROTOCOL")
# A connection error without a SQLSTATE (libpq reports login failures that way) that no retry
# fixes: the database, role or host named does not exist, or the login is refused.
_PERMANENT_CONNECTION = (
    "does not exist",
    "authentication failed",
    "no password supplied",
    "could not translate host name",
    "no pg_hba.conf entry",
    "invalid connection option",
    "invalid dsn",
)
_TRANSIENT_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.ENETUNREACH,
    errno.EPIPE,
    errno.EAGAIN,
}

# 'text' or "text": how Python's repr, PostgreSQL and this pipeline quote a value.
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
MAX_MESSAGE = 600

RETRY_LATER = "Nothing to do unless it happens again: Airflow retries the task."
UNEXPECTED = (
    "The task log has the full message and traceback. Fix the cause (a defect: report it with "
    "the log), then clear the task in Airflow to run it again."
)


@dataclass(frozen=True)
class Failure:
    """A task's error as an alert and a person see it."""

    error_class: str  # the error's own class, e.g. "SettingsError"
    retryable: bool
    message: str  # safe to send: no value from the data
    what_to_do: str

    def text(self) -> str:
        """One paragraph for a task log and an exception: what happened and what to do."""
        return f"{self.error_class}: {self.message} What to do: {self.what_to_do}"


def blank_quoted(message: str) -> str:
    """``message`` with every quoted literal replaced by ``'…'`` (a value never leaves)."""
    return _QUOTED.sub("'…'", message)


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0].strip()


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a PostgreSQL error (wrapped by SQLAlchemy or not); '' otherwise."""
    original = getattr(exc, "orig", exc)
    return getattr(original, "pgcode", None) or getattr(original, "sqlstate", None) or ""


def _sqlite_code(exc: BaseException) -> str:
    """SQLite's result code name (``SQLITE_BUSY``), from Python's sqlite3 errors."""
    return getattr(getattr(exc, "orig", exc), "sqlite_errorname", None) or ""


def _database_failure(exc: BaseException) -> Failure:
    """A SQLAlchemy ``DBAPIError`` or a bare driver error."""
    original = getattr(exc, "orig", exc) or exc
    driver_class = type(original).__name__
    # Named once when SQLAlchemy's class and the driver's are the same (OperationalError).
    named = "" if driver_class == type(exc).__name__ else f"{driver_class} "
    state, sqlite = _sqlstate(exc), _sqlite_code(exc)
    login_refused = False
    if state:
        diagnostic = getattr(original, "diag", None)
        primary = getattr(diagnostic, "message_primary", None) or _first_line(str(original))
        # Class 22 (data exception) messages quote the value; the others name only objects.
        shown = blank_quoted(primary) if state.startswith("22") else primary
        message = f"{named}(SQLSTATE {state}): {shown}"
        retryable = state.startswith(_TRANSIENT_SQLSTATE_CLASSES) or state in _TRANSIENT_SQLSTATES
    elif sqlite:
        message = f"{named}({sqlite}): {_first_line(str(original))}"
        retryable = sqlite.startswith(_TRANSIENT_SQLITE)
    else:
        # No code: the connection failed or dropped. libpq's message (host, database, role;
        # never data) tells a login the server refuses from a server that is down.
        connection = driver_class in ("OperationalError", "InterfaceError") or bool(
            getattr(exc, "connection_invalidated", False)
        )
        if connection:
            first = _first_line(str(original)) or "the database connection failed or was lost"
            message = f"{named}{first}".strip()
            login_refused = any(marker in first for marker in _PERMANENT_CONNECTION)
            retryable = not login_refused
        else:
            message = f"{named}(its message is in the task log)".strip()
            retryable = False
    if retryable:
        advice = RETRY_LATER
    elif state.startswith("42") or "no such table" in message or "no such column" in message:
        advice = (
            "A table or column the SQL names does not exist. On the source (complaints_source) "
            "the case-management system's tables differ from what include/sql/extract/*.sql "
            "reads: adapt those files (docs/source-schema.md) or the connection; on the "
            "warehouse, report a defect. Then clear the task."
        )
    elif state.startswith(("28", "3D")) or sqlite == "SQLITE_CANTOPEN" or login_refused:
        advice = (
            "The database refused the login or does not exist: check the Airflow connection's "
            "host, database (or file path), user and password, then clear the task."
        )
    elif state.startswith(("22", "23")) or sqlite.startswith("SQLITE_CONSTRAINT"):
        advice = (
            "A value broke a database rule (the task log names the table and column). Correct "
            "the record in the source, or report a defect if the warehouse should have taken "
            "it, then clear the task."
        )
    else:
        advice = UNEXPECTED
    return Failure(type(exc).__name__, retryable, _short(message), advice)


def _os_failure(exc: OSError) -> Failure:
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        retryable = exc.code >= 500 or exc.code == 429
        message = f"HTTP {exc.code} from the server"
    else:
        reason = getattr(exc, "reason", None)  # URLError wraps the socket error
        inner = reason if isinstance(reason, OSError) else exc
        retryable = (
            isinstance(inner, ConnectionError | TimeoutError)
            or inner.errno in _TRANSIENT_ERRNOS
            or type(inner).__name__ in ("gaierror", "timeout")
        )
        name = errno.errorcode.get(inner.errno or -1, type(inner).__name__)
        message = f"{name}: {inner.strerror or 'the connection failed'}"
    advice = (
        RETRY_LATER
        if retryable
        else (
            "A file, folder or server the task needs is missing or refuses access (the task log "
            "names it): fix the path, permission or address, then clear the task."
        )
    )
    return Failure(type(exc).__name__, retryable, message, advice)


def _smtp_failure(exc: BaseException) -> Failure:
    code = getattr(exc, "smtp_code", None)
    retryable = code is None or 400 <= int(code) < 500  # 4xx: try again later
    message = f"the mail server answered {code}" if code else "the mail server hung up"
    advice = (
        RETRY_LATER
        if retryable
        else "The mail server refused the message: check the smtp_default connection and the "
        "complaints_alert_emails Variable, then clear the task."
    )
    return Failure(type(exc).__name__, retryable, message, advice)


# Great Expectations reports a failed rule query as text: these words in it are a transient
# fault of the warehouse connection, retried like the database error itself.
_TRANSIENT_TEXT = (
    "database is locked",
    "connection refused",
    "could not connect",
    "server closed the connection",
    "connection reset",
    "connection timed out",
    "timeout expired",
    "terminating connection",
)


def _pipeline_failures() -> dict[type, tuple[bool | None, bool, str]]:
    """The pipeline's own errors: (retryable, message may be quoted whole, what to do);
    retryable None: decided by the message (a transient fault the error only quotes).

    Only settings errors are quoted whole (they quote the council's settings, never data);
    the others have their quoted literals blanked. Imported here, not at module level, so the
    DAG files that import ``csc_complaints.orchestration`` at parse time stay light.
    """
    from csc_complaints.extract import ExtractError
    from csc_complaints.quality.alerts import AlertDeliveryError
    from csc_complaints.quality.gx_validation import ValidationError
    from csc_complaints.report.approval import YearCannotBeSignedOff
    from csc_complaints.report.build import ReportBlocked, YearNotReady
    from csc_complaints.settings import SettingsError

    sign_off = (
        "Fix what is listed (docs/operations.md, 'When a reconciliation alert arrives'): "
        "correct the source records, let complaints_extract and complaints_warehouse run, "
        "then clear the report run."
    )
    return {
        SettingsError: (
            False,
            True,
            "Correct the setting named above in include/settings.toml, in its COMPLAINTS_* "
            "environment variable or in the file COMPLAINTS_SETTINGS_FILE names "
            "(docs/operations.md, 'Settings'), then clear the task.",
        ),
        YearNotReady: (
            False,
            False,
            "Do what the message says (usually: run complaints_extract and let "
            "complaints_warehouse finish), then clear the task or trigger the run again.",
        ),
        YearCannotBeSignedOff: (False, False, sign_off),
        ReportBlocked: (False, False, sign_off),
        ExtractError: (
            False,
            False,
            "Correct the source record the message names in the case-management system, or "
            "the extract SQL file it names (include/sql/extract/, docs/source-schema.md), "
            "then clear the task.",
        ),
        AlertDeliveryError: (True, False, RETRY_LATER),
        ValidationError: (None, False, UNEXPECTED),
    }


def classify(exc: BaseException) -> Failure:
    """What a task's error means for a retry, an alert and a person."""
    import smtplib

    from sqlalchemy.exc import DBAPIError, DisconnectionError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    for error_type, (retryable, quotable, advice) in _pipeline_failures().items():
        if isinstance(exc, error_type):
            message = _first_line(str(exc)) or error_type.__name__
            if retryable is None:
                retryable = any(marker in message.lower() for marker in _TRANSIENT_TEXT)
                advice = RETRY_LATER if retryable else advice
            message = _short(message if quotable else blank_quoted(message))
            return Failure(type(exc).__name__, retryable, message, advice)
    if isinstance(exc, DisconnectionError | PoolTimeout):
        return Failure(type(exc).__name__, True, "no database connection could be had", RETRY_LATER)
    if isinstance(exc, DBAPIError) or _sqlstate(exc) or _sqlite_code(exc):
        return _database_failure(exc)
    if isinstance(exc, smtplib.SMTPException):  # before OSError, which it subclasses
        return _smtp_failure(exc)
    if isinstance(exc, OSError):
        return _os_failure(exc)
    module = type(exc).__module__ or ""
    if module.startswith("airflow") and type(exc).__name__ == "AirflowNotFoundException":
        return Failure(
            type(exc).__name__,
            False,
            _short(_first_line(str(exc))),
            "Define the Airflow connection or Variable it names (an AIRFLOW_CONN_<ID> or "
            "AIRFLOW_VAR_<NAME> environment variable, or a secrets backend; "
            "docs/operations.md, 'Connections and variables'), then clear the task.",
        )
    if module.startswith(("csc_complaints", "airflow")):
        message = _short(blank_quoted(_first_line(str(exc)))) or type(exc).__name__
    else:
        message = "(its message is in the task log: it may quote a value from the data)"
    return Failure(type(exc).__name__, False, message, UNEXPECTED)


def compose_failure_alert(
    *,
    dag_id: str,
    run_id: str,
    task_id: str,
    try_number: int,
    max_tries: int,
    failure: Failure | None,
    council_code: str | None = None,
    council_name: str | None = None,
    log_url: str | None = None,
) -> tuple[str, str, dict]:
    """Subject, plain text and webhook payload of the alert for a task that ended failed (a
    council's task names the council: its code, and its short name when known)."""
    attempts = max_tries + 1
    if failure is None:
        error_class = "no exception"
        message = (
            "the task ended without raising an error: it was killed, ran out of memory or lost "
            "its worker"
        )
        what_to_do = "Read the task log and the worker's log, then clear the task."
        retried = f"attempt {try_number} of {attempts}"
    else:
        error_class, message, what_to_do = failure.error_class, failure.message, failure.what_to_do
        retried = (
            f"attempt {try_number} of {attempts}"
            if failure.retryable
            else f"attempt {try_number}; not retried: a retry cannot fix this"
        )
    council = " ".join(p for p in (council_code, council_name) if p)
    prefix = f"[complaints {council}]" if council else "[complaints]"
    subject = f"{prefix} TASK FAILED: {dag_id}.{task_id} ({error_class})"
    lines = [
        f"DAG: {dag_id}",
        f"Run: {run_id}",
        f"Task: {task_id} ({retried})",
    ]
    if council:
        lines.append(f"Council: {council}")
    lines += [
        f"Error: {error_class}",
        f"Message: {message}",
        "",
        f"What to do: {what_to_do}",
        "",
        "Where to look:",
        f"- Airflow task log: DAG {dag_id}, run {run_id}, task {task_id}, attempt {try_number}",
    ]
    if log_url:
        lines.append(f"- In the Airflow UI: {log_url}")
    text = "\n".join(lines) + "\n"
    payload = {
        "text": f"{subject}\n{text}",
        "dag_id": dag_id,
        "run_id": run_id,
        "task_id": task_id,
        "try_number": try_number,
        "council_code": council_code,
        "error_class": error_class,
        "retryable": failure.retryable if failure else None,
        "message": message,
        "what_to_do": what_to_do,
        "airflow_log": log_url,
    }
    return subject, text, payload
