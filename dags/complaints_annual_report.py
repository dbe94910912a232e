"""complaints_annual_report: each council's statutory annual report for the financial year just
ended, each signed off on its own."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task, task_group

from csc_complaints.orchestration import (
    COUNCIL_GROUP,
    COUNCIL_MAP_INDEX,
    DEFAULT_ARGS,
    LIST_COUNCILS_TASK,
    STATS_ASSET,
    WAREHOUSE_CONN_ID,
    fail_fast,
    list_councils,
)
from csc_complaints.report.approval import ReportApprovalOperator
from csc_complaints.timetables import FinancialYearTimetable

DAG_ID = "complaints_annual_report"
# Task ids that templates name: each written once.
CHECK_YEAR_READY = "check_year_ready"
BUILD_DRAFT_REPORT = "build_draft_report"
APPROVE_REPORT = "approve_report"


def _same_council(task_id: str) -> str:
    """The XCom of ``task_id`` of the same council: the same map index of the council group.

    The approval is a classic operator, and a mapped task group's argument never reaches a
    classic operator resolved (apache/airflow issue 39222); its templates read what
    ``check_year_ready`` returned for its council instead."""
    return f"ti.xcom_pull(task_ids='{COUNCIL_GROUP}.{task_id}', map_indexes=ti.map_index)"


FINANCIAL_YEAR = f"{{{{ {_same_council(CHECK_YEAR_READY)}['financial_year'] }}}}"
COUNCIL_CODE = f"{{{{ {_same_council(CHECK_YEAR_READY)}['code'] }}}}"
COUNCIL_NAME = f"{{{{ {_same_council(CHECK_YEAR_READY)}['name'] }}}}"
# The approval's label in the UI (a classic operator's context has no council_label).
APPROVAL_MAP_INDEX = f"{{{{ {_same_council(CHECK_YEAR_READY)}['label'] }}}}"
DRAFT_PDF = f"{{{{ {_same_council(BUILD_DRAFT_REPORT)} }}}}"

DOC = f"""
### Children's Social Care complaints: annual report

Runs each April for the financial year just ended, on the day and at the time of the settings
`report_day_of_april`, `report_time` and `timezone` (15 April, 06:00, Europe/London by
default): the run's data interval is that year, 1 April to 1 April
(`csc_complaints.timetables.FinancialYearTimetable`).

`{LIST_COUNCILS_TASK}` reads the council registry and the `{COUNCIL_GROUP}` task group runs once
per council, each mapped task labelled with the council's short name and code. Each council's
report is signed off on its own: one council's year that cannot be signed off, or a report
nobody has approved yet, never holds back another council's.

1. `{CHECK_YEAR_READY}`: the council's `{STATS_ASSET.name}` stats for the year are in the
   warehouse, an extract ran after the year ended, and its `reconciliation.json` is at least as
   recent as the stats. A year that is not ready fails at once (no retry) and says what to run
   first.
2. `{BUILD_DRAFT_REPORT}`: writes `<output>/<council_code>/<YYYY-YY>/annual-report-<YYYY-YY>.pdf`
   and `.html` and `csv/*.csv`, with DRAFT on every page.
