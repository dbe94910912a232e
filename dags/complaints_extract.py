"""complaints_extract: the daily incremental copy of the case-management database into staging."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task, task_group

from csc_complaints.orchestration import (
    COUNCIL_GROUP,
    COUNCIL_MAP_INDEX,
    DEFAULT_ARGS,
    LIST_COUNCILS_TASK,
    STAGING_ASSET,
    STAGING_ASSET_TASK,
    WAREHOUSE_CONN_ID,
    fail_fast,
    list_councils,
)

DAG_ID = "complaints_extract"

DOC = f"""
### Children's Social Care complaints: extract and row checks

`{LIST_COUNCILS_TASK}` reads the council registry (`include/councils.toml`, or the single
council of `settings.toml`) and the `{COUNCIL_GROUP}` task group runs once per council, each
mapped task labelled with the council's short name and code. One council's failure or
rejected rows never stop another council's extract.

1. `extract_changed_rows` copies every source row changed since the council's last successful
   extract (a high-water mark on `updated_at` kept in the warehouse, less a small overlap) from
   the council's source connection (its registry `source_conn_id`, `complaints_source` for a
   single council; opened read-only) into the staging tables of `{WAREHOUSE_CONN_ID}`.
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
    @task_group(group_id=COUNCIL_GROUP)
    def for_each_council(council: dict):
        """One council's extract, row checks and gate; another council's failure never
        stops this one."""

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def extract_changed_rows(council: dict, run_id: str | None = None) -> dict:
            """Upsert the council's source rows changed since its high-water mark."""
            from csc_complaints.orchestration import council_for_task
            from csc_complaints.orchestration import extract_changed_rows as extract

            result = extract(council_for_task(council), run_id)
            return {name: t.rows_written for name, t in result.tables.items()}

        @task(
            task_id=STAGING_ASSET_TASK,
            outlets=[STAGING_ASSET],
            map_index_template=COUNCIL_MAP_INDEX,
        )
        @fail_fast
        def check_staged_rows(council: dict, run_id: str | None = None) -> dict:
            """Row checks (DQ) on the council's staging: quarantine the rows that break a rule,
            alert."""
            from csc_complaints.orchestration import check_staged_rows as check
            from csc_complaints.orchestration import council_for_task

            return check(council_for_task(council), DAG_ID, run_id)

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def fail_if_rows_rejected(council: dict, verdict: dict) -> None:
            """Red while any of the council's source rows is kept out of the figures."""
            from csc_complaints.orchestration import council_for_task, fail_if_critical

            council_for_task(council)
            fail_if_critical(verdict)

        changed = extract_changed_rows(council)
        verdict = check_staged_rows(council)
        changed >> verdict
        fail_if_rows_rejected(council, verdict)

    for_each_council.expand(council=list_councils())


complaints_extract()
