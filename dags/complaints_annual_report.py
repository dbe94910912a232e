"""complaints_annual_report: the statutory annual report for the financial year just ended."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc_complaints.orchestration import DEFAULT_ARGS, STATS_ASSET, WAREHOUSE_CONN_ID, fail_fast
from csc_complaints.report.approval import ReportApprovalOperator
from csc_complaints.timetables import FinancialYearTimetable

DAG_ID = "complaints_annual_report"
# Task ids that templates name: each written once.
CHECK_YEAR_READY = "check_year_ready"
BUILD_DRAFT_REPORT = "build_draft_report"
APPROVE_REPORT = "approve_report"
FINANCIAL_YEAR = f"{{{{ ti.xcom_pull(task_ids='{CHECK_YEAR_READY}') }}}}"
DRAFT_PDF = f"{{{{ ti.xcom_pull(task_ids='{BUILD_DRAFT_REPORT}') }}}}"

DOC = f"""
### Children's Social Care complaints: annual report

Runs each April for the financial year just ended, on the day and at the time of the settings
`report_day_of_april`, `report_time` and `timezone` (15 April, 06:00, Europe/London by
default): the run's data interval is that year, 1 April to 1 April
(`csc_complaints.timetables.FinancialYearTimetable`).

1. `{CHECK_YEAR_READY}`: the year's `{STATS_ASSET.name}` stats are in the warehouse, an extract
   ran after the year ended, and `reconciliation.json` is at least as recent as the stats.
   A year that is not ready fails at once (no retry) and says what to run first.
2. `{BUILD_DRAFT_REPORT}`: writes `<output>/<YYYY-YY>/annual-report-<YYYY-YY>.pdf` and `.html`
   and `csv/*.csv`, with DRAFT on every page.
3. `{APPROVE_REPORT}`: the Complaints Manager reads the draft and approves or rejects it here
   (Airflow's human-in-the-loop approval). A year with rejected rows or a failed critical
   reconciliation rule cannot be approved: the task fails and names each problem.
   `COMPLAINTS_AUTO_APPROVE=true` (for `make demo` only) approves without a person and says so
   in the task log.
4. `publish_final_report`: rebuilds the report without the DRAFT mark, its cover and metadata
   saying "Approved by <name>, <role> on <date>" (the approver and time from step 3, the role
   from the setting `sign_off_role`); the final files replace the draft in one rename, and the
   published figures are recorded (RC07 then warns on any later change to them).

Past years: `airflow backfill create --dag-id {DAG_ID}
--from-date 2018-04-01 --to-date 2019-04-01` (one run per financial year starting between
the two dates). One year by hand: `airflow dags test {DAG_ID} 2019-04-01`.
"""


@dag(
    dag_id=DAG_ID,
    # Day, time and zone come from the settings when the schedule is computed, not now.
    schedule=FinancialYearTimetable(),
    # Early, so a past year can be built by hand or backfilled (a run dated before the start
    # date gets no tasks); catchup is off, so nothing old is scheduled by itself.
    start_date=pendulum.datetime(2010, 4, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "report"],
    doc_md=DOC,
)
def complaints_annual_report():
    @task(task_id=CHECK_YEAR_READY)
    @fail_fast
    def check_year_ready(
        dag=None, dag_run=None, data_interval_start: pendulum.DateTime | None = None
    ) -> str:
        """Fail unless the year's stats are present, fresh and reconciled; return the year."""
        from csc_complaints.orchestration import engine_for
        from csc_complaints.report.build import check_year_ready as check
        from csc_complaints.settings import load_settings

        settings = load_settings()
        # The run's data interval is the year (the timetable made it so).
        run_after = getattr(dag_run, "run_after", None)
        year = dag.timetable.financial_year(data_interval_start, run_after).label
        readiness = check(engine_for(WAREHOUSE_CONN_ID), settings, year)
        readiness.raise_if_not_ready()
        for blocker in readiness.sign_off_blockers:
            print(f"{year} will stay a DRAFT: {blocker}")
        return year

    @task(task_id=BUILD_DRAFT_REPORT)
    @fail_fast
    def build_draft_report(financial_year: str) -> str:
        """The DRAFT report (PDF, HTML, CSV) for the Complaints Manager to read."""
        from csc_complaints.orchestration import engine_for
        from csc_complaints.report.build import build_report
        from csc_complaints.settings import load_settings

        settings = load_settings()
        result = build_report(engine_for(WAREHOUSE_CONN_ID), settings, financial_year, final=False)
        for path in result.paths:
            print(f"draft written: {path}")
        return str(result.pdf)

    approve_report = ReportApprovalOperator(
        task_id=APPROVE_REPORT,
        financial_year=FINANCIAL_YEAR,
        subject=f"Sign off the {FINANCIAL_YEAR} Children's Social Care complaints annual report",
        body=(
            f"The DRAFT report is at `{DRAFT_PDF}` (with the HTML and CSV beside it). Approve "
            "to publish it without the DRAFT mark; reject to keep it a draft."
        ),
        retries=0,  # a person's decision is not retried
        doc_md="The Complaints Manager's sign-off of the year's DRAFT report.",
    )

    @task
    @fail_fast
    def publish_final_report(
        financial_year: str, approval: dict | None = None, run_id: str | None = None
    ) -> str:
        """Replace the draft with the final report, saying who approved it and when (the
        approval task's response), and record the published figures."""
        from csc_complaints.orchestration import engine_for
        from csc_complaints.quality.reconciliation import record_published_figures
        from csc_complaints.report.build import build_report
        from csc_complaints.report.sign_off import SignOff
        from csc_complaints.settings import load_settings

        settings = load_settings()
        sign_off = SignOff.from_response(approval or {}, settings.sign_off_role, settings.timezone)
        engine = engine_for(WAREHOUSE_CONN_ID)
        result = build_report(engine, settings, financial_year, final=True, sign_off=sign_off)
        record_published_figures(engine, settings.council_code, financial_year, run_id or "")
        print(f"final report published: {result.pdf} (sha256 {result.pdf_sha256})")
        return str(result.pdf)

    year = check_year_ready()
    draft = build_draft_report(year)
    draft >> approve_report
    approve_report >> publish_final_report(year, approve_report.output)


complaints_annual_report()
