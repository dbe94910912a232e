"""The compose topology under the real scheduler, natively (this machine has no Docker engine).

Scheduler, dag-processor, triggerer and api-server run as processes (LocalExecutor) on a fresh
PostgreSQL metadata database, like ``docker-compose.yml``, serving two councils (a registry in
``COMPLAINTS_COUNCILS_FILE``): Darlington, whose PostgreSQL source the init job seeds with the
reference dataset, and Northmoor, a synthetic source of its own; one PostgreSQL warehouse. The
test acts as the data engineer does: through the REST API only.

1. It triggers ``complaints_extract``; the scheduler must start ``complaints_warehouse`` from the
   staging Asset, which builds and reconciles the 2019/20 figures of both councils (each its own
   source's).
2. It backfills ``complaints_annual_report`` for 2019/20 (the operations guide's way to build a
   past year); each council's approval task (a mapped task, labelled with the council) stops
   with a DRAFT report. Darlington's request names Darlington and only its approver (the
   registry's ``approvers``) may answer it: the data engineer is refused, the Complaints Manager
   approves it through the human-in-the-loop API, and Darlington's final report replaces its
   draft. Nobody answers Northmoor's: its report stays a DRAFT, awaiting approval.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from sqlalchemy import select

from csc_complaints.db import make_engine
from csc_complaints.settings import PROJECT_ROOT
from csc_complaints.warehouse import schema as wh
from tests.councils_harness import DARLINGTON, NORTHMOOR, seed_synthetic_source, write_registry
from tests.deployment.native_stack import ApiClient, NativeStack, StackError, airflow_conn_uri
from tests.oracle import expected_stats, stats_from_warehouse

pytestmark = [pytest.mark.airflow, pytest.mark.postgres]

FIGURES = PROJECT_ROOT.parent / "shared" / "reference" / "figures-2019-20.yaml"
FY = "2019/20"
PIPELINE_DAGS = ("complaints_extract", "complaints_warehouse")
REPORT_DAG = "complaints_annual_report"
APPROVAL_TASK = "council.approve_report"  # in the council task group, mapped per council
PUBLISH_TASK = "council.publish_final_report"
# Darlington's report may be signed off by the Complaints Manager only; Northmoor's by anyone.
COUNCILS = (
    dataclasses.replace(DARLINGTON, approvers=("complaints_manager",)),
    NORTHMOOR,
)
COMPONENT_HEALTH = ("metadatabase", "scheduler", "triggerer", "dag_processor")
# Bounded waits (seconds) for 2 shared cores; a failure prints every process's log tail.
STARTUP_TIMEOUT = 180
RUN_TIMEOUT = 300
APPROVAL_SETTLE_SECONDS = 5


def _runs(api: ApiClient, dag_id: str) -> list[dict]:
    return api.get(f"/dags/{dag_id}/dagRuns", order_by="run_after", limit=100)["dag_runs"]


def _task_states(api: ApiClient, dag_id: str, run_id: str) -> dict[str, str | None]:
    """Each task instance's state, a mapped one's under ``task_id[label]`` (its council's label,
    ``map_index_template``; the map index until the task has run)."""
    tasks = api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=100)["task_instances"]
    return {_ti_name(t): t["state"] for t in tasks}


def _ti_name(ti: dict) -> str:
    if ti["map_index"] < 0:
        return ti["task_id"]
    return f"{ti['task_id']}[{ti.get('rendered_map_index') or ti['map_index']}]"


def _fail_fast(api: ApiClient, dag_id: str, run_id: str) -> dict[str, str | None]:
    """The run's task states; a failed or retrying task is an error at once (no 5-min wait)."""
    states = _task_states(api, dag_id, run_id)
    if any(state in ("failed", "up_for_retry", "upstream_failed") for state in states.values()):
        raise AssertionError(f"{dag_id} run {run_id}: a task failed; task states {states}")
    return states


