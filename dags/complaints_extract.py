"""complaints_extract: the daily incremental copy of the case-management database into staging."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc_complaints.orchestration import (
    DEFAULT_ARGS,
    SOURCE_CONN_ID,
    STAGING_ASSET,
    WAREHOUSE_CONN_ID,
)

DOC = f"""
### Children's Social Care complaints: extract

Copies every source row changed since the last successful extract (a high-water mark on
`updated_at` kept in the warehouse, less a small overlap) from `{SOURCE_CONN_ID}` into the
staging tables of `{WAREHOUSE_CONN_ID}`. Rows are upserted and only written when they changed,
so a retry, a missed day or a manual run neither loses nor double-counts a row. Teams and issue
categories are copied whole. No personal data leaves the source: the extract SQL
(`include/sql/extract/`) selects only the columns a published figure needs.

On success it updates the `{STAGING_ASSET.name}` asset, which starts `complaints_warehouse`.
"""


@dag(
    dag_id="complaints_extract",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "extract"],
    doc_md=DOC,
)
def complaints_extract():
    @task(outlets=[STAGING_ASSET])
    def extract_changed_rows(run_id: str | None = None) -> dict:
        """Upsert the source rows changed since the high-water mark into staging."""
        from csc_complaints.extract import run_extract
        from csc_complaints.orchestration import engine_for
        from csc_complaints.settings import load_settings

        result = run_extract(
            engine_for(SOURCE_CONN_ID), engine_for(WAREHOUSE_CONN_ID), load_settings(), run_id
        )
        print(f"extract {run_id}: {result.summary()}")
        return {name: t.rows_written for name, t in result.tables.items()}

    extract_changed_rows()


complaints_extract()
