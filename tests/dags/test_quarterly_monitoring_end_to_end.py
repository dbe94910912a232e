"""The quarterly monitoring DAG end to end through real Airflow (``airflow dags test``): the
reference dataset, the extract and warehouse DAGs, then the pack of 2019/20 Q3, on SQLite and
PostgreSQL. Its annex lists the oracle's overdue cases; a quarter the warehouse has not
counted fails at once, saying what to run."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import func, select

from csc_complaints.db import make_engine
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.schema import dim_date, etl_extract_runs
from csc_complaints_demo.reference_data import build_reference_dataset
from tests.airflow_harness import airflow_home, dags_test
from tests.dags.test_end_to_end import airflow_uri
from tests.oracle import expected_quarterly

DAG_ID = "complaints_quarterly_monitoring"


@pytest.mark.airflow
def test_the_pack_of_a_quarter_lists_the_oracles_overdue_cases(new_database, tmp_path):
    source_url, warehouse_url = new_database(), new_database()
    build_reference_dataset(make_engine(source_url))
    output = tmp_path / "output"
    code = load_settings().council_code  # outputs: <output>/<council_code>/<YYYY-YY>/
    env = airflow_home(tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), output)

    # Before the warehouse has counted anything, the pack is refused (no retry) and says why.
    failed = dags_test(env, DAG_ID, "2019-10-01", expect="failed")
    assert "run complaints_extract and complaints_warehouse" in failed
    assert not (output / code / "2019-20").exists()

    dags_test(env, "complaints_extract")
    dags_test(env, "complaints_warehouse")
    dags_test(env, DAG_ID, "2019-10-01")  # the quarter starting 1 October 2019: 2019/20 Q3

    folder = output / code / "2019-20"
    stem = "monitoring-2019-20-q3"
    for suffix in (".pdf", ".html", ".csv", "-overdue.csv"):
        assert (folder / f"{stem}{suffix}").stat().st_size > 0, suffix
    assert (folder / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
    html = (folder / f"{stem}.html").read_text(encoding="utf-8")
    assert "Management information, not for publication" in html
    assert "DRAFT" not in html

    warehouse = make_engine(warehouse_url)
    with warehouse.connect() as conn:
        years = set(conn.execute(select(dim_date.c.financial_year).distinct()).scalars())
        finished = conn.execute(select(func.max(etl_extract_runs.c.finished_at))).scalar_one()
    oracle = expected_quarterly(source_url, years, date.fromisoformat(str(finished)[:10]))
    with (folder / f"{stem}-overdue.csv").open(newline="", encoding="utf-8") as handle:
        listed = [
            (r["reference"], int(r["stage"]), r["team"], int(r["working_days_open"]))
            for r in csv.DictReader(handle)
        ]
    assert sorted(listed) == oracle["overdue"].get(("2019/20", 3), [])
    assert listed, "the reference dataset has cases past target at the end of 2019/20 Q3"
    # Received so far: the oracle's quarters 1 to 3 of 2019/20, stage by stage.
    with (folder / f"{stem}.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for stage in (1, 2, 3):
        want = sum(
            oracle["stats_quarterly_stages"].get(("2019/20", q, stage), (0, 0))[0]
            for q in (1, 2, 3)
        )
        (row,) = [
            r for r in rows if (r["figure"], r["stage_or_measure"]) == ("received", str(stage))
        ]
        assert int(row["year_to_date"]) == want
        assert row["council_code"] == code
