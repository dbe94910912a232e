"""End to end through real Airflow (``airflow dags test``): the reference dataset in a source
database, the extract and the warehouse DAGs, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from csc_complaints.db import make_engine
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.schema import etl_extract_runs, stats_headlines
from csc_complaints_demo.reference_data import build_reference_dataset
from tests.airflow_harness import airflow_home, dags_test
from tests.oracle import expected_stats, stats_from_warehouse


def airflow_uri(sqlalchemy_url: str) -> str:
    """The URI an operator would put in AIRFLOW_CONN_*: no SQLAlchemy driver suffix."""
    url = make_url(sqlalchemy_url)
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=False)


@pytest.mark.airflow
def test_extract_and_warehouse_dags_build_the_reference_figures(new_database, tmp_path):
    source_url, warehouse_url = new_database(), new_database()
    build_reference_dataset(make_engine(source_url))
    env = airflow_home(
        tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), tmp_path / "output"
    )

    dags_test(env, "complaints_extract")
    dags_test(env, "complaints_warehouse")

    council = load_settings().council_code
    assert stats_from_warehouse(warehouse_url, council) == expected_stats(source_url)
    warehouse = make_engine(warehouse_url)
    with warehouse.connect() as conn:
        received = conn.execute(
            select(stats_headlines.c.financial_year, stats_headlines.c.value).where(
                stats_headlines.c.measure == "complaints_received"
            )
        ).all()
    assert dict(received) == {"2018/19": 67, "2019/20": 57}

    # A second extract with no source change writes nothing.
    dags_test(env, "complaints_extract")
    with warehouse.connect() as conn:
        written = conn.execute(select(etl_extract_runs.c.run_id, etl_extract_runs.c.rows_written))
        by_run: dict[str, int] = {}
        for run_id, rows in written:
            by_run[run_id] = by_run.get(run_id, 0) + rows
    assert len(by_run) == 2
    assert sorted(by_run.values())[0] == 0
