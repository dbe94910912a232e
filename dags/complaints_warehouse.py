"""complaints_warehouse: dimensions, facts and stats tables, rebuilt when staging changes."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc_complaints.orchestration import (
    DEFAULT_ARGS,
    STAGING_ASSET,
    STATS_ASSET,
    WAREHOUSE_CONN_ID,
    fail_fast,
)

DAG_ID = "complaints_warehouse"

DOC = f"""
### Children's Social Care complaints: warehouse build and reconciliation

Runs whenever `complaints_extract` updates the `{STAGING_ASSET.name}` asset.

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
   `<output>/<YYYY-YY>/reconciliation.json` and the Data Docs, and alerts at once on a failure.
   It updates the `{STATS_ASSET.name}` asset.
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
    @task
    @fail_fast
    def build_statistics(run_id: str | None = None) -> list[str]:
        """Rebuild facts and stats; return the financial years whose figures changed."""
        from csc_complaints.orchestration import engine_for
        from csc_complaints.settings import load_settings
        from csc_complaints.warehouse.build import build_warehouse

        settings = load_settings()  # before the warehouse is touched
        result = build_warehouse(engine_for(WAREHOUSE_CONN_ID), settings, run_id, incremental=True)
        print(f"warehouse {run_id}: {result.summary()}")
        return list(result.changed_years)

    @task(outlets=[STATS_ASSET])
    @fail_fast
    def reconcile_years(changed_years: list[str], run_id: str | None = None) -> dict:
        """Reconcile every changed year (RC rules), write reconciliation.json, alert."""
        from csc_complaints.orchestration import check_and_alert, engine_for
        from csc_complaints.quality.reconciliation import run_reconciliation
        from csc_complaints.settings import load_settings

        settings = load_settings()
        warehouse = engine_for(WAREHOUSE_CONN_ID)
        result = run_reconciliation(
            warehouse, settings, run_id, changed_years, settings.output_path
        )
        return check_and_alert(result, DAG_ID, run_id, warehouse)

    @task
    @fail_fast
    def fail_if_not_reconciled(verdict: dict) -> None:
        """Red on a critical reconciliation failure; warnings only alert."""
        from csc_complaints.orchestration import fail_if_critical

        fail_if_critical(verdict)

    fail_if_not_reconciled(reconcile_years(build_statistics()))


complaints_warehouse()