3. `{APPROVE_REPORT}`: the council's Complaints Manager reads the draft and approves or rejects
   it here (Airflow's human-in-the-loop approval; the request names the council, and only the
   council's `approvers` of the registry may answer when it lists any). A year with rejected
   rows or a failed critical reconciliation rule cannot be approved: the council's task fails
   and names each problem; the other councils go on. `COMPLAINTS_AUTO_APPROVE=true` (for
   `make demo` only) approves without a person and says so in the task log;
   `COMPLAINTS_REPORT_DRAFT_ONLY=true` (`make run`) skips it, leaving the DRAFT.
4. `publish_final_report`: rebuilds the report without the DRAFT mark, its cover and metadata
   saying "Approved by <name>, <role> on <date>" (the approver and time from step 3, the role
   from the council's setting `sign_off_role`); the final files replace the draft in one
   rename, and the published figures are recorded (RC07 then warns on any later change to them).

Then `build_regional_benchmark` (when every council's group has ended, whatever its outcome)
writes the year's regional benchmark across the registry's councils to
`<output>/benchmark/<YYYY-YY>/benchmark-<YYYY-YY>.pdf`, `.html` and `.csv`: management
information for the councils, each shown with its report's status (final, draft, rows rejected,
no data). A deployment of one council has no benchmark. `fail_run_if_a_council_failed` keeps
the run red when any council's task failed (it runs only then; that task has alerted already).

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
    @task_group(group_id=COUNCIL_GROUP)
    def for_each_council(council: dict):
        """One council's report: draft, sign-off and publication, apart from the others."""

        @task(task_id=CHECK_YEAR_READY, map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def check_year_ready(
            council: dict,
            dag=None,
            dag_run=None,
            data_interval_start: pendulum.DateTime | None = None,
        ) -> dict:
            """Fail unless the council's stats of the year are present, fresh and reconciled;
            return the year and the council (what the approval's templates read)."""
            from csc_complaints.orchestration import council_for_task, engine_for
            from csc_complaints.report.build import check_year_ready as check

            registered = council_for_task(council)
            year = _year_of_run(dag, dag_run, data_interval_start)
            readiness = check(engine_for(WAREHOUSE_CONN_ID), registered.settings, year)
            readiness.raise_if_not_ready()
            for blocker in readiness.sign_off_blockers:
                print(f"{year} of {registered.label} will stay a DRAFT: {blocker}")
            return {
                "financial_year": year,
                "code": registered.code,
                "name": registered.name,
                "label": registered.label,
            }

        @task(task_id=BUILD_DRAFT_REPORT, map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def build_draft_report(council: dict, ready: dict) -> str:
            """The council's DRAFT report (PDF, HTML, CSV) for its Complaints Manager to read."""
            from csc_complaints.orchestration import council_for_task, engine_for
            from csc_complaints.report.build import build_report

            settings = council_for_task(council).settings
            result = build_report(
                engine_for(WAREHOUSE_CONN_ID), settings, ready["financial_year"], final=False
            )
            for path in result.paths:
                print(f"draft written: {path}")
            return str(result.pdf)

        approve_report = ReportApprovalOperator(
            task_id=APPROVE_REPORT,
            financial_year=FINANCIAL_YEAR,
            council_code=COUNCIL_CODE,
            subject=(
                f"Sign off {COUNCIL_NAME}'s {FINANCIAL_YEAR} Children's Social Care complaints "
                "annual report"
            ),
            body=(
                f"The DRAFT report of {COUNCIL_NAME} is at `{DRAFT_PDF}` (with the HTML and CSV "
                "beside it). Approve to publish it without the DRAFT mark; reject to keep it a "
                "draft."
            ),
            map_index_template=APPROVAL_MAP_INDEX,
            retries=0,  # a person's decision is not retried
            doc_md="The council's Complaints Manager's sign-off of its year's DRAFT report.",
        )

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def publish_final_report(
            council: dict, ready: dict, approval: dict | None = None, run_id: str | None = None
        ) -> str:
            """Replace the council's draft with the final report, saying who approved it and
            when (the approval task's response), and record the published figures."""
            from csc_complaints.orchestration import council_for_task, engine_for
            from csc_complaints.quality.reconciliation import record_published_figures
            from csc_complaints.report.build import build_report
            from csc_complaints.report.sign_off import SignOff

            registered = council_for_task(council)
            settings = registered.settings
            year = ready["financial_year"]
            sign_off = SignOff.from_response(
                approval or {}, settings.sign_off_role, settings.timezone
            )
            engine = engine_for(WAREHOUSE_CONN_ID)
            result = build_report(engine, settings, year, final=True, sign_off=sign_off)
            record_published_figures(engine, registered.code, year, run_id or "")
            print(
                f"final report of {registered.label} published: {result.pdf} "
                f"(sha256 {result.pdf_sha256})"
            )
            return str(result.pdf)

        ready = check_year_ready(council)
        draft = build_draft_report(council, ready)
        draft >> approve_report
        publish_final_report(council, ready, approve_report.output)

    @task(trigger_rule="all_done")
    @fail_fast
    def build_regional_benchmark(
        dag=None, dag_run=None, data_interval_start: pendulum.DateTime | None = None
    ) -> str | None:
        """The year's regional benchmark across every council of the registry, once every
        council's report is published, left a draft or failed: each council shown with its
        status, never left out. One council alone has nothing to be compared with."""
        from csc_complaints.councils import load_councils
        from csc_complaints.orchestration import engine_for
        from csc_complaints.report.benchmark import build_benchmark
        from csc_complaints.settings import load_settings

        settings = load_settings()
        councils = load_councils()
        year = _year_of_run(dag, dag_run, data_interval_start)
        if len(councils) < 2:
            print(f"one council in the registry: no regional benchmark of {year}")
            return None
        result = build_benchmark(
            engine_for(WAREHOUSE_CONN_ID), councils, year, settings.output_root, settings
        )
        for path in result.paths:
            print(f"regional benchmark written: {path}")
        return str(result.pdf)

    @task(trigger_rule="one_failed")
    @fail_fast
    def fail_run_if_a_council_failed() -> None:
        """Keep the run red when a council's task failed: the benchmark after the councils
        succeeds whatever their outcome, and a run's state follows its last tasks."""
        from csc_complaints.orchestration import CouncilTasksFailed

        raise CouncilTasksFailed(
            "a council's task of this run failed (its own alert and log say which and why)"
        )

    councils = for_each_council.expand(council=list_councils())
    councils >> [build_regional_benchmark(), fail_run_if_a_council_failed()]


def _year_of_run(dag, dag_run, data_interval_start) -> str:
    """The financial year a run reports on: its data interval (the timetable made it the year),
    or for a run without one, the year its ``run_after`` names."""
    run_after = getattr(dag_run, "run_after", None)
    return dag.timetable.financial_year(data_interval_start, run_after).label


complaints_annual_report()
