"""``make run`` (``python -m csc_complaints.cli run-dags``) on data nobody tuned for, through
real Airflow: a random synthetic source leaves stats equal to an independent count and the
year's report a DRAFT waiting for a person; a source with bad rows still gets its DRAFT, its
figures and what was held back, then a non-zero exit; settings are refused before anything
runs; a new user's registry of two councils, each with its own SQLite source and
``AIRFLOW_CONN_*``, gets both councils' figures and reports under ``<output>/<council_code>/``."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from csc_complaints.cli import (
    build_demo_sources,
    connection_variable,
    demo_source_path,
    report_logical_date,
    source_connections,
)
from csc_complaints.councils import REGISTRY_FILE_VARIABLE, load_councils
from csc_complaints.dag_runs import DagRunOutcome, TaskOutcome
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
    pdf = output / "E06000005" / "2019-20" / "annual-report-2019-20.pdf"
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
    recon = json.loads((output / "E06000005" / "2019-20" / "reconciliation.json").read_text())
    assert recon["draft"] is True
    broken_rules = {"DQ04", "DQ06", "DQ07", "DQ08", "DQ09"}
    assert set(recon["rejected_rows_by_rule"]) == broken_rules
    pdf = output / "E06000005" / "2019-20" / "annual-report-2019-20.pdf"
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


def test_each_demo_council_has_its_own_source_database(tmp_path):
    assert demo_source_path("complaints_source", tmp_path) == tmp_path / "demo-source.db"
    assert demo_source_path("complaints_source_northmoor", tmp_path) == (
        tmp_path / "demo-source-northmoor.db"
    )
    paths = build_demo_sources(tmp_path)
    assert paths == [tmp_path / "demo-source.db", tmp_path / "demo-source-northmoor.db"]
    assert all(path.stat().st_size > 0 for path in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def _registry(tmp_path: Path, *councils: tuple[str, str, str, str]) -> Path:
    """A registry file as a user writes it: (code, name, short name, source connection)."""
    path = tmp_path / "councils.toml"
    path.write_text(
        "".join(
            f'[[council]]\ncode = "{code}"\nname = "{name}"\nshort_name = "{short}"\n'
            f'source_conn_id = "{conn}"\npopulation_0_17 = 30000\n\n'
            for code, name, short, conn in councils
        )
    )
    return path


def test_a_council_source_connection_defaults_to_its_demo_database_only(tmp_path):
    """A council's connection the environment sets is kept; one it does not set is pointed at
    the council's demo database when there is one; otherwise it is left to Airflow (metadata DB
    or secrets backend), and the command says so."""
    registry = _registry(
        tmp_path,
        ("E06000901", "Eastvale Council", "Eastvale", "complaints_source_eastvale"),
        ("E06000902", "Westdale Council", "Westdale", "complaints_source_westdale"),
        ("E06000903", "Southmere Council", "Southmere", "complaints_source_southmere"),
    )
    councils = load_councils({REGISTRY_FILE_VARIABLE: str(registry)})
    (tmp_path / "demo-source-westdale.db").write_bytes(b"")
    env = {connection_variable("complaints_source_eastvale"): "sqlite:////their/own.db"}
    notes = source_connections(env, councils, tmp_path)
    assert env["AIRFLOW_CONN_COMPLAINTS_SOURCE_EASTVALE"] == "sqlite:////their/own.db"
    assert env["AIRFLOW_CONN_COMPLAINTS_SOURCE_WESTDALE"] == (
        f"sqlite:///{tmp_path / 'demo-source-westdale.db'}"
    )
    assert "AIRFLOW_CONN_COMPLAINTS_SOURCE_SOUTHMERE" not in env
    assert len(notes) == 1 and "Southmere (E06000903)" in notes[0]
    assert "AIRFLOW_CONN_COMPLAINTS_SOURCE_SOUTHMERE" in notes[0]


def test_a_mapped_task_counts_when_any_council_instance_succeeded():
    """The DAGs run a task group per council: ``check_staged_rows`` is
    ``council.check_staged_rows`` with a map index; any council's instance updating the
    staging asset starts the warehouse, as under the scheduler."""
    run = DagRunOutcome("complaints_extract", "")
    for index, state in enumerate(("failed", "success")):
        task = TaskOutcome("council.check_staged_rows", state, map_index=index)
        run.tasks[task.key] = task
    assert set(run.tasks) == {"council.check_staged_rows[0]", "council.check_staged_rows[1]"}
    assert run.task_succeeded("check_staged_rows")
    assert run.task_succeeded("council.check_staged_rows")
    assert not run.task_succeeded("extract_changed_rows")
    assert [t.key for t in run.failed_tasks] == ["council.check_staged_rows[0]"]


@pytest.mark.airflow
def test_make_run_with_a_new_users_registry_of_two_councils(new_sqlite_database, tmp_path):
    """As a new user would: a registry of two councils, each reading its own SQLite source
    through its own AIRFLOW_CONN_*, one warehouse; `make run FY=2019/20` builds both councils'
    figures (each equal to the oracle's count of its own source), both reports and the
    regional benchmark of the two."""
    councils = {
        "E06000901": ("Eastvale Council", "Eastvale", "complaints_source_eastvale", 11),
        "E06000902": ("Westdale Council", "Westdale", "complaints_source_westdale", 22),
    }
    registry = _registry(
        tmp_path, *((code, name, short, conn) for code, (name, short, conn, _) in councils.items())
    )
    sources = {}
    for code, (_name, _short, _conn, seed) in councils.items():
        sources[code] = new_sqlite_database()
        config = GeneratorConfig(
            seed=seed, first_year="2018/19", years=2, complaints_per_year=60, teams=6
        )
        generate(make_engine(sources[code]), config, progress=False)
    warehouse_url = new_sqlite_database()
    output = tmp_path / "output"
    env = airflow_home(
        tmp_path, "sqlite:////nonexistent/unused.db", airflow_uri(warehouse_url), output
    )
    env[REGISTRY_FILE_VARIABLE] = str(registry)
    for code, (_name, _short, conn, _seed) in councils.items():
        env[connection_variable(conn)] = airflow_uri(sources[code])
    done = _run_dags(env, "2019/20")
    shown = done.stdout

    assert "2 councils: Eastvale (E06000901), Westdale (E06000902)" in shown, shown
    for code, (name, _short, _conn, _seed) in councils.items():
        assert f"{name} ({code})" in shown
        assert stats_from_warehouse(warehouse_url, code) == expected_stats(sources[code]), code
        assert f"Outputs under {output / code}/:" in shown
        assert (output / code / "data-docs" / "index.html").exists()
    assert f"Regional benchmark of 2 councils under {output / 'benchmark'}/:" in shown
    assert "[DAG TEST]" not in shown

    assert done.returncode == 0, (shown + done.stderr)[-6000:]
    for code in councils:
        assert (output / code / "2019-20" / "annual-report-2019-20.pdf").exists(), code
    # The regional benchmark of both, built by complaints_annual_report, and listed.
    benchmark = output / "benchmark" / "2019-20"
    for suffix in ("pdf", "html", "csv"):
        assert (benchmark / f"benchmark-2019-20.{suffix}").is_file(), suffix
    assert "2019-20/benchmark-2019-20.csv, benchmark-2019-20.html, benchmark-2019-20.pdf" in shown
    csv_rows = (benchmark / "benchmark-2019-20.csv").read_text().splitlines()[1:]
    assert {row.split(",")[0] for row in csv_rows} == set(councils)
    assert "The reports are DRAFTs" in shown
