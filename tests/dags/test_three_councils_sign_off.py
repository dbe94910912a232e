"""Three councils in one deployment, through real Airflow (``airflow dags test``), on a SQLite
and on a PostgreSQL warehouse (issue 15).

Darlington (the reference dataset), Northmoor and Eastbrook (synthetic sources of their own),
one registry (``COMPLAINTS_COUNCILS_FILE``), one warehouse. Eastbrook's source has a broken
stage row, so its rows are held back and its extract task goes red; the extract, the warehouse
build and the 2019/20 annual report run for all three with ``COMPLAINTS_AUTO_APPROVE=true``:

* every council's stats equal ``tests/oracle.py``'s count of its own source (Eastbrook's less
  the complaint held back);
* Eastbrook's report stays a DRAFT: its approval task fails, naming the council and the rule,
  and its final report never appears;
* Darlington's and Northmoor's reports are signed off: the final PDFs are under
  ``<output>/<council_code>/2019-20/`` without the DRAFT mark;
* every mapped task of the report shows its council's label;
* the regional benchmark lists all three with their own figures and statuses (Eastbrook a draft
  with its rejected row).
"""

from __future__ import annotations

import csv
import json
import sqlite3

import pypdf
import pytest

from csc_complaints.db import make_engine
from csc_complaints.report.approval import AUTO_APPROVER
from csc_complaints_demo.reference_data import build_reference_dataset
from tests.airflow_harness import airflow_home, dags_test
from tests.councils_harness import (
    DARLINGTON,
    EASTBROOK,
    NORTHMOOR,
    break_one_complaint,
    seed_synthetic_source,
    without_complaint,
    write_registry,
)
from tests.dags.test_end_to_end import airflow_uri
from tests.oracle import expected_stats, stats_from_warehouse

REPORT_DAG = "complaints_annual_report"
PDF = "annual-report-2019-20.pdf"


def _cover(path) -> str:
    return " ".join(pypdf.PdfReader(path).pages[0].extract_text().split())


@pytest.mark.airflow
@pytest.mark.parametrize("warehouse_kind", ["sqlite", "postgres"])
def test_three_councils_each_signed_off_on_its_own(
    warehouse_kind, new_sqlite_database, request, tmp_path
):
    warehouse_url = (
        new_sqlite_database()
        if warehouse_kind == "sqlite"
        else request.getfixturevalue("new_postgres_database")()
    )
    sources = {council: new_sqlite_database() for council in (DARLINGTON, NORTHMOOR, EASTBROOK)}
    build_reference_dataset(make_engine(sources[DARLINGTON]))
    seed_synthetic_source(sources[NORTHMOOR], seed=11)
    seed_synthetic_source(sources[EASTBROOK], seed=12)
    held_back = break_one_complaint(sources[EASTBROOK])

    output = tmp_path / "output"
    env = airflow_home(
        tmp_path, airflow_uri(sources[DARLINGTON]), airflow_uri(warehouse_url), output
    )
    env["COMPLAINTS_COUNCILS_FILE"] = str(
        write_registry(tmp_path / "councils.toml", [DARLINGTON, NORTHMOOR, EASTBROOK])
    )
    for council, url in sources.items():
        env[council.conn_variable] = airflow_uri(url)

    # Eastbrook's rejected rows turn its own gate red; the others' extracts are green.
    dags_test(env, "complaints_extract", expect="failed")
    dags_test(env, "complaints_warehouse")
    env["COMPLAINTS_AUTO_APPROVE"] = "true"
    log = dags_test(env, REPORT_DAG, "2019-04-01T00:00:00+00:00", expect="failed")

    # Each council's figures are its own source's, counted by the oracle.
    without_complaint(sources[EASTBROOK], held_back)
    expected = {council: expected_stats(url) for council, url in sources.items()}
    for council in sources:
        assert stats_from_warehouse(warehouse_url, council.code) == expected[council], council

    # The regional benchmark, built when every council's group had ended: all three, each with
    # its own figures (the oracle's count of its own source) and its report's status.
    benchmark = output / "benchmark" / "2019-20"
    with (benchmark / "benchmark-2019-20.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert {r["council_code"] for r in rows} == {c.code for c in sources}
    status = {r["council_code"]: r["status"] for r in rows}
    assert status == {DARLINGTON.code: "final", NORTHMOOR.code: "final", EASTBROOK.code: "draft"}
    value = {(r["council_code"], r["measure"]): r["value"] for r in rows}
    for council in sources:
        received = expected[council]["stats_headlines"][("2019/20", "complaints_received")]
        assert value[(council.code, "complaints_received")] == str(received), council
    assert value[(EASTBROOK.code, "rejected_rows")] == "1"
    assert value[(DARLINGTON.code, "rejected_rows")] == "0"
    assert (benchmark / "benchmark-2019-20.pdf").stat().st_size > 0
    assert (benchmark / "benchmark-2019-20.html").exists()

    # Darlington and Northmoor are signed off; Eastbrook stays a DRAFT.
    for council in (DARLINGTON, NORTHMOOR):
        folder = output / council.code / "2019-20"
        cover = _cover(folder / PDF)
        assert f"Approved by {AUTO_APPROVER['name']}" in cover and "DRAFT" not in cover
        assert council.name in cover or council.short_name in cover, cover
        assert f"final report of {council.label} published" in log
    eastbrook = output / EASTBROOK.code / "2019-20"
    assert "DRAFT" in _cover(eastbrook / PDF)
    assert not any("Approved by" in _cover(p) for p in eastbrook.glob("*.pdf"))
    recon = json.loads((eastbrook / "reconciliation.json").read_text(encoding="utf-8"))
    assert recon["council_code"] == EASTBROOK.code and recon["rejected_rows_by_rule"] == {"DQ05": 1}
    assert f"the 2019/20 report of {EASTBROOK.label} stays a DRAFT" in log
    assert f"final report of {EASTBROOK.label} published" not in log

    # The tasks' states and labels, as Airflow recorded them: one per council, in registry order.
    with sqlite3.connect(
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    ) as db:
        rows = db.execute(
            "SELECT task_id, map_index, rendered_map_index, state FROM task_instance "
            "WHERE dag_id = ? AND map_index >= 0",
            (REPORT_DAG,),
        ).fetchall()
    tasks = {
        (task.removeprefix("council."), index): (label, state) for task, index, label, state in rows
    }
    order = (DARLINGTON, NORTHMOOR, EASTBROOK)
    for task in (
        "check_year_ready",
        "build_draft_report",
        "approve_report",
        "publish_final_report",
    ):
        for index, council in enumerate(order[:2]):
            assert tasks[(task, index)] == (council.label, "success"), (task, tasks)
    assert tasks[("check_year_ready", 2)] == (EASTBROOK.label, "success")
    assert tasks[("build_draft_report", 2)] == (EASTBROOK.label, "success")
    assert tasks[("approve_report", 2)] == (EASTBROOK.label, "failed")
    assert tasks[("publish_final_report", 2)][1] == "upstream_failed"  # never ran: no label
    with sqlite3.connect(
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    ) as db:
        (benchmark_state,) = db.execute(
            "SELECT state FROM task_instance WHERE dag_id = ? AND task_id = ?",
            (REPORT_DAG, "build_regional_benchmark"),
        ).fetchone()
    assert benchmark_state == "success"
