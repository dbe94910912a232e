"""What the DAG files share: assets, connection ids, default task arguments, engines, and how a
task fails (at once or after retries) and alerts.

DAG files import this module at parse time, so it imports only ``airflow.sdk`` and the light
parts of this package; every heavy import (pandas, Great Expectations, reportlab) happens inside
the task functions that need it.

Failures (docs/operations.md, "When a task fails"):

* every task body runs under ``fail_fast``: an error a retry cannot fix (``csc_complaints.
  failures.classify``) becomes ``FailedForGood``, an ``AirflowFailException``, so the task fails
  at once, without its retries, and its message says what to do;
* every task has ``TaskFailureNotifier`` as its ``on_failure_callback`` (through
  ``DEFAULT_ARGS``): a task that ends failed, for any reason, sends an alert through the
  channels of the DQ/RC alerts. The quality gates are the exception: their failure *is* the
  DQ/RC finding, already alerted (once per change) by the task before them.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, BaseNotifier, task
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowNotFoundException,
)

from csc_complaints.councils import DEFAULT_SOURCE_CONN_ID

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from csc_complaints.councils import Council
    from csc_complaints.failures import Failure

log = logging.getLogger(__name__)

# Airflow connection ids (a contract: docs/architecture.md, "Databases and connections").
# The single council's source without a registry; with one, each council's ``source_conn_id``.
SOURCE_CONN_ID = DEFAULT_SOURCE_CONN_ID
WAREHOUSE_CONN_ID = "complaints_warehouse"
SMTP_CONN_ID = "smtp_default"
WEBHOOK_CONN_ID = "complaints_alert_webhook"
ALERT_EMAILS_VARIABLE = "complaints_alert_emails"

# complaints_extract -> complaints_warehouse -> (report reads the reconciled stats).
STAGING_ASSET = Asset(name="complaints_staging", uri="complaints://warehouse/staging")
STATS_ASSET = Asset(name="complaints_stats", uri="complaints://warehouse/stats")
# The extract task that updates STAGING_ASSET: when it succeeds the scheduler starts
# complaints_warehouse, and so does `make run`.
STAGING_ASSET_TASK = "check_staged_rows"

OWNER = "complaints-data-engineering"


class FailedForGood(AirflowFailException):
    """A task error a retry cannot fix: fails the task at once. Its message is the classified
    ``Failure`` (what happened, without values from the data, and what to do)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.text())
        self.failure = failure


class QualityGateFailed(AirflowFailException):
    """A quality gate: rows rejected or a critical rule failed. The data must be fixed, so no
    retry; the DQ/RC alert of the task before the gate has already said so."""


class CouncilTasksFailed(AirflowFailException):
    """A council's task of the run failed: keeps the run red after the tasks that run whatever
    the councils' outcome (the regional benchmark). Each failed task has alerted itself."""


@contextmanager
def failing_fast() -> Iterator[None]:
    """Turn an error a retry cannot fix into ``FailedForGood``; let the rest through to
    Airflow's retries. Airflow's own exceptions (skip, defer, fail) pass unchanged, except a
    missing connection or Variable, which no retry brings."""
    try:
        yield
    except AirflowException as exc:
        if not isinstance(exc, AirflowNotFoundException):
            raise
        from csc_complaints.failures import classify

        raise FailedForGood(classify(exc)) from exc
    except Exception as exc:
        from csc_complaints.failures import classify

        failure = classify(exc)
        if failure.retryable:
            log.warning("%s; Airflow retries the task", failure.text())
            raise
        raise FailedForGood(failure) from exc


def fail_fast(function: Callable) -> Callable:
    """A task body under ``failing_fast`` (put it under ``@task``)."""

    @functools.wraps(function)
    def task_body(*args: Any, **kwargs: Any) -> Any:
        with failing_fast():
            return function(*args, **kwargs)

    task_body.fails_fast = True  # the DAG policy test looks for this
    return task_body


class TaskFailureNotifier(BaseNotifier):
    """Alert on a task that ended failed: DAG, run, task, the error's class, a message with no
    value from the data, what to do and where to look; by e-mail (``smtp_default`` to the
    ``complaints_alert_emails`` Variable) and the ``complaints_alert_webhook`` connection."""

    def notify(self, context: Any) -> None:
        from csc_complaints.failures import classify, compose_failure_alert
        from csc_complaints.quality.airflow_alerts import alert_channels
        from csc_complaints.quality.alerts import NO_CHANNEL, channels_configured, deliver

        error = context.get("exception")
        if isinstance(error, QualityGateFailed):
            log.info("quality gate failed: already alerted by the DQ/RC alert, not sent again")
            return
        if isinstance(error, CouncilTasksFailed):
            log.info("a council's task failed: already alerted by that task, not sent again")
            return
        ti = context["ti"]
        council = council_of_task(context)
        if isinstance(error, FailedForGood):
            failure = error.failure
        elif isinstance(error, BaseException):
            failure = classify(error.__cause__ or error)
        else:
            failure = None  # killed, out of memory, lost its worker: no exception to read
        subject, text, payload = compose_failure_alert(
            dag_id=ti.dag_id,
            run_id=ti.run_id,
            task_id=ti.task_id,
            try_number=ti.try_number,
            max_tries=ti.max_tries,
            failure=failure,
            council_code=council.code if council else None,
            council_name=council.short_name if council else None,
            log_url=getattr(ti, "log_url", None),
        )
        smtp, recipients, webhook = alert_channels(council.alert_emails if council else ())
        if not channels_configured(smtp, recipients, webhook):
            log.warning("alerts are off (%s), not sent: %s", NO_CHANNEL, subject)
            return
        deliver(subject, text, payload, smtp, recipients, webhook)
        log.info("failure alert sent: %s", subject)


