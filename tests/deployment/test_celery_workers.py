"""The compose file's ``celery`` profile, natively: Airflow's CeleryExecutor with two real workers.

api-server, scheduler, dag-processor and triggerer run as in ``test_native_scheduler``, but on
the CeleryExecutor: Redis at 127.0.0.1:6379 is the broker (database ``REDIS_DB``, flushed before
and after, and no other), a PostgreSQL database of the test's own is the result backend, and two
``airflow celery worker`` processes, ``worker-a`` and ``worker-b``, run every task.

1. The data engineer triggers the extract; the warehouse build follows from the staging Asset;
   the 2019/20 report is backfilled and the Complaints Manager approves it through the REST API
   (the council's mapped approval task; the report under ``<output>/<council_code>/2019-20/``).
2. A change in the source, a second extract, and in the middle of its run one worker gets
   SIGTERM (its own process only): Celery's warm shutdown finishes what it is running and takes
   nothing more, and every task after that runs on the other worker (a task cut short would be
   retried there). The run and the rebuild that follows succeed.
3. The task instances' hostnames (every try) show both workers ran tasks, and the figures are
   those of the independent oracle, before and after.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from csc_complaints.db import make_engine
from csc_complaints.settings import load_settings
from tests.deployment.native_stack import (
    ApiClient,
    CeleryBroker,
    NativeStack,
    airflow_conn_uri,
)
from tests.oracle import expected_stats, stats_from_warehouse

pytestmark = [pytest.mark.airflow, pytest.mark.postgres]

REDIS_DB = 11  # this test's own broker database: flushed before and after, no other touched
REDIS = ("127.0.0.1", 6379)
WORKERS = ("worker-a", "worker-b")
PIPELINE_DAGS = ("complaints_extract", "complaints_warehouse")
REPORT_DAG = "complaints_annual_report"
APPROVAL_TASK = "council.approve_report"  # mapped per council (one council here)
STARTUP_TIMEOUT = 240
RUN_TIMEOUT = 360
APPROVAL_SETTLE_SECONDS = 5
# A 2018/19 compliment entered in error: soft-deleted, so the 2018/19 figures change.
SOURCE_CHANGE = (
    "UPDATE feedback SET deleted_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP "
    "WHERE feedback_id = (SELECT MIN(feedback_id) FROM feedback WHERE kind = 'compliment' "
    "AND received_date < '2019-04-01' AND deleted_at IS NULL)"
)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _task_instances(api: ApiClient, dag_id: str, run_id: str) -> list[dict]:
    return api.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]


def _tries(api: ApiClient, ti: dict) -> list[dict]:
    """Every try of a task instance (the earlier ones from its history), with its hostname."""
    mapped = f"/{ti['map_index']}" if ti["map_index"] >= 0 else ""
    path = f"/dags/{ti['dag_id']}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}"
    path += f"{mapped}/tries"
    return api.get(path)["task_instances"]


def _finished(api: ApiClient, dag_id: str, run_id: str) -> dict | None:
    """The run once it succeeded; a failed run is an error with its task states."""
    run = api.get(f"/dags/{dag_id}/dagRuns/{run_id}")
    if run["state"] == "failed":
        states = {t["task_id"]: t["state"] for t in _task_instances(api, dag_id, run_id)}
        raise AssertionError(f"{dag_id} run {run_id} failed: {states}")
    return run if run["state"] == "success" else None


def _runs(api: ApiClient, dag_id: str) -> list[dict]:
    return api.get(f"/dags/{dag_id}/dagRuns", order_by="run_after", limit=100)["dag_runs"]


def _warehouse_runs_succeeded(api: ApiClient, count: int) -> list[dict] | None:
    runs = _runs(api, "complaints_warehouse")
    failed = [r["dag_run_id"] for r in runs if r["state"] == "failed"]
    if failed:
        raise AssertionError(f"complaints_warehouse runs failed: {failed}")
    done = [r for r in runs if r["state"] == "success"]
    return done if len(done) >= count and len(runs) == len(done) else None


@pytest.fixture
def redis_broker():
    import redis

    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=REDIS_DB)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis is not running at {REDIS[0]}:{REDIS[1]} ({exc})")
    client.flushdb()
    yield f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}"
    client.flushdb()
    client.close()


@pytest.fixture
def stack(tmp_path, new_postgres_database, redis_broker):
    source_url, warehouse_url, metadata_url, results_url = (
        new_postgres_database() for _ in range(4)
    )
    native = NativeStack(
        home=tmp_path / "airflow-home",
        metadata_url=metadata_url,
        connections={
            "complaints_source": airflow_conn_uri(source_url),
            "complaints_warehouse": airflow_conn_uri(warehouse_url),
        },
        # One output folder for every worker: on several machines, a shared volume.
        extra_env={
            "COMPLAINTS_OUTPUT_DIR": str(tmp_path / "output"),
            # A transient fault on a loaded machine is retried in seconds, not five minutes.
            "COMPLAINTS_TASK_RETRY_DELAY_SECONDS": "10",
        },
        demo_source_owner_url=source_url,
        celery=CeleryBroker(broker_url=redis_broker, result_backend=f"db+{results_url}"),
    )
    native.source_url, native.warehouse_url = source_url, warehouse_url
    native.output = tmp_path / "output"
    native.init()
    native.start()
    for name in WORKERS:
        native.start_worker(name, concurrency=1)  # one task at a time: 2 cores, shared
    try:
        yield native
    finally:
        native.stop()


def test_two_celery_workers_run_the_pipeline_and_one_stops_mid_run(stack):
    api = ApiClient(stack)
    stack.wait_for(
        "the api-server to answer /api/v2/version",
        lambda: api.http.get("/api/v2/version").json() or None,
        timeout=STARTUP_TIMEOUT,
    )
    api.login("data_engineer")
    for name in WORKERS:
        stack.wait_for(
            f"Celery worker {name} to be ready",
            lambda name=name: stack.worker_ready(name) or None,
            timeout=STARTUP_TIMEOUT,
        )

    def parsed() -> list[dict] | None:
        found = {d["dag_id"] for d in api.get("/dags", limit=100)["dags"]}
        return found if found >= {*PIPELINE_DAGS, REPORT_DAG} else None

    stack.wait_for("the dag-processor to parse the DAGs", parsed, timeout=STARTUP_TIMEOUT)
    assert not api.get("/importErrors")["import_errors"]

    # --- 1. extract, warehouse (from the Asset), the 2019/20 report signed off ---------------
    first = api.request(
        "POST", "/dags/complaints_extract/dagRuns", json={"logical_date": None, "note": "celery"}
    )
    for dag_id in PIPELINE_DAGS:
        api.request("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
    stack.wait_for(
        "the first extract to succeed",
        lambda: _finished(api, "complaints_extract", first["dag_run_id"]),
        timeout=RUN_TIMEOUT,
    )
    stack.wait_for(
        "complaints_warehouse to follow from the staging Asset and succeed",
        lambda: _warehouse_runs_succeeded(api, 1),
        timeout=RUN_TIMEOUT,
    )
    council = load_settings().council_code
    assert stats_from_warehouse(stack.warehouse_url, council) == expected_stats(stack.source_url)

    api.request(
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
    report_run = stack.wait_for(
        "the backfill to create the 2019/20 report run",
        lambda: next((r for r in _runs(api, REPORT_DAG) if r["run_type"] == "backfill"), None),
        timeout=60,
    )
    run_id = report_run["dag_run_id"]

    def awaiting_approval() -> dict | None:
        """The council's approval task instance (a mapped one), once it waits for a person."""
        tis = _task_instances(api, REPORT_DAG, run_id)
        states = {t["task_id"]: t["state"] for t in tis}
        if any(s in ("failed", "upstream_failed", "up_for_retry") for s in states.values()):
            raise AssertionError(f"the report run failed: {states}")
        approval = next((t for t in tis if t["task_id"] == APPROVAL_TASK), None)
        waiting = approval and approval["state"] in ("awaiting_input", "deferred")
        return approval if waiting else None

    approval = stack.wait_for(
        "the report to wait for approval", awaiting_approval, timeout=RUN_TIMEOUT
    )
    time.sleep(APPROVAL_SETTLE_SECONDS)  # as in test_native_scheduler: let the deferral settle
    hitl = (
        f"/dags/{REPORT_DAG}/dagRuns/{run_id}/taskInstances/{APPROVAL_TASK}/"
        f"{approval['map_index']}/hitlDetails"
    )
    api.login("complaints_manager")
    answer = api.request("PATCH", hitl, json={"chosen_options": ["Approve"], "params_input": {}})
    assert answer["responded_by"]["name"] == "complaints_manager", answer
    api.login("data_engineer")
    stack.wait_for(
        "the approved report to be published",
        lambda: _finished(api, REPORT_DAG, run_id),
        timeout=RUN_TIMEOUT,
    )
    final_pdf = stack.output / council / "2019-20" / "annual-report-2019-20.pdf"
    assert final_pdf.exists()

    # --- 2. a source change, a second extract, and one worker stopped in the middle ----------
    source = make_engine(stack.source_url)
    with source.begin() as conn:
        assert conn.execute(text(SOURCE_CHANGE)).rowcount == 1
    source.dispose()
    before = stats_from_warehouse(stack.warehouse_url, council)
    second = api.request(
        "POST", "/dags/complaints_extract/dagRuns", json={"logical_date": None, "note": "kill"}
    )

    def a_task_running_on_a_worker() -> dict | None:
        for ti in _task_instances(api, "complaints_extract", second["dag_run_id"]):
            if ti["state"] == "running" and ti.get("hostname") in WORKERS:
                return ti
        return None

    interrupted = stack.wait_for(
        "a task of the second extract to run on a worker",
        a_task_running_on_a_worker,
        timeout=RUN_TIMEOUT,
        interval=0.5,
    )
    victim = interrupted["hostname"]
    (survivor,) = set(WORKERS) - {victim}
    killed_at = datetime.now(UTC)
    stack.terminate_worker(victim)

    stack.wait_for(
        "the second extract to succeed without the stopped worker",
        lambda: _finished(api, "complaints_extract", second["dag_run_id"]),
        timeout=RUN_TIMEOUT,
    )
    warehouse_runs = stack.wait_for(
        "the rebuild after the second extract to succeed",
        lambda: _warehouse_runs_succeeded(api, 2),
        timeout=RUN_TIMEOUT,
    )
    rebuilt = [r for r in warehouse_runs if _when(r["run_after"]) > killed_at]
    worker = stack.processes[victim]
    stack.wait_for(
        f"{victim} to finish its warm shutdown and exit",
        lambda: worker.poll() is not None or None,
        timeout=120,
    )
    assert worker.returncode == 0, f"{victim} exited with {worker.returncode}"

    # --- 3. who ran what, and the figures ----------------------------------------------------
    every_try: list[dict] = []
    for dag_id in (*PIPELINE_DAGS, REPORT_DAG):
        for run in _runs(api, dag_id):
            for ti in _task_instances(api, dag_id, run["dag_run_id"]):
                every_try += _tries(api, ti) if ti["try_number"] > 1 else [ti]
    # Tries a worker ran (a task the scheduler marked upstream_failed or skipped has none).
    ran = [t for t in every_try if t.get("hostname")]
    hosts = {t["hostname"] for t in ran}
    assert hosts == set(WORKERS), f"task instances ran on {hosts}"

    interrupted_tries = [
        t
        for t in every_try
        if (t["dag_run_id"], t["task_id"]) == (second["dag_run_id"], interrupted["task_id"])
    ]
    assert interrupted_tries[-1]["state"] == "success", interrupted_tries
    # Finished by the stopped worker during its warm shutdown, or retried on the other one.
    assert {t["hostname"] for t in interrupted_tries} <= set(WORKERS)
    # The runs the stop interrupted: the second extract and the rebuild it started.
    interrupted_runs = {second["dag_run_id"], *(r["dag_run_id"] for r in rebuilt)}
    after_kill = [
        t for t in ran if t["dag_run_id"] in interrupted_runs and _when(t["start_date"]) > killed_at
    ]
    assert after_kill, "no task started after the worker was stopped"
    wrong = [
        (t["dag_id"], t["task_id"], t["hostname"]) for t in after_kill if t["hostname"] != survivor
    ]
    assert not wrong, f"tasks started on the stopped worker {victim}: {wrong}"

    after = stats_from_warehouse(stack.warehouse_url, council)
    assert after == expected_stats(stack.source_url)
    assert after != before, "the source change did not reach the figures"
    print(
        f"interrupted {interrupted['task_id']} on {victim}; tries "
        f"{[(t['try_number'], t['hostname'], t['state']) for t in interrupted_tries]}; "
        f"{len(after_kill)} task(s) after the SIGTERM, all on {survivor}"
    )
