"""complaints_operations_alerts: a year not signed off by its deadline, an extract gone quiet."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc_complaints.orchestration import DEFAULT_ARGS, WAREHOUSE_CONN_ID, fail_fast
from csc_complaints.timetables import SettingCronTimetable

DAG_ID = "complaints_operations_alerts"
SCHEDULE_SETTING = "operations_alerts_schedule"

DOC = f"""
### Children's Social Care complaints: sign-off deadline and extract freshness alerts

Runs on the schedule of the setting `{SCHEDULE_SETTING}` (hourly by default); "now" is the
run's date, so a run for a past date checks as of then.

1. `check_sign_off_deadline`: the financial year whose sign-off deadline passed last (setting
   `sign_off_deadline`, 30 June after the year ends) must have its final report published. If
   not, the data team (`complaints_alert_emails`, `complaints_alert_webhook`) and the council's
   Complaints Manager (setting `complaints_manager_email`) are told the council, the year and
   what blocks the sign-off: no data, figures not ready, rejected rows by rule, failed RC
   rules, or awaiting approval.
2. `check_extract_freshness`: no extract has succeeded for the council for longer than the
   setting `extract_stale_after_hours` (48): the data team is told.

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
    @task
    @fail_fast
    def check_sign_off_deadline(dag_run=None, run_id: str | None = None) -> str:
        """Alert the data team and the Complaints Manager on a year past its sign-off date."""
        from csc_complaints.operations_alerts import check_sign_off
        from csc_complaints.orchestration import engine_for
        from csc_complaints.quality.airflow_alerts import alert_channels
        from csc_complaints.settings import load_settings

        settings = load_settings()
        smtp, recipients, webhook = alert_channels()
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
        print(f"sign-off of {settings.council_code} {year}: {outcome.status}")
        if outcome.condition is not None:
            print(outcome.condition.text)
        return outcome.status

    @task
    @fail_fast
    def check_extract_freshness(dag_run=None, run_id: str | None = None) -> str:
        """Alert the data team when no extract has succeeded for too long."""
        from csc_complaints.operations_alerts import check_freshness
        from csc_complaints.orchestration import engine_for
        from csc_complaints.quality.airflow_alerts import alert_channels
        from csc_complaints.settings import load_settings

        settings = load_settings()
        smtp, recipients, webhook = alert_channels()
        outcome = check_freshness(
            engine_for(WAREHOUSE_CONN_ID),
            settings,
            _now(dag_run),
            dag_id=DAG_ID,
            run_id=run_id,
            smtp=smtp,
            recipients=recipients,
            webhook_url=webhook,
        )
        last = outcome.details["last_extract_succeeded"]
        print(f"extract freshness of {settings.council_code} (last {last}): {outcome.status}")
        return outcome.status

    check_sign_off_deadline()
    check_extract_freshness()


complaints_operations_alerts()