def _finished(api: ApiClient, dag_id: str, run_id: str) -> dict | None:
    """The run once it has succeeded; a failed run is an error with the task states."""
    run = api.get(f"/dags/{dag_id}/dagRuns/{run_id}")
    _fail_fast(api, dag_id, run_id)
    if run["state"] == "failed":
        raise AssertionError(f"{dag_id} run {run_id} failed")
    return run if run["state"] == "success" else None


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


@pytest.fixture
def stack(tmp_path, new_postgres_database):
    """The running stack; every process is stopped when the test ends, whatever happened."""
    source_url, northmoor_url, warehouse_url, metadata_url = (
        new_postgres_database() for _ in range(4)
    )
    seed_synthetic_source(northmoor_url, seed=21)
    registry = write_registry(tmp_path / "councils.toml", list(COUNCILS))
    native = NativeStack(
        home=tmp_path / "airflow-home",
        metadata_url=metadata_url,
        connections={
            DARLINGTON.source_conn_id: airflow_conn_uri(source_url),
            NORTHMOOR.source_conn_id: airflow_conn_uri(northmoor_url),
            "complaints_warehouse": airflow_conn_uri(warehouse_url),
        },
        extra_env={
            "COMPLAINTS_OUTPUT_DIR": str(tmp_path / "output"),
            "COMPLAINTS_COUNCILS_FILE": str(registry),
        },
        # The init job seeds the demo source with the reference dataset, as in the compose stack.
        demo_source_owner_url=source_url,
    )
    native.warehouse_url = warehouse_url
    native.sources = {DARLINGTON.code: source_url, NORTHMOOR.code: northmoor_url}
    native.output = tmp_path / "output"
    native.init()
    native.start()
    try:
        yield native
    finally:
        native.stop()


