"""complaints_warehouse: dimensions, facts and stats tables, rebuilt when staging changes."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from csc_complaints.orchestration import (
    DEFAULT_ARGS,
    STAGING_ASSET,
    STATS_ASSET,
    WAREHOUSE_CONN_ID,
)

DOC = f"""
### Children's Social Care complaints: warehouse build

Runs whenever `complaints_extract` updates the `{STAGING_ASSET.name}` asset. Builds the date,
team and issue dimensions and the fact tables from staging (leaving out deleted rows, rows of
deleted complaints and rows the row checks rejected), then the six `stats_*` tables of the
warehouse contract for every financial year whose figures changed, each (council, year)
replaced in one transaction so a reader never sees a half-built year. Working days are counted
once per stage row against England and Wales bank holidays. The SQL is in
`include/sql/warehouse/`, one file per step, the same on SQLite and PostgreSQL.

On success it updates the `{STATS_ASSET.name}` asset, read by the annual report.
"""


@dag(
    dag_id="complaints_warehouse",
    schedule=[STAGING_ASSET],
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["complaints", "warehouse"],
    doc_md=DOC,
)
def complaints_warehouse():
    @task(outlets=[STATS_ASSET])
    def build_statistics(run_id: str | None = None) -> list[str]:
        """Rebuild facts and stats; return the financial years whose figures changed."""
        from csc_complaints.orchestration import engine_for
        from csc_complaints.settings import load_settings
        from csc_complaints.warehouse.build import build_warehouse

        result = build_warehouse(engine_for(WAREHOUSE_CONN_ID), load_settings(), run_id)
        print(f"warehouse {run_id}: years changed {result.changed_years or 'none'}")
        return list(result.changed_years)

    build_statistics()


complaints_warehouse()
