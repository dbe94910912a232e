"""Two councils in one deployment, through real Airflow (``airflow dags test``), on SQLite and
PostgreSQL: both sources hold the reference dataset, so the two councils have the same team
names, issue codes and keys; one council's copy is then changed (complaints deleted and added)
and has one row broken so it is rejected.

Each council's figures are the oracle's count of its own source; the broken council's reject is
filed under its code only; its gate fails while the other council's mapped tasks all succeed;
each council's outputs are in its own folder only; and the Airflow UI labels every mapped task
with its council. And however many councils the registry holds, parsing a DAG file never reads
it nor any database (docs/architecture.md, "Many councils").
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from csc_complaints.db import make_engine
from csc_complaints.settings import PROJECT_ROOT
from csc_complaints.warehouse.schema import dq_rejects
from csc_complaints_demo.reference_data import build_reference_dataset
from tests.airflow_harness import airflow_home, dags_test, with_alert_channels
from tests.dags.test_end_to_end import airflow_uri
from tests.oracle import expected_stats, stats_from_warehouse

GOOD = {
    "code": "E06000005",
    "name": "Darlington Borough Council",
    "short_name": "Darlington",
    "source_conn_id": "complaints_source_darlington",
    "alert_emails": ["data@darlington.example"],
}
BROKEN = {
    "code": "E06000047",
    "name": "Durham County Council",
    "short_name": "Durham",
    "source_conn_id": "complaints_source_durham",
    "alert_emails": ["data@durham.example"],
}
CHANGED_AT = datetime(2020, 6, 1, 9, 0)
DELETED = (3, 4, 5)  # complaints the changed council has deleted since
ADDED = (10, 11)  # complaints the changed council has as well, under new ids and references
NEW_ID = 1000  # added complaint's id: the copied one's plus this


def label(council: dict) -> str:
    return f"{council['short_name']} ({council['code']})"


def write_registry(path: Path, councils: list[dict]) -> Path:
    tables = [
        "[[council]]\n"
        + "".join(f"{key} = {json.dumps(value)}\n" for key, value in council.items())
        for council in councils
    ]
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


def change_source(url: str) -> None:
    """The changed council: a few complaints deleted, a few added (copies under new ids)."""
    engine = make_engine(url)
    stamp = {"stamp": CHANGED_AT}
    with engine.begin() as conn:
        for complaint_id in DELETED:
            conn.execute(
                text(
                    "UPDATE complaints SET deleted_at = :stamp, updated_at = :stamp "
                    "WHERE complaint_id = :id"
                ),
                {**stamp, "id": complaint_id},
            )
        for complaint_id in ADDED:
            conn.execute(
                text(
                    "INSERT INTO complaints (complaint_id, reference, complainant_id,"
                    " received_date, qualifying, issue, channel, summary, updated_at, deleted_at)"
                    " SELECT complaint_id + :new, 'N' || reference, complainant_id, received_date,"
                    " qualifying, issue, channel, summary, :stamp, NULL"
                    " FROM complaints WHERE complaint_id = :id"
                ),
                {**stamp, "new": NEW_ID, "id": complaint_id},
            )
            conn.execute(
                text(
                    "INSERT INTO complaint_stages (stage_id, complaint_id, stage, team_id,"
                    " requested_date, extension_agreed, response_date, outcome, panel_date,"
                    " panel_report_date, updated_at, deleted_at)"
                    " SELECT stage_id + :new, complaint_id + :new, stage, team_id,"
                    " requested_date, extension_agreed, response_date, outcome, panel_date,"
                    " panel_report_date, :stamp, NULL"
                    " FROM complaint_stages WHERE complaint_id = :id"
                ),
                {**stamp, "new": NEW_ID, "id": complaint_id},
            )
    engine.dispose()


def a_stage_to_break(url: str) -> tuple[int, int, date]:
    """A decided stage 1 row of 2019/20 of a complaint with nothing else but its stages (no
    Ombudsman case, no learning action): (stage id, complaint id, requested date)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT s.stage_id, s.complaint_id, s.requested_date FROM complaint_stages s"
                " JOIN complaints c ON c.complaint_id = s.complaint_id"
                " WHERE s.stage = 1 AND s.response_date IS NOT NULL AND c.deleted_at IS NULL"
                " AND s.deleted_at IS NULL AND s.requested_date >= :start"
                " AND NOT EXISTS (SELECT 1 FROM ombudsman_cases o"
                "   WHERE o.complaint_id = c.complaint_id)"
                " AND NOT EXISTS (SELECT 1 FROM learning_actions a"
                "   WHERE a.complaint_id = c.complaint_id)"
                " ORDER BY s.stage_id"
            ),
            {"start": date(2019, 4, 1)},
        ).first()
    engine.dispose()
    return int(row.stage_id), int(row.complaint_id), date.fromisoformat(str(row.requested_date))