def test_the_scheduler_runs_two_councils_and_one_report_is_signed_off_through_the_api(stack):
    api = ApiClient(stack)
    stack.wait_for(
        "the api-server to answer /api/v2/version",
        lambda: api.http.get("/api/v2/version").json() or None,
        timeout=STARTUP_TIMEOUT,
    )
    api.login("data_engineer")

    def all_healthy() -> dict | None:
        health = api.get("/monitor/health")
        statuses = {c: (health.get(c) or {}).get("status") for c in COMPONENT_HEALTH}
        return statuses if set(statuses.values()) == {"healthy"} else None

    stack.wait_for(
        f"{', '.join(COMPONENT_HEALTH)} to report healthy on /api/v2/monitor/health",
        all_healthy,
        timeout=STARTUP_TIMEOUT,
    )

    def parsed() -> list[dict] | None:
        found = api.get("/dags", limit=100)["dags"]
        return found if {d["dag_id"] for d in found} >= {*PIPELINE_DAGS, REPORT_DAG} else None

    dags = stack.wait_for(
        "the dag-processor to parse the three DAGs", parsed, timeout=STARTUP_TIMEOUT
    )
    errors = api.get("/importErrors")["import_errors"]
    assert not errors, f"DAG import errors: {errors}"
    assert all(d["is_paused"] for d in dags), "DAGs must start paused (dags_are_paused_at_creation)"

    # A data engineer triggers the extract; both DAGs are switched on as in production.
    triggered = api.request(
        "POST", "/dags/complaints_extract/dagRuns", json={"logical_date": None, "note": "test"}
    )
    for dag_id in PIPELINE_DAGS:
        api.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
    assert triggered["run_type"] == "manual"

    stack.wait_for(
        "the triggered complaints_extract run to succeed",
        lambda: _finished(api, "complaints_extract", triggered["dag_run_id"]),
        timeout=RUN_TIMEOUT,
    )

    # Nobody triggers the warehouse build: the scheduler starts it from the staging Asset.
    def asset_triggered_success() -> dict | None:
        runs = _runs(api, "complaints_warehouse")
        failed = [r["dag_run_id"] for r in runs if r["state"] == "failed"]
        if failed:
            raise AssertionError(f"complaints_warehouse runs failed: {failed}")
        done = [r for r in runs if r["state"] == "success"]
        return done[0] if done else None

    warehouse_run = stack.wait_for(
        "complaints_warehouse to start from the staging Asset and succeed",
        asset_triggered_success,
        timeout=RUN_TIMEOUT,
    )
    assert warehouse_run["run_type"] == "asset_triggered"
    events = api.get(
        f"/dags/complaints_warehouse/dagRuns/{warehouse_run['dag_run_id']}/upstreamAssetEvents"
    )["asset_events"]
    assert {(e["uri"], e["source_dag_id"]) for e in events} >= {
        ("complaints://warehouse/staging", "complaints_extract")
    }, events

    # The reconciled stats of the reference year are in the warehouse, as each council's own
    # source's figures.
    for code, source_url in stack.sources.items():
        assert stats_from_warehouse(stack.warehouse_url, code) == expected_stats(source_url), code
    expected = yaml.safe_load(FIGURES.read_text())["headlines"]
    warehouse = make_engine(stack.warehouse_url)
    with warehouse.connect() as conn:
        headlines = dict(
            conn.execute(
                select(wh.stats_headlines.c.measure, wh.stats_headlines.c.value).where(
                    wh.stats_headlines.c.council_code == DARLINGTON.code,
                    wh.stats_headlines.c.financial_year == FY,
                )
            ).all()
        )
    warehouse.dispose()
    assert headlines["complaints_received"] == 57
    assert {m: headlines.get(m) for m in expected} == {m: f["value"] for m, f in expected.items()}

    # --- 2. The 2019/20 report: backfilled, a DRAFT, signed off by the Complaints Manager ----
    backfill = api.request(
        "POST",
        "/backfills",
        json={
            "dag_id": REPORT_DAG,
            "from_date": "2019-04-01T00:00:00+01:00",
            "to_date": "2019-04-01T00:00:00+01:00",
            "max_active_runs": 1,
        },
    )
    api.request("PATCH", f"/dags/{REPORT_DAG}", json={"is_paused": False})

    def backfill_run() -> dict | None:
        runs = [r for r in _runs(api, REPORT_DAG) if r["run_type"] == "backfill"]
        return runs[0] if runs else None

    report_run = stack.wait_for(
        f"backfill {backfill['id']} to create the 2019/20 report run", backfill_run, timeout=60
    )
    run_id = report_run["dag_run_id"]
    assert report_run["data_interval_start"].startswith("2019-03-31T23:00:00"), report_run
    assert report_run["data_interval_end"].startswith("2020-03-31T23:00:00"), report_run

    approvals = {c.code: f"{APPROVAL_TASK}[{c.label}]" for c in COUNCILS}

    def awaiting_approval() -> dict | None:
        """Both councils' approval tasks waiting for a person (each labelled with its council)."""
        states = _fail_fast(api, REPORT_DAG, run_id)
        waiting = {code: states.get(name) for code, name in approvals.items()}
        return states if set(waiting.values()) <= {"awaiting_input", "deferred"} else None

    stack.wait_for(
        "both councils' reports to wait for approval", awaiting_approval, timeout=RUN_TIMEOUT
    )
    # A person answers seconds after the request, not within the second the task deferred:
    # Airflow 3.3's scheduler may still be handling the deferring process's exit, and a
    # resumption that overtakes it is marked failed ("TI was not in a state where it could be
    # marked as running", seen once in a few runs here). Answer once the wait has settled.
    time.sleep(APPROVAL_SETTLE_SECONDS)
    assert awaiting_approval(), "an approval task stopped waiting before anyone answered"
    pdfs = {
        c.code: stack.output / c.code / "2019-20" / "annual-report-2019-20.pdf" for c in COUNCILS
    }
    for pdf in pdfs.values():
        assert pdf.exists(), sorted(stack.output.rglob("*"))
        assert "DRAFT" in _pdf_text(pdf)
    draft = pdfs[DARLINGTON.code].read_bytes()

    # Each council's request is its own mapped task instance: the HITL API takes its map index.
    every = api.get(f"/dags/{REPORT_DAG}/dagRuns/{run_id}/taskInstances", limit=100)
    mapped = [t for t in every["task_instances"] if t["task_id"] == APPROVAL_TASK]
    index = {t["rendered_map_index"]: t["map_index"] for t in mapped}
    assert set(index) == {c.label for c in COUNCILS}, mapped

    def hitl_path(council) -> str:
        return (
            f"/dags/{REPORT_DAG}/dagRuns/{run_id}/taskInstances/{APPROVAL_TASK}/"
            f"{index[council.label]}/hitlDetails"
        )

    darlington, northmoor = (api.get(hitl_path(c)) for c in COUNCILS)
    assert "Approve" in darlington["options"] and darlington["response_received"] is False
    assert DARLINGTON.name in darlington["subject"] and "2019/20" in darlington["subject"]
    assert NORTHMOOR.name in northmoor["subject"] and "2019/20" in northmoor["subject"]
    assert [u["id"] for u in darlington["assigned_users"]] == ["complaints_manager"], darlington
    assert not northmoor["assigned_users"], northmoor

    # Only Darlington's approver may answer Darlington's request: not the data engineer.
    answer = {"chosen_options": ["Approve"], "params_input": {}}
    with pytest.raises(StackError, match="403"):
        api.request("PATCH", hitl_path(DARLINGTON), json=answer)
    # The Complaints Manager (role "user", not admin) signs Darlington's report off.
    api.login("complaints_manager")
    response = api.request("PATCH", hitl_path(DARLINGTON), json=answer)
    assert response["responded_by"]["name"] == "complaints_manager", response

    publish = {c.code: f"{PUBLISH_TASK}[{c.label}]" for c in COUNCILS}

    def darlington_published() -> dict | None:
        states = _fail_fast(api, REPORT_DAG, run_id)
        return states if states.get(publish[DARLINGTON.code]) == "success" else None

    states = stack.wait_for(
        "Darlington's approved report to be published", darlington_published, timeout=RUN_TIMEOUT
    )
    assert states[approvals[DARLINGTON.code]] == "success"
    # Northmoor's report waits for its own sign-off; Darlington's did not wait for it.
    assert states[approvals[NORTHMOOR.code]] in ("awaiting_input", "deferred"), states
    assert states.get(f"{PUBLISH_TASK}[{index[NORTHMOOR.label]}]") in (
        None,
        "scheduled",
        "queued",
    ), states
    assert api.get(f"/dags/{REPORT_DAG}/dagRuns/{run_id}")["state"] == "running"
    assert api.get(hitl_path(NORTHMOOR))["response_received"] is False

    final_pdf = pdfs[DARLINGTON.code]
    final = final_pdf.read_bytes()
    assert final != draft, "the final report did not replace the draft"
    final_text = _pdf_text(final_pdf)
    assert "DRAFT" not in final_text
    assert "Approved by" in final_text  # the approver of the HITL response, on the cover
    assert "57" in final_text  # complaints received in 2019/20
    leftovers = [p.name for p in final_pdf.parent.iterdir() if "draft" in p.name.lower()]
    assert not leftovers, f"draft files left beside the final report: {leftovers}"
    northmoor_text = _pdf_text(pdfs[NORTHMOOR.code])
    assert "DRAFT" in northmoor_text and "Approved by" not in northmoor_text


def test_a_failed_component_is_reported_with_its_log(tmp_path):
    """The harness itself: a stack that cannot start fails with the process's log, not a hang."""
    broken = NativeStack(
        home=tmp_path / "home",
        metadata_url="postgresql+psycopg2://nobody@127.0.0.1:1/none",
        connections={},
    )
    with pytest.raises(StackError, match="airflow-init.sh.*failed"):
        broken.init(timeout=120)
