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
