"""complaints_operations_alerts: a year not signed off by its deadline, an extract gone quiet."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task, task_group

from csc_complaints.orchestration import (
    COUNCIL_GROUP,
    COUNCIL_MAP_INDEX,
    DEFAULT_ARGS,
    LIST_COUNCILS_TASK,
    WAREHOUSE_CONN_ID,
    fail_fast,
    list_councils,
)
from csc_complaints.timetables import SettingCronTimetable

DAG_ID = "complaints_operations_alerts"
SCHEDULE_SETTING = "operations_alerts_schedule"

DOC = f"""
### Children's Social Care complaints: sign-off deadline and extract freshness alerts

Runs on the schedule of the setting `{SCHEDULE_SETTING}` (hourly by default); "now" is the
run's date, so a run for a past date checks as of then.

`{LIST_COUNCILS_TASK}` reads the council registry and the `{COUNCIL_GROUP}` task group checks each
council on its own (each mapped task labelled with the council's short name and code); one
council's failed check never stops another's. Every alert names the council in its subject and
goes to the deployment's recipients (`complaints_alert_emails`, `complaints_alert_webhook`)
and the council's own (its registry `alert_emails`).

1. `check_sign_off_deadline`: the financial year whose sign-off deadline passed last (setting
   `sign_off_deadline`, 30 June after the year ends) must have its final report published. If
   not, the data team, the council's alert recipients and its Complaints Manager (the
   council's setting `complaints_manager_email`) are told the council, the year and
   what blocks the sign-off: no data, figures not ready, rejected rows by rule, failed RC
   rules, or awaiting approval.
2. `check_extract_freshness`: no extract has succeeded for the council for longer than the
   council's setting `extract_stale_after_hours` (48): the data team and the council's alert
   recipients are told.

Each condition is sent once and again only when it changes; what was sent is kept in the
warehouse table `dq_alerts` (checks `sign_off_deadline` and `extract_freshness`).
"""


def _now(dag_run) -> pendulum.DateTime:
    """The moment checked: the run's logical date, else when it was due to run."""
    return dag_run.logical_date or dag_run.run_after


@dag(
    dag_id=DAG_ID,
    # The cron expression comes from the settings when the schedule is computed, not now.
    schedule=SettingCronTimetable(SCHEDULE_SETTING),
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "operations", "alerts"],
    doc_md=DOC,
)
def complaints_operations_alerts():
    @task_group(group_id=COUNCIL_GROUP)
    def for_each_council(council: dict):
        """One council's checks; another council's failure never stops them."""

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def check_sign_off_deadline(council: dict, dag_run=None, run_id: str | None = None) -> str:
            """Alert the data team, the council's alert recipients and its Complaints Manager
            on a year of the council past its sign-off date."""
            from csc_complaints.operations_alerts import check_sign_off
            from csc_complaints.orchestration import council_for_task, engine_for
            from csc_complaints.quality.airflow_alerts import alert_channels

            registered = council_for_task(council)
            settings = registered.settings
            smtp, recipients, webhook = alert_channels(registered.alert_emails)
            outcome = check_sign_off(
                engine_for(WAREHOUSE_CONN_ID),
                settings,
                settings.output_path,
                _now(dag_run),
                dag_id=DAG_ID,
                run_id=run_id,
                smtp=smtp,
                recipients=recipients,
                webhook_url=webhook,
            )
            year = outcome.details["financial_year"]
            print(f"sign-off of {registered.label} {year}: {outcome.status}")
            if outcome.condition is not None:
                print(outcome.condition.text)
            return outcome.status

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def check_extract_freshness(council: dict, dag_run=None, run_id: str | None = None) -> str:
            """Alert the data team and the council's alert recipients when no extract of the
            council has succeeded for too long."""
            from csc_complaints.operations_alerts import check_freshness
            from csc_complaints.orchestration import council_for_task, engine_for
            from csc_complaints.quality.airflow_alerts import alert_channels

            registered = council_for_task(council)
            smtp, recipients, webhook = alert_channels(registered.alert_emails)
            outcome = check_freshness(
                engine_for(WAREHOUSE_CONN_ID),
                registered.settings,
                _now(dag_run),
                dag_id=DAG_ID,
                run_id=run_id,
                smtp=smtp,
                recipients=recipients,
                webhook_url=webhook,
            )
            last = outcome.details["last_extract_succeeded"]
            print(f"extract freshness of {registered.label} (last {last}): {outcome.status}")
            return outcome.status

        check_sign_off_deadline(council)
        check_extract_freshness(council)

    for_each_council.expand(council=list_councils())


complaints_operations_alerts()
