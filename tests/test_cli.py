"""``make run`` (``python -m csc_complaints.cli run-dags``) on data nobody tuned for, through
real Airflow: a random synthetic source leaves stats equal to an independent count and the
year's report a DRAFT waiting for a person; a source with bad rows still gets its DRAFT, its
figures and what was held back, then a non-zero exit; settings are refused before anything
runs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from csc_complaints.cli import report_logical_date
from csc_complaints.db import make_engine
from csc_complaints.report.open_data_tables import OPEN_DATA_TABLES
from csc_complaints.settings import PROJECT_ROOT, load_settings
from csc_complaints_demo.reference_data import build_reference_dataset
from csc_complaints_demo.synthetic import GeneratorConfig, generate
from tests.airflow_harness import airflow_home
from tests.dags.test_end_to_end import airflow_uri
from tests.oracle import expected_stats, stats_from_warehouse


def test_report_logical_date_is_the_start_of_the_financial_year():
    assert report_logical_date("2019/20") == "2019-04-01T00:00:00+00:00"
    with pytest.raises(SystemExit, match="not a financial year"):
        report_logical_date("2019/21")
    with pytest.raises(SystemExit, match="not a financial year"):
        report_logical_date("2019-20")


@pytest.mark.airflow
def test_make_run_on_a_random_source(new_sqlite_database, new_postgres_database, tmp_path):
    source_url, warehouse_url = new_sqlite_database(), new_postgres_database()
    generate(
        make_engine(source_url),
        GeneratorConfig(seed=4242, first_year="2018/19", years=2, complaints_per_year=300),
        progress=False,
    )
    output = tmp_path / "output"
    env = airflow_home(tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), output)
    done = subprocess.run(
        [sys.executable, "-m", "csc_complaints.cli", "run-dags", "--fy", "2019/20"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert stats_from_warehouse(warehouse_url, load_settings().council_code) == expected_stats(
        source_url
    )
    assert "Headline figures" in done.stdout and "2019/20" in done.stdout
    assert "The reports are DRAFTs" in done.stdout
    pdf = output / "2019-20" / "annual-report-2019-20.pdf"
    assert pdf.exists()
    from pypdf import PdfReader

    assert "DRAFT" in PdfReader(pdf).pages[0].extract_text()


def _run_dags(env: dict, *years: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csc_complaints.cli", "run-dags"]
        + [arg for year in years for arg in ("--fy", year)],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _fingerprint(path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns


@pytest.mark.airflow
def test_make_run_with_bad_rows_builds_the_draft_from_the_clean_rows_then_fails(
    new_sqlite_database, tmp_path
):
    """As under the scheduler: the extract run is red, but the warehouse, reconciliation.json
    and the DRAFT are built from the clean rows; the figures and what was held back, by rule,
    are printed; the command exits non-zero. The source file is only read."""
    source_url, warehouse_url = new_sqlite_database(), new_sqlite_database()
    source = make_engine(source_url)
    build_reference_dataset(source)
    with source.begin() as conn:
        stage1 = "stage = 1 AND requested_date >= '2019-04-01' AND response_date IS NOT NULL"
        first, second = conn.exec_driver_sql(
            f"SELECT stage_id FROM complaint_stages WHERE {stage1} ORDER BY stage_id LIMIT 2"
        ).scalars()
        escalated = conn.exec_driver_sql(
            "SELECT s1.stage_id, s1.complaint_id FROM complaint_stages s1 JOIN complaint_stages "
            "s2 ON s2.complaint_id = s1.complaint_id AND s2.stage = 2 WHERE s1.stage = 1 "
            "AND s1.requested_date >= '2019-04-01' ORDER BY s1.stage_id LIMIT 1"
        ).one()
        feedback = conn.exec_driver_sql(
            "SELECT min(feedback_id) FROM feedback WHERE received_date >= '2019-04-01'"
        ).scalar_one()
        conn.exec_driver_sql(  # DQ04: a response before its request
            f"UPDATE complaint_stages SET response_date = date(requested_date, '-3 days') "
            f"WHERE stage_id = {first}"
        )
        conn.exec_driver_sql(  # DQ06: an outcome not in the list
            f"UPDATE complaint_stages SET outcome = 'lost_in_post' WHERE stage_id = {second}"
        )
        conn.exec_driver_sql(f"UPDATE feedback SET team_id = 999 WHERE feedback_id = {feedback}")
        # DQ08 (a Stage 2 without its Stage 1), and DQ09 (a complaint without a Stage 1)
        conn.exec_driver_sql(f"DELETE FROM complaint_stages WHERE stage_id = {escalated[0]}")
        references = dict(
            conn.exec_driver_sql(
                "SELECT s.stage_id, c.reference FROM complaint_stages s JOIN complaints c "
                f"ON c.complaint_id = s.complaint_id WHERE s.stage_id IN ({first}, {second})"
            ).all()
        )
        references["DQ08"] = conn.exec_driver_sql(
            f"SELECT reference FROM complaints WHERE complaint_id = {escalated[1]}"
        ).scalar_one()
    source.dispose()
    source_file = make_url(source_url).database
    before = _fingerprint(Path(source_file))

    output = tmp_path / "output"
    env = airflow_home(tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), output)
    done = _run_dags(env, "2019/20")

    shown = done.stdout
    assert done.returncode != 0, shown + done.stderr[-3000:]
    assert "FAILED" in done.stderr and "complaints_extract is red" in done.stderr
    recon = json.loads((output / "2019-20" / "reconciliation.json").read_text())
    assert recon["draft"] is True
    broken_rules = {"DQ04", "DQ06", "DQ07", "DQ08", "DQ09"}
    assert set(recon["rejected_rows_by_rule"]) == broken_rules
    pdf = output / "2019-20" / "annual-report-2019-20.pdf"
    from pypdf import PdfReader

    assert "DRAFT" in PdfReader(pdf).pages[0].extract_text()
    # The figures, then what was held back by rule, with the complaint references.
    assert "complaints_received" in shown
    assert "Held back" in shown
    for code in sorted(broken_rules):
        assert f"  {code} (" in shown, shown
    assert references[first] in shown and references[second] in shown
    assert references["DQ08"] in shown
    assert f"feedback {feedback}" in shown
    # Every output, and no sign-off advice after a failure; one screen, Airflow's log aside.
    for name in ("annual-report-2019-20.{html,pdf}", "reconciliation.json", "csv/README.md"):
        assert name in shown
    assert f"metadata.json, {len(OPEN_DATA_TABLES)} CSV files" in shown
    assert "data-docs/index.html" in shown
    assert "The reports are DRAFTs" not in shown
    assert len(shown.splitlines()) <= 60, shown
    assert "[DAG TEST]" not in shown
    logs = list((tmp_path / "airflow-home" / "logs" / "run-dags").glob("*.log"))
    assert len(logs) == 1 and "[DAG TEST]" in logs[0].read_text()
    # The source is only ever read.
    assert _fingerprint(Path(source_file)) == before


def test_make_run_refuses_invalid_settings_before_running_anything(tmp_path):
    env = airflow_home(
        tmp_path, "sqlite:////nonexistent/source.db", f"sqlite:///{tmp_path / 'w.db'}", tmp_path
    )
    env["COMPLAINTS_COUNCIL_CODE"] = "Darlington"
    done = _run_dags(env, "2019/20")
    assert done.returncode != 0
    assert "council_code 'Darlington' is not an ONS code" in done.stderr
    assert "nothing was run" in done.stderr
    assert not (tmp_path / "w.db").exists()
    assert not (tmp_path / "airflow-home" / "logs" / "run-dags").exists()