def council_of_task(context: Any) -> Council | None:
    """The council a mapped task was working for (its ``council`` argument, an entry of
    ``list_councils``), unless the task is not a council's or the registry itself failed."""
    from csc_complaints.councils import load_council
    from csc_complaints.settings import SettingsError

    task = context.get("task")
    # The task functions take the council as their first argument, so it is usually in
    # op_args (a call by position), else in op_kwargs.
    arguments = [
        *(getattr(task, "op_args", None) or ()),
        (getattr(task, "op_kwargs", None) or {}).get("council"),
    ]
    council = next((a for a in arguments if isinstance(a, dict) and "code" in a), None)
    if council is None:
        return None
    try:
        return load_council(council["code"])
    except SettingsError:
        return None


RETRY_DELAY_VARIABLE = "COMPLAINTS_TASK_RETRY_DELAY_SECONDS"


def retry_delay() -> timedelta:
    """Five minutes, doubling; ``make run`` sets ``COMPLAINTS_TASK_RETRY_DELAY_SECONDS`` (15), as
    a person waits at the terminal. An environment variable, not a setting: read when the DAG
    file is parsed, and a value that is not a number of seconds is ignored, never an error."""
    raw = os.environ.get(RETRY_DELAY_VARIABLE, "")
    return timedelta(seconds=int(raw)) if raw.isdigit() and int(raw) > 0 else timedelta(minutes=5)


DEFAULT_ARGS = {
    "owner": OWNER,
    # For transient faults only: fail_fast ends every other failure at its first attempt.
    "retries": 2,
    "retry_delay": retry_delay(),
    "retry_exponential_backoff": True,
    "on_failure_callback": [TaskFailureNotifier()],
}


def engine_for(conn_id: str, *, read_only: bool = False) -> Engine:
    """A SQLAlchemy engine for an Airflow connection (env var, metadata DB or secrets backend).

    A source is only ever read: ``source_engine`` opens a council's with ``read_only``.
    """
    from airflow.sdk import BaseHook

    from csc_complaints.db import make_engine, sqlalchemy_url

    url = sqlalchemy_url(BaseHook.get_connection(conn_id))
    return make_engine(url, read_only=read_only)


def source_engine(council: Council) -> Engine:
    """The council's case-management database (its registry ``source_conn_id``), read-only."""
    return engine_for(council.source_conn_id, read_only=True)


# Every DAG maps its per-council tasks over the registry (docs/architecture.md, "Many
# councils"): a first task lists the councils, a task group runs once per council, and the
# Airflow UI labels each mapped task with the council (its short name and code).
LIST_COUNCILS_TASK = "list_councils"
COUNCIL_GROUP = "council"
COUNCIL_LABEL = "council_label"
COUNCIL_MAP_INDEX = f"{{{{ {COUNCIL_LABEL} }}}}"


@task(task_id=LIST_COUNCILS_TASK)
@fail_fast
def list_councils() -> list[dict]:
    """The councils of the registry (code and label), checked before any database: the first
    task of every DAG, which maps its council task group over what this returns."""
    from csc_complaints.councils import council_index

    return council_index()


def council_for_task(council: dict) -> Council:
    """The registry's council of a mapped task (``council`` is an entry of ``list_councils``),
    and the Airflow UI's label of the task set from it."""
    from csc_complaints.councils import load_council

    try:
        from airflow.sdk import get_current_context

        get_current_context()[COUNCIL_LABEL] = council["label"]
    except RuntimeError:  # called outside a running task (a test): no label to set
        pass
    return load_council(council["code"])


def airflow_run_url(dag_id: str, run_id: str) -> str | None:
    """The Airflow UI page of a DAG run, for alerts ("where to look"); None if not configured."""
    from urllib.parse import quote

    from airflow.sdk.configuration import conf

    base = conf.get("api", "base_url", fallback="") or ""
    if not base:
        return None
    return f"{base.rstrip('/')}/dags/{quote(dag_id)}/runs/{quote(run_id, safe='')}"


def extract_changed_rows(council: Council, run_id: str):
    """A task's incremental extract from the council's source into ``complaints_warehouse``
    (the settings are read first, before either database is touched); its summary printed."""
    from csc_complaints.extract import run_extract

    result = run_extract(
        source_engine(council), engine_for(WAREHOUSE_CONN_ID), council.settings, run_id
    )
    print(f"extract {run_id} of {council.label}: {result.summary()}")
    return result


def check_staged_rows(council: Council, dag_id: str, run_id: str) -> dict:
    """A task's row checks on the council's staging, with their alert; the gate's verdict."""
    from csc_complaints.quality.row_checks import run_row_checks

    settings = council.settings
    warehouse = engine_for(WAREHOUSE_CONN_ID)
    result = run_row_checks(warehouse, settings, run_id, settings.output_path)
    return check_and_alert(result, dag_id, run_id, warehouse, council)


def check_and_alert(result, dag_id: str, run_id: str, warehouse, council: Council) -> dict:
    """Send the alerts a quality result calls for (to the deployment's recipients and the
    council's) and return what the gate task needs."""
    from csc_complaints.quality.airflow_alerts import send_alerts_from_airflow

    print(result.summary())
    send_alerts_from_airflow(
        result,
        dag_id,
        run_id,
        warehouse,
        airflow_run_url=airflow_run_url(dag_id, run_id),
        council_emails=council.alert_emails,
    )
    return {"critical": bool(result.critical_failures), "summary": result.summary()}


def fail_if_critical(verdict: dict) -> None:
    """The gate: a critical failure turns the task red (no retry: the data must be fixed)."""
    if verdict["critical"]:
        raise QualityGateFailed(verdict["summary"])
    print("no critical failure")
