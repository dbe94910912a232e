"""complaints_quarterly_monitoring: the year-to-date monitoring pack after each quarter ends."""

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
from csc_complaints.timetables import FinancialQuarterTimetable

DAG_ID = "complaints_quarterly_monitoring"
CHECK_QUARTER_READY = "check_quarter_ready"

DOC = f"""
### Children's Social Care complaints: quarterly monitoring pack

Runs after each quarter of the financial year ends, on the day of the month and at the time of
the settings `report_day_of_april`, `report_time` and `timezone` (15 July, 15 October,
15 January and 15 April, 06:00, Europe/London by default): the run's data interval is the
quarter (`csc_complaints.timetables.FinancialQuarterTimetable`).

`{LIST_COUNCILS_TASK}` reads the council registry and the `{COUNCIL_GROUP}` task group runs once
per council (each mapped task labelled with the council's short name and code): a council
whose quarter is not ready fails on its own and never stops another council's pack.

1. `{CHECK_QUARTER_READY}`: the quarter has ended and the warehouse has counted it (the
   `{STATS_ASSET.name}` quarterly stats hold its open cases: an extract finished after the
   quarter ended, then a build). A quarter that is not ready fails at once (no retry) and says
   what to run first.
2. `build_monitoring_pack`: writes, in the council's folder,
   `<output>/<council_code>/<YYYY-YY>/monitoring-<YYYY-YY>-q<N>.pdf`, `.html`, `.csv` and
   `-overdue.csv`: received and decided at each stage so far this year against the same
   quarters last year, timeliness so far, cases open at the quarter's end and how many are
   past target, and an annex of the overdue cases by complaint reference (for the complaints
   team). Management information, not for publication: no sign-off.

One quarter by hand: `airflow dags test {DAG_ID} 2019-07-01` (the quarter starting that day,
2019/20 Q2). Past quarters: `airflow backfill create --dag-id {DAG_ID} --from-date 2019-04-01
--to-date 2020-01-01` (one run per quarter starting between the two dates).
"""


@dag(
    dag_id=DAG_ID,
    # Day, time and zone come from the settings when the schedule is computed, not now.
    schedule=FinancialQuarterTimetable(),
    start_date=pendulum.datetime(2010, 4, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "report", "monitoring"],
    doc_md=DOC,
)
def complaints_quarterly_monitoring():
    @task_group(group_id=COUNCIL_GROUP)
    def for_each_council(council: dict):
        """One council's quarter: a council whose quarter is not ready never stops another's
        pack."""

        @task(task_id=CHECK_QUARTER_READY, map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def check_quarter_ready(
            council: dict,
            dag=None,
            dag_run=None,
            data_interval_start: pendulum.DateTime | None = None,
        ) -> str:
            """Fail unless the quarter has ended and the warehouse has counted it for the
            council; return it."""
            from csc_complaints.orchestration import council_for_task, engine_for
            from csc_complaints.report.monitoring import check_quarter_ready as check

            registered = council_for_task(council)
            run_after = getattr(dag_run, "run_after", None)
            quarter = dag.timetable.financial_quarter(data_interval_start, run_after)
            check(engine_for(WAREHOUSE_CONN_ID), registered.code, quarter)
            return quarter.label

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def build_monitoring_pack(council: dict, quarter: str) -> str:
            """The council's pack of the quarter (PDF, HTML, CSV) for its management and
            complaints teams, in its own output folder."""
            from csc_complaints.orchestration import council_for_task, engine_for
            from csc_complaints.report.monitoring import build_monitoring_pack as build

            registered = council_for_task(council)
            pack = build(engine_for(WAREHOUSE_CONN_ID), registered.settings, quarter)
            for path in pack.paths:
                print(f"written: {path}")
            print(f"{registered.label} {quarter}: {pack.overdue} open case(s) past target")
            return str(pack.pdf)

        build_monitoring_pack(council, check_quarter_ready(council))

    for_each_council.expand(council=list_councils())


complaints_quarterly_monitoring()
