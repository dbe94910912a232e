"""What the DAG files share: assets, connection ids, default task arguments, engines.

DAG files import this module at parse time, so it imports only ``airflow.sdk`` and the light
parts of this package; every heavy import (pandas, Great Expectations, reportlab) happens inside
the task functions that need it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from airflow.sdk import Asset

if TYPE_CHECKING:
    from sqlalchemy import Engine

# Airflow connection ids (a contract: DESIGN.md "Databases").
SOURCE_CONN_ID = "complaints_source"
WAREHOUSE_CONN_ID = "complaints_warehouse"
SMTP_CONN_ID = "smtp_default"
WEBHOOK_CONN_ID = "complaints_alert_webhook"
ALERT_EMAILS_VARIABLE = "complaints_alert_emails"

# complaints_extract -> complaints_warehouse -> (report reads the reconciled stats).
STAGING_ASSET = Asset(name="complaints_staging", uri="complaints://warehouse/staging")
STATS_ASSET = Asset(name="complaints_stats", uri="complaints://warehouse/stats")

OWNER = "complaints-data-engineering"
DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
}


def engine_for(conn_id: str) -> Engine:
    """A SQLAlchemy engine for an Airflow connection (env var, metadata DB or secrets backend)."""
    from airflow.sdk import BaseHook

    from csc_complaints.db import make_engine, sqlalchemy_url

    return make_engine(sqlalchemy_url(BaseHook.get_connection(conn_id)))


def airflow_run_url(dag_id: str, run_id: str) -> str | None:
    """The Airflow UI page of a DAG run, for alerts ("where to look"); None if not configured."""
    from urllib.parse import quote

    from airflow.sdk.configuration import conf

    base = conf.get("api", "base_url", fallback="") or ""
    if not base:
        return None
    return f"{base.rstrip('/')}/dags/{quote(dag_id)}/runs/{quote(run_id, safe='')}"


def check_and_alert(result, dag_id: str, run_id: str, warehouse) -> dict:
    """Send the alerts a quality result calls for and return what the gate task needs."""
    from csc_complaints.quality.airflow_alerts import send_alerts_from_airflow

    print(result.summary())
    send_alerts_from_airflow(
        result, dag_id, run_id, warehouse, airflow_run_url=airflow_run_url(dag_id, run_id)
    )
    return {"critical": bool(result.critical_failures), "summary": result.summary()}


def fail_if_critical(verdict: dict) -> None:
    """The gate: a critical failure turns the task red (no retry: the data must be fixed)."""
    from airflow.sdk.exceptions import AirflowFailException

    if verdict["critical"]:
        raise AirflowFailException(verdict["summary"])
    print("no critical failure")
