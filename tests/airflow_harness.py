"""Run the project's DAGs through real Airflow (``airflow dags test``) in a test.

Each test gets its own Airflow home with a copy of the project's migrated metadata database
(``make test`` migrates it first), so parallel workers never lock each other's SQLite file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from csc_complaints.cli import airflow_environment
from csc_complaints.settings import PROJECT_ROOT

MIGRATED_DB = PROJECT_ROOT / ".airflow" / "airflow.db"


def airflow_home(tmp_path: Path, source_url: str, warehouse_url: str, output_dir: Path) -> dict:
    """An environment for a private Airflow home running against the given databases."""
    home = tmp_path / "airflow-home"
    home.mkdir()
    env = airflow_environment(
        {
            k: v
            for k, v in airflow_environment().items()
            if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_HOME"))
        }
    )
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW_CONN_COMPLAINTS_SOURCE": source_url,
            "AIRFLOW_CONN_COMPLAINTS_WAREHOUSE": warehouse_url,
            "COMPLAINTS_OUTPUT_DIR": str(output_dir),
        }
    )
    if MIGRATED_DB.exists():
        shutil.copy(MIGRATED_DB, home / "airflow.db")
    else:
        _airflow(["db", "migrate"], env)
    return env


def _airflow(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("airflow")), *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def dags_test(
    env: dict, dag_id: str, logical_date: str | None = None, *, expect: str = "success"
) -> str:
    """``airflow dags test``; returns the combined output. Raises, with the output, unless the
    run ended in the ``expect``ed state (``success`` or ``failed``)."""
    args = ["dags", "test", dag_id] + ([logical_date] if logical_date else [])
    done = _airflow(args, env)
    output = done.stdout + done.stderr
    if f"DagRun Finished: dag_id={dag_id}" not in output or f"state={expect}," not in output:
        raise AssertionError(f"airflow dags test {dag_id} did not end {expect}:\n{output[-6000:]}")
    return output


def with_alert_channels(env: dict, smtp, webhook_url: str) -> dict:
    """``env`` with the alert channels pointed at the test's SMTP and webhook receivers."""
    extras = quote(json.dumps({"disable_ssl": True, "disable_tls": True}))
    env["AIRFLOW_CONN_SMTP_DEFAULT"] = f"smtp://{smtp.host}:{smtp.port}/?__extra__={extras}"
    env["AIRFLOW_VAR_COMPLAINTS_ALERT_EMAILS"] = "duty-engineer@council.example"
    env["AIRFLOW_CONN_COMPLAINTS_ALERT_WEBHOOK"] = webhook_url
    return env