def break_stage(url: str, stage_id: int, requested: date) -> None:
    """DQ04: the stage's response dated a week before its request."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE complaint_stages SET response_date = :response, updated_at = :stamp"
                " WHERE stage_id = :id"
            ),
            {"response": requested - timedelta(days=7), "stamp": CHANGED_AT, "id": stage_id},
        )
    engine.dispose()


def leave_out_complaint(url: str, complaint_id: int) -> None:
    """What the warehouse counts of a complaint with a rejected stage row: nothing, as if the
    complaint were deleted (fact_complaints leaves it out, and its rows with it)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE complaints SET deleted_at = :stamp WHERE complaint_id = :id"),
            {"stamp": CHANGED_AT, "id": complaint_id},
        )
    engine.dispose()


def task_states(env: dict, dag_id: str) -> dict[tuple[str, str | None], str]:
    """(task id, rendered map index) -> state of the DAG's latest run, from the test Airflow
    home's metadata database."""
    home = Path(env["AIRFLOW_HOME"])
    with sqlite3.connect(home / "airflow.db") as conn:
        (run_id,) = conn.execute(
            "SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        rows = conn.execute(
            "SELECT task_id, map_index, rendered_map_index, state FROM task_instance"
            " WHERE dag_id = ? AND run_id = ?",
            (dag_id, run_id),
        ).fetchall()
    return {(task_id, rendered): state for task_id, _, rendered, state in rows}


@pytest.mark.airflow
def test_two_councils_with_the_same_teams_and_codes_stay_apart(
    new_database, new_sqlite_database, tmp_path, smtp_server, webhook_server
):
    good_url, broken_url, warehouse_url = new_database(), new_database(), new_database()
    oracle_url = new_sqlite_database()  # what the broken council's warehouse should count
    for url in (good_url, broken_url, oracle_url):
        build_reference_dataset(make_engine(url))
    for url in (broken_url, oracle_url):
        change_source(url)
    stage_id, complaint_id, requested = a_stage_to_break(broken_url)
    break_stage(broken_url, stage_id, requested)
    leave_out_complaint(oracle_url, complaint_id)

    output = tmp_path / "output"
    env = airflow_home(tmp_path, airflow_uri(good_url), airflow_uri(warehouse_url), output)
    env["COMPLAINTS_COUNCILS_FILE"] = str(
        write_registry(tmp_path / "councils.toml", [GOOD, BROKEN])
    )
    env["AIRFLOW_CONN_COMPLAINTS_SOURCE_DARLINGTON"] = airflow_uri(good_url)
    env["AIRFLOW_CONN_COMPLAINTS_SOURCE_DURHAM"] = airflow_uri(broken_url)
    smtp, inbox = smtp_server
    with_alert_channels(env, smtp, webhook_server[0])

    # The broken council's gate turns the run red; the other council's tasks all succeed.
    dags_test(env, "complaints_extract", expect="failed")
    extract = task_states(env, "complaints_extract")
    assert extract == {
        ("list_councils", None): "success",
        ("council.extract_changed_rows", label(GOOD)): "success",
        ("council.check_staged_rows", label(GOOD)): "success",
        ("council.fail_if_rows_rejected", label(GOOD)): "success",
        ("council.extract_changed_rows", label(BROKEN)): "success",
        ("council.check_staged_rows", label(BROKEN)): "success",
        ("council.fail_if_rows_rejected", label(BROKEN)): "failed",
    }
    # One alert: the broken council's DQ04, to the deployment's recipients and its own only.
    [(to, alert)] = inbox.messages
    assert alert["Subject"].strip().startswith(f"[complaints {BROKEN['code']}] FAILED: DQ04")
    assert sorted(to) == sorted(["duty-engineer@council.example", *BROKEN["alert_emails"]])

    # The warehouse builds and reconciles both; the rejected row stays out of the figures.
    dags_test(env, "complaints_warehouse")
    for to, message in inbox.messages:  # any alert names one council and goes to its own
        named = [c for c in (GOOD, BROKEN) if c["code"] in message["Subject"]]
        assert len(named) == 1, message["Subject"]
        other = BROKEN if named[0] is GOOD else GOOD
        assert named[0]["alert_emails"][0] in to and other["alert_emails"][0] not in to
    warehouse = task_states(env, "complaints_warehouse")
    for task_id in ("build_statistics", "reconcile_years", "fail_if_not_reconciled"):
        for council in (GOOD, BROKEN):
            assert warehouse[(f"council.{task_id}", label(council))] == "success", task_id

    # Each council's figures are the oracle's count of its own source.
    good_stats = stats_from_warehouse(warehouse_url, GOOD["code"])
    broken_stats = stats_from_warehouse(warehouse_url, BROKEN["code"])
    assert good_stats == expected_stats(good_url)
    assert broken_stats == expected_stats(oracle_url)
    assert good_stats != broken_stats  # the change shows in one council only

    # The reject is filed under the broken council's code only.
    with make_engine(warehouse_url).connect() as conn:
        rejects = conn.execute(
            select(dq_rejects.c.council_code, dq_rejects.c.rule_code, dq_rejects.c.source_key)
        ).all()
    assert sorted(rejects) == [(BROKEN["code"], "DQ04", str(stage_id))]

    # Each council's outputs are in its own folder only.
    assert {p.name for p in output.iterdir()} == {GOOD["code"], BROKEN["code"]}
    for council, rejected in ((GOOD, {}), (BROKEN, {"DQ04": 1})):
        recon = json.loads(
            (output / council["code"] / "2019-20" / "reconciliation.json").read_text()
        )
        assert recon["rejected_rows_by_rule"] == rejected, council["code"]
        assert recon["draft"] is bool(rejected)


