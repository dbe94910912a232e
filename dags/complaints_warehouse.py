"""complaints_warehouse: dimensions, facts and stats tables, rebuilt when staging changes."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task, task_group

from csc_complaints.orchestration import (
    COUNCIL_GROUP,
    COUNCIL_MAP_INDEX,
    DEFAULT_ARGS,
    LIST_COUNCILS_TASK,
    STAGING_ASSET,
    STATS_ASSET,
    WAREHOUSE_CONN_ID,
    fail_fast,
    list_councils,
)

DAG_ID = "complaints_warehouse"

DOC = f"""
### Children's Social Care complaints: warehouse build and reconciliation

Runs whenever `complaints_extract` updates the `{STAGING_ASSET.name}` asset.
`{LIST_COUNCILS_TASK}` reads the council registry and the `{COUNCIL_GROUP}` task group runs
once per council (each mapped task labelled with the council); one council's failed build or
reconciliation never stops another's. A council whose staging did not change since its last
build is not rebuilt (the build is incremental).

1. `build_statistics` builds the date, team and issue dimensions and the fact tables from
   staging (leaving out deleted rows, rows of deleted complaints and rejected rows), then the
   `stats_*` tables for every financial year whose figures changed, each (council, year)
   replaced in one transaction so a reader never sees a half-built year. It is incremental:
   only the facts of the rows changed since the last build, and only the years their dates
   fall in (before and after the change), are rebuilt; a first build is a full one. Working days are
   counted once per stage row against England and Wales bank holidays. SQL:
   `include/sql/warehouse/`, one file per step, the same on SQLite and PostgreSQL.
2. `reconcile_years` runs the reconciliation (RC01-RC07, Great Expectations suite
   `expectations/rc_warehouse.json`) for every year that changed, writes
   `<output>/<council_code>/<YYYY-YY>/reconciliation.json` and the Data Docs, and alerts at
   once on a failure. It updates the `{STATS_ASSET.name}` asset.
3. `fail_if_not_reconciled` turns the run red on a critical failure (RC01-RC06); a warning
   (RC07, a published year restated) is alerted and the run stays green.

An error a retry cannot fix fails its task at once and says what to do; every failed task
alerts (`csc_complaints.orchestration`).
"""


@dag(
    dag_id=DAG_ID,
    schedule=[STAGING_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "warehouse", "quality"],
    doc_md=DOC,
)
def complaints_warehouse():
    @task_group(group_id=COUNCIL_GROUP)
    def for_each_council(council: dict):
        """One council's build and reconciliation; a council with nothing changed since its
        last build costs a few queries."""

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def build_statistics(council: dict, run_id: str | None = None) -> list[str]:
            """Rebuild the council's facts and stats; return the financial years whose
            figures changed."""
            from csc_complaints.orchestration import council_for_task, engine_for
            from csc_complaints.warehouse.build import build_warehouse

            settings = council_for_task(council).settings  # before the warehouse is touched
            warehouse = engine_for(WAREHOUSE_CONN_ID)
            result = build_warehouse(warehouse, settings, run_id, incremental=True)
            print(f"warehouse {run_id} of {council['label']}: {result.summary()}")
            return list(result.changed_years)

        @task(outlets=[STATS_ASSET], map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def reconcile_years(
            council: dict, changed_years: list[str], run_id: str | None = None
        ) -> dict:
            """Reconcile every changed year of the council (RC rules), write
            reconciliation.json, alert."""
            from csc_complaints.orchestration import check_and_alert, council_for_task, engine_for
            from csc_complaints.quality.reconciliation import run_reconciliation

            registered = council_for_task(council)
            settings = registered.settings
            warehouse = engine_for(WAREHOUSE_CONN_ID)
            result = run_reconciliation(
                warehouse, settings, run_id, changed_years, settings.output_path
            )
            return check_and_alert(result, DAG_ID, run_id, warehouse, registered)

        @task(map_index_template=COUNCIL_MAP_INDEX)
        @fail_fast
        def fail_if_not_reconciled(council: dict, verdict: dict) -> None:
            """Red on a critical reconciliation failure of the council; warnings only alert."""
            from csc_complaints.orchestration import council_for_task, fail_if_critical

            council_for_task(council)
            fail_if_critical(verdict)

        verdict = reconcile_years(council, build_statistics(council))
        fail_if_not_reconciled(council, verdict)

    for_each_council.expand(council=list_councils())


complaints_warehouse()
