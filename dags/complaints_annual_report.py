"""complaints_annual_report: the statutory annual report for the financial year just ended."""

from __future__ import annotations

import sys

import pendulum
from airflow.sdk import dag, task

from csc_complaints.orchestration import DEFAULT_ARGS, STATS_ASSET, WAREHOUSE_CONN_ID
from csc_complaints.report.approval import ReportApprovalOperator
from csc_complaints.settings import PROJECT_ROOT, load_settings

try:  # Airflow puts its plugins folder on sys.path; a bare interpreter may not have it.
    from financial_year_timetable import FinancialYearTimetable
except ImportError:
    sys.path.append(str(PROJECT_ROOT / "plugins"))
    from financial_year_timetable import FinancialYearTimetable

SETTINGS = load_settings()
FINANCIAL_YEAR = "{{ ti.xcom_pull(task_ids='check_year_ready') }}"

DOC = f"""
### Children's Social Care complaints: annual report

Runs each year on {SETTINGS.report_day_of_april} April at {SETTINGS.report_time}
({SETTINGS.timezone}) for the financial year just ended: the run's data interval is that year,
1 April to 1 April (the `FinancialYearTimetable` of `plugins/financial_year_timetable.py`).

1. `check_year_ready`: the year's `{STATS_ASSET.name}` stats are in the warehouse, an extract
   ran after the year ended, and `reconciliation.json` is at least as recent as the stats.
2. `build_draft_report`: writes `<output>/<YYYY-YY>/annual-report-<YYYY-YY>.pdf` and `.html`
   and `csv/*.csv`, with DRAFT on every page.
3. `approve_report`: the Complaints Manager reads the draft and approves or rejects it here
   (Airflow's human-in-the-loop approval). A year with rejected rows or a failed critical
   reconciliation rule cannot be approved: the task fails and names each problem.
   `COMPLAINTS_AUTO_APPROVE=true` (for `make demo` only) approves without a person and says so
   in the task log.
4. `publish_final_report`: rebuilds the report without the DRAFT mark; the final files replace
   the draft in one rename, and the published figures are recorded (RC07 then warns on any
   later change to them).

Past years: `airflow backfill create --dag-id complaints_annual_report
--from-date 2018-04-01 --to-date 2019-04-01` (one run per financial year starting between
the two dates). One year by hand: `airflow dags test complaints_annual_report 2019-04-01`.
"""


@dag(
    dag_id="complaints_annual_report",
    schedule=FinancialYearTimetable(
        SETTINGS.report_day_of_april, SETTINGS.report_time, SETTINGS.timezone
    ),
    # Early, so a past year can be built by hand or backfilled (a run dated before the start
    # date gets no tasks); catchup is off, so nothing old is scheduled by itself.
    start_date=pendulum.datetime(2010, 4, 1, tz=SETTINGS.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "report"],
    doc_md=DOC,
)
def complaints_annual_report():
    @task
    def check_year_ready(data_interval_start: pendulum.DateTime | None = None) -> str:
        """Fail unless the year's stats are present, fresh and reconciled; return the year."""
        from csc_complaints.dates import FinancialYear
        from csc_complaints.orchestration import engine_for
        from csc_complaints.report.build import check_year_ready as check
        from csc_complaints.report.fiscal import ReportSchedule

        settings = load_settings()
        schedule = ReportSchedule(
            settings.report_day_of_april, settings.report_time, settings.timezone
        )
        year = FinancialYear.containing(schedule.local_date(data_interval_start)).label
        readiness = check(engine_for(WAREHOUSE_CONN_ID), settings, year)
        readiness.raise_if_not_ready()
        for blocker in readiness.sign_off_blockers:
            print(f"{year} will stay a DRAFT: {blocker}")
        return year

    @task
    def build_draft_report(financial_year: str) -> str:
        """The DRAFT report (PDF, HTML, CSV) for the Complaints Manager to read."""
        from csc_complaints.orchestration import engine_for
        from csc_complaints.report.build import build_report

        result = build_report(
            engine_for(WAREHOUSE_CONN_ID), load_settings(), financial_year, final=False
        )
        for path in result.paths:
            print(f"draft written: {path}")
        return str(result.pdf)

    approve_report = ReportApprovalOperator(
        task_id="approve_report",
        financial_year=FINANCIAL_YEAR,
        subject=f"Sign off the {FINANCIAL_YEAR} Children's Social Care complaints annual report",
        body=(
            "The DRAFT report is at `{{ ti.xcom_pull(task_ids='build_draft_report') }}` "
            "(with the HTML and CSV beside it). Approve to publish it without the DRAFT mark; "
            "reject to keep it a draft."
        ),
        retries=0,  # a person's decision is not retried
        doc_md="The Complaints Manager's sign-off of the year's DRAFT report.",
    )

    @task
    def publish_final_report(financial_year: str, run_id: str | None = None) -> str:
        """Replace the draft with the final report and record the published figures."""
        from csc_complaints.orchestration import engine_for
        from csc_complaints.quality.reconciliation import record_published_figures
        from csc_complaints.report.build import build_report

        settings = load_settings()
        engine = engine_for(WAREHOUSE_CONN_ID)
        result = build_report(engine, settings, financial_year, final=True)
        record_published_figures(engine, settings.council_code, financial_year, run_id or "")
        print(f"final report published: {result.pdf} (sha256 {result.pdf_sha256})")
        return str(result.pdf)

    year = check_year_ready()
    draft = build_draft_report(year)
    draft >> approve_report
    approve_report >> publish_final_report(year)


complaints_annual_report()