# --- parsing never reads the registry ------------------------------------------------------

DAG_FILES = sorted(p for p in (PROJECT_ROOT / "dags").glob("*.py") if not p.name.startswith("_"))
PARSE_LIMIT_SECONDS = 0.1
PARSE_PROBE = """
import json, os, sys, time, runpy
registry, files = sys.argv[1], sys.argv[2:]

import airflow.sdk
from airflow.sdk import DAG, Asset, BaseNotifier, dag, task, task_group  # the lazy names
from airflow.dag_processing.dagbag import DagBag  # the dag-processor's own imports


def parse(path):
    touched = []

    def watch(event, args):
        if event == "open" and str(args[0]) == registry:
            touched.append("opened the registry")
        elif event in ("sqlite3.connect", "socket.connect"):
            touched.append(event)

    sys.addaudithook(watch)
    started = time.process_time()
    runpy.run_path(path)
    return {"seconds": time.process_time() - started, "touched": touched}


found = {}
for path in files:
    for _ in range(3):
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # a fresh parse of one file, as the dag-processor forks for it
            os.close(read)
            os.write(write, json.dumps(parse(path)).encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            outcome = json.loads(pipe.read())
        os.waitpid(child, 0)
        found.setdefault(os.path.basename(path), []).append(outcome)
print(json.dumps(found))
"""


def registry_of_150(path: Path) -> Path:
    """Every English council with children's services, near enough: 150 [[council]] tables."""
    return write_registry(
        path,
        [
            {
                "code": f"E0{6 + n // 100}{n % 100:06d}",
                "name": f"Council {n}",
                "short_name": f"C{n}",
                "source_conn_id": f"complaints_source_{n}",
            }
            for n in range(150)
        ],
    )


def test_every_dag_file_parses_fast_with_150_councils_and_never_reads_the_registry(tmp_path):
    """Each DAG file parsed in a process forked from one that has imported what the
    dag-processor already has: its CPU time (what it costs the dag-processor, whatever else
    the machine runs; the best of three) is under 0.1 s, and it neither opens the registry
    nor connects to a database."""
    import os

    from csc_complaints.councils import load_councils

    registry = registry_of_150(tmp_path / "councils.toml")
    env = {**os.environ, "COMPLAINTS_COUNCILS_FILE": str(registry)}
    assert len(load_councils(env)) == 150  # a registry the tasks could use
    done = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, str(registry), *map(str, DAG_FILES)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(found) == [p.name for p in DAG_FILES]
    for name, runs in found.items():
        assert all(run["touched"] == [] for run in runs), (name, runs)
        best = min(run["seconds"] for run in runs)
        print(f"{name}: parsed in {best:.3f} s of CPU")
        assert best < PARSE_LIMIT_SECONDS, f"{name} took {best:.3f} s of CPU to parse"
