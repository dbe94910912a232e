"""How the DAGs fail: parse-time work is declarations only (a broken settings file never breaks
parsing), every task fails fast on an error a retry cannot fix, and every task alerts when it
fails."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from csc_complaints.orchestration import TaskFailureNotifier
from csc_complaints.settings import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"


@pytest.fixture(scope="module")
def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_parsing_and_serializing_never_open_the_settings_file(tmp_path):
    """What the dag-processor does (import every DAG file, serialize every DAG), with a settings
    file that cannot be read: no import error, and the file is never opened."""
    broken = tmp_path / "settings.toml"
    broken.write_text("council_code = [this is not TOML\n")
    probe = (
        "import json, sys\n"
        f"watched = {str(broken)!r}\n"
        "opened = []\n"
        "sys.addaudithook(lambda event, args: opened.append(event)"
        " if event == 'open' and str(args[0]) == watched else None)\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "from airflow.serialization.serialized_objects import DagSerialization\n"
        f"bag = DagBag(dag_folder={str(DAGS_FOLDER)!r})\n"
        "serialized = [DagSerialization.serialize_dag(dag) for dag in bag.dags.values()]\n"
        "print(json.dumps({'errors': {str(k): str(v) for k, v in bag.import_errors.items()},\n"
        "                  'dags': sorted(bag.dag_ids), 'opened': len(opened)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**__import__("os").environ, "COMPLAINTS_SETTINGS_FILE": str(broken)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["errors"] == {}
    assert found["dags"] == [
        "complaints_annual_report",
        "complaints_extract",
        "complaints_operations_alerts",
        "complaints_quarterly_monitoring",
        "complaints_source_comparison",
        "complaints_warehouse",
    ]
    assert found["opened"] == 0


def test_every_task_fails_fast_and_alerts_on_failure(dag_bag):
    from csc_complaints.report.approval import ReportApprovalOperator

    for dag_id, dag in dag_bag.dags.items():
        for task in dag.tasks:
            where = f"{dag_id}.{task.task_id}"
            notifiers = [
                c for c in task.on_failure_callback or [] if isinstance(c, TaskFailureNotifier)
            ]
            assert len(notifiers) == 1, f"{where} has no failure alert"
            if isinstance(task, ReportApprovalOperator):
                continue  # its execute() runs under failing_fast itself
            assert getattr(task.python_callable, "fails_fast", False), f"{where} is not @fail_fast"


def test_templates_name_task_ids_that_exist(dag_bag):
    """The approval (a classic operator in the council group) reads its council's XComs."""
    dag = dag_bag.dags["complaints_annual_report"]
    approve = dag.get_task("council.approve_report")
    templates = approve.financial_year + approve.council_code + approve.body
    templates += approve.map_index_template
    named = {task_id for task_id in dag.task_ids if f"task_ids='{task_id}'" in templates}
    assert named == {"council.check_year_ready", "council.build_draft_report"}
    assert templates.count("map_indexes=ti.map_index") == templates.count("xcom_pull(")


def test_the_retry_delay_is_five_minutes_unless_make_run_shortens_it(monkeypatch):
    from datetime import timedelta

    from csc_complaints.orchestration import RETRY_DELAY_VARIABLE, retry_delay

    monkeypatch.delenv(RETRY_DELAY_VARIABLE, raising=False)
    assert retry_delay() == timedelta(minutes=5)
    monkeypatch.setenv(RETRY_DELAY_VARIABLE, "15")
    assert retry_delay() == timedelta(seconds=15)
    for ignored in ("soon", "-1", "0", ""):
        monkeypatch.setenv(RETRY_DELAY_VARIABLE, ignored)
        assert retry_delay() == timedelta(minutes=5)
