"""complaints_source_comparison: the whole source compared with staging, to find and reload the
rows the daily incremental extract cannot see."""

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
from csc_complaints.timetables import SettingCronTimetable

DAG_ID = "complaints_source_comparison"
SCHEDULE_SETTING = "source_comparison_schedule"

DOC = f"""
### Children's Social Care complaints: full comparison of the source with staging

Runs on the schedule of the setting `{SCHEDULE_SETTING}` (weekly by default). The daily
extract reads only the rows whose `updated_at` is later than its high-water mark, so a row
edited with an older `updated_at` (a clock out of step, a bulk fix by a database
administrator, a restored backup), removed from the source, or inserted with an old
`updated_at` is never read. This DAG finds them.

`{LIST_COUNCILS_TASK}` reads the council registry and the `{COUNCIL_GROUP}` task group runs once
per council (each mapped task labelled with the council's short name and code), against the
council's own source connection (its registry `source_conn_id`, opened read-only). One
council's failure never stops another council's comparison.

1. `extract_changed_rows`: the daily incremental extract first, so that what the comparison
   finds is only what the high-water mark cannot see.
2. `compare_with_source`: for each table, the source and the warehouse each add up the rows'
   fingerprints (a hash of each row computed by the source database) per range of keys; only
   those sums cross the wire. A range that differs is reloaded through the normal extract path
   (upsert: only changed rows are written; staged rows the source no longer has are removed).
   What it found (tables, key ranges, counts; no personal data) is alerted through the usual
   channels (`complaints_alert_emails` through `smtp_default`, `complaints_alert_webhook`),
   and to the council's own registry `alert_emails`.
3. `staging_changed`: whether either step changed the council's staging; when neither did,
   the council's row checks are skipped (a short-circuit operator does not skip per map index
   inside a mapped task group, so the row checks skip themselves).
4. `{STAGING_ASSET_TASK}`: the row checks (DQ rules) on staging, with their alert, as after the
   daily extract; it updates the `{STAGING_ASSET.name}` asset, so `complaints_warehouse`
   rebuilds the figures.

It holds the council's extract lock while it compares and reloads, so it never runs alongside
an extract of the same council.
"""


@dag(
    dag_id=DAG_ID,
    # The cron expression comes from the settings when the schedule is computed, not now.
    schedule=SettingCronTimetable(SCHEDULE_SETTING),
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "extract", "quality"],
    doc_md=DOC,
)
def complaints_source_comparison():
    @task_group(group_id=COUNCIL_GROUP)
    def for_each_council(council: dict):
        """One council's extract, comparison and row checks; another council's failure never
        stops this one."""

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def extract_changed_rows(council: dict, run_id: str | None = None) -> int:
            """The council's incremental extract (rows changed since its high-water mark), as
            every day."""
            from csc_complaints.orchestration import council_for_task
            from csc_complaints.orchestration import extract_changed_rows as extract

            result = extract(council_for_task(council), run_id)
            return result.rows_written

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def compare_with_source(council: dict, run_id: str | None = None) -> int:
            """Compare every table of the council's source with its staging by key range;
            reload what differs; alert the deployment's recipients and the council's."""
            from csc_complaints.extract.comparison import compare_source_with_staging
            from csc_complaints.orchestration import (
                airflow_run_url,
                council_for_task,
                engine_for,
                source_engine,
            )
            from csc_complaints.quality.airflow_alerts import send_comparison_alert_from_airflow

            registered = council_for_task(council)
            result = compare_source_with_staging(
                source_engine(registered),
                engine_for(WAREHOUSE_CONN_ID),
                registered.settings,
                run_id,
            )
            print(f"{registered.label}: {result.summary()}")
            if result.differing:
                send_comparison_alert_from_airflow(
                    result,
                    DAG_ID,
                    run_id,
                    airflow_run_url(DAG_ID, run_id),
                    council_emails=registered.alert_emails,
                )
            return result.repaired

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def staging_changed(council: dict, extracted: int, repaired: int) -> bool:
            """Whether the council's staging changed: the row checks and the warehouse build
            follow only when it did."""
            from csc_complaints.orchestration import council_for_task

            council_for_task(council)
            print(
                f"rows written by the extract: {extracted}; repaired by the comparison: {repaired}"
            )
            return bool(extracted or repaired)

        @task(
            task_id=STAGING_ASSET_TASK,
            outlets=[STAGING_ASSET],
            map_index_template=COUNCIL_MAP_INDEX,
        )
        @fail_fast
        def check_staged_rows(council: dict, changed: bool, run_id: str | None = None) -> dict:
            """Row checks (DQ) on the council's staging: quarantine the rows that break a rule,
            alert. Skipped when staging did not change (no asset event: no rebuild)."""
            from airflow.sdk.exceptions import AirflowSkipException

            from csc_complaints.orchestration import check_staged_rows as check
            from csc_complaints.orchestration import council_for_task

            registered = council_for_task(council)
            if not changed:
                raise AirflowSkipException(
                    f"staging of {registered.label} matches its source: no row checks, no rebuild"
                )
            return check(registered, DAG_ID, run_id)

        extracted = extract_changed_rows(council)
        repaired = compare_with_source(council)
        extracted >> repaired
        check_staged_rows(council, staging_changed(council, extracted, repaired))

    for_each_council.expand(council=list_councils())


complaints_source_comparison()
