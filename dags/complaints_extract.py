"""complaints_extract: the daily incremental copy of the case-management database into staging."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc_complaints.orchestration import (
    DEFAULT_ARGS,
    SOURCE_CONN_ID,
    STAGING_ASSET,
    STAGING_ASSET_TASK,
    WAREHOUSE_CONN_ID,
    fail_fast,
)

DAG_ID = "complaints_extract"

DOC = f"""
### Children's Social Care complaints: extract and row checks

1. `extract_changed_rows` copies every source row changed since the last successful extract (a
   high-water mark on `updated_at` kept in the warehouse, less a small overlap) from
   `{SOURCE_CONN_ID}` (opened read-only) into the staging tables of `{WAREHOUSE_CONN_ID}`.
   The settings are checked before either database is touched. Rows are upserted and
   only written when they changed, so a retry, a missed day or a manual run neither loses nor
   double-counts a row. Teams and issue categories are copied whole. No personal data leaves
   the source: the extract SQL (`include/sql/extract/`) selects only what a figure needs.
2. `{STAGING_ASSET_TASK}` runs the row checks (DQ01-DQ12, Great Expectations suite
   `expectations/dq_staging.json`). A row that breaks a rule goes to `dq_rejects` (rule, table,
   key, run, message) and stays out of the figures until the source is corrected; the alert
   goes out at once (email to the `complaints_alert_emails` Variable through `smtp_default`,
   and the `complaints_alert_webhook` connection when it exists). The rest of the data goes on:
   this task updates the `{STAGING_ASSET.name}` asset, which starts `complaints_warehouse`.
3. `fail_if_rows_rejected` turns the run red while any row is rejected, so nobody mistakes a
   run with quarantined rows for a clean one.

An error a retry cannot fix (settings, a source whose tables do not match the extract SQL, a
record the extract cannot stage) fails its task at once and says what to do; every failed
task alerts (`csc_complaints.orchestration`).
"""


@dag(
    dag_id=DAG_ID,
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "extract", "quality"],
    doc_md=DOC,
)
def complaints_extract():
    @task
    @fail_fast
    def extract_changed_rows(run_id: str | None = None) -> dict:
        """Upsert the source rows changed since the high-water mark into staging."""
        from csc_complaints.orchestration import extract_changed_rows as extract

        result = extract(run_id)
        return {name: t.rows_written for name, t in result.tables.items()}

    @task(task_id=STAGING_ASSET_TASK, outlets=[STAGING_ASSET])
    @fail_fast
    def check_staged_rows(run_id: str | None = None) -> dict:
        """Row checks (DQ) on staging: quarantine the rows that break a rule, alert."""
        from csc_complaints.orchestration import check_staged_rows as check

        return check(DAG_ID, run_id)

    @task
    @fail_fast
    def fail_if_rows_rejected(verdict: dict) -> None:
        """Red while any source row is kept out of the figures by a row check."""
        from csc_complaints.orchestration import fail_if_critical

        fail_if_critical(verdict)

    changed = extract_changed_rows()
    verdict = check_staged_rows()
    changed >> verdict
    fail_if_rows_rejected(verdict)


complaints_extract()
