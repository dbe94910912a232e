"""The docker-compose topology without Docker: real Airflow processes on this machine.

``NativeStack`` runs the same components as ``docker-compose.yml`` (api-server, scheduler,
dag-processor, triggerer; LocalExecutor; PostgreSQL metadata database) as child processes with a
private ``AIRFLOW_HOME``, free ports and the two SimpleAuthManager users of the compose stack.
The init job is the compose stack's own ``docker/airflow-init.sh`` (API users' passwords, metadata
database migration, demo source seed). ``ApiClient`` talks to the stack the way a user or a script
does: a JWT from ``/auth/token``, then the public REST API ``/api/v2``. Every wait is bounded and
fails with the tail of every process log.

With ``celery`` set (``CeleryBroker``), it runs the compose file's ``celery`` profile instead:
CeleryExecutor, Redis as the broker, a PostgreSQL result backend, and ``airflow celery worker``
processes started by ``start_worker``, each under its own name. The name is the worker's Celery
hostname (``--celery-hostname``) and the hostname its task instances record
(``worker_hostname``, Airflow's ``[core] hostname_callable``), as workers on separate machines
would have; ``terminate_worker`` sends SIGTERM to one worker's process only.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from csc_complaints.cli import airflow_environment
from csc_complaints.settings import PROJECT_ROOT

AIRFLOW = str(Path(sys.executable).with_name("airflow"))
INIT_SCRIPT = PROJECT_ROOT / "docker" / "airflow-init.sh"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
T = TypeVar("T")


WORKER_NAME_VARIABLE = "NATIVE_STACK_WORKER_NAME"


def worker_hostname() -> str:
    """A worker's hostname as its task instances record it: its name in the stack (two workers
    on one machine would otherwise share the machine's name). ``[core] hostname_callable``."""
    return os.environ.get(WORKER_NAME_VARIABLE) or socket.getfqdn()


@dataclass(frozen=True)
class CeleryBroker:
    """The Celery executor's broker (Redis, one database of its own) and result backend."""

    broker_url: str  # redis://127.0.0.1:6379/11
    result_backend: str  # db+postgresql://...


class StackError(AssertionError):
    """A component did not start, or something the test waited for did not happen in time."""


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def airflow_conn_uri(sqlalchemy_url: str) -> str:
    """An ``AIRFLOW_CONN_*`` URI for a SQLAlchemy URL (Airflow wants ``postgresql://``)."""
    scheme, rest = sqlalchemy_url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


@dataclass
class NativeStack:
    """Airflow's components as processes, configured like the compose stack."""

    home: Path
    metadata_url: str
    connections: dict[str, str]
    extra_env: dict[str, str] = field(default_factory=dict)
    demo_source_owner_url: str | None = None
    celery: CeleryBroker | None = None
    # The two users of docker-compose.yml: the data engineer and the Complaints Manager.
    users: dict[str, str] = field(
        default_factory=lambda: {
            "data_engineer": secrets.token_urlsafe(16),
            "complaints_manager": secrets.token_urlsafe(16),
        }
    )
    api_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    # Processes the test stopped on purpose: their exit is not a failure of the stack.
    stopped: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs = self.home / "process-logs"
        self.logs.mkdir(exist_ok=True)
        (admin, admin_password), (manager, manager_password) = self.users.items()
        base = {
            k: v
            for k, v in airflow_environment().items()
            if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_HOME"))
        }
        env = airflow_environment(base)
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.metadata_url,
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                # The task SDK of every worker reports to the api-server's execution API.
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
                "AIRFLOW__API__BASE_URL": self.base_url,
                # Tokens signed by one component must verify in the others.
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{admin}:admin,{manager}:user",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(
                    self.home / "auth" / "passwords.json"
                ),
                # What airflow-init.sh reads (docker-compose.yml passes the same from .env).
                "AIRFLOW_ADMIN_USER": admin,
                "AIRFLOW_ADMIN_PASSWORD": admin_password,
                "COMPLAINTS_MANAGER_USER": manager,
                "COMPLAINTS_MANAGER_PASSWORD": manager_password,
                "COMPLAINTS_SEED_DEMO_SOURCE": "true" if self.demo_source_owner_url else "false",
                "COMPLAINTS_DEMO_SOURCE_URL": self.demo_source_owner_url or "",
                # The init script calls `airflow` and `python`: this venv's.
                "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
                # Every listening port private to this stack: tests and helpers run side by side.
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(free_port()),
                # A task's calls to the execution API wait longer than the default 5 s on a CI
                # machine shared by many processes (a timeout there fails the task's try).
                "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
                # A test cannot wait for the default 5-minute folder refresh.
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            }
        )
        if self.celery is not None:
            env.update(
                {
                    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                    "AIRFLOW__CELERY__BROKER_URL": self.celery.broker_url,
                    "AIRFLOW__CELERY__RESULT_BACKEND": self.celery.result_backend,
                }
            )
        env.update({f"AIRFLOW_CONN_{k.upper()}": v for k, v in self.connections.items()})
        env.update(self.extra_env)
        # A person signs the report off here: never the demo's auto-approval.
        env.pop("COMPLAINTS_AUTO_APPROVE", None)
        self.env = env

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    # --- processes ---------------------------------------------------------------------------

    def init(self, timeout: float = 300) -> None:
        """The compose stack's init job: users, ``airflow db migrate``, the demo source seed."""
        log = self.logs / "airflow-init.log"
        with log.open("w") as out:
            done = subprocess.run(
                ["bash", str(INIT_SCRIPT)],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        if done.returncode != 0:
            raise StackError(f"the init job (airflow-init.sh) failed:\n{_tail(log)}")

    def start(self, components: tuple[str, ...] = COMPONENTS) -> None:
        for name in components:
            args = [name]
            if name == "api-server":
                args += ["--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "1"]
            out = (self.logs / f"{name}.log").open("w")
            self.processes[name] = subprocess.Popen(
                [AIRFLOW, *args],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches its children
            )
            out.close()

    def start_worker(self, name: str, concurrency: int = 2, queues: str = "default") -> None:
        """``airflow celery worker`` named ``name`` (its Celery hostname ``name@<machine>`` and
        the hostname its task instances record), with a log-server port of its own."""
        env = dict(self.env)
        env.update(
            {
                WORKER_NAME_VARIABLE: name,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{__name__}.worker_hostname",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                # worker_hostname is imported from this module by the worker's task runners.
                "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")]),
            }
        )
        args = ["celery", "worker", "--celery-hostname", f"{name}@%h"]
        args += ["--concurrency", str(concurrency), "--queues", queues]
        out = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            [AIRFLOW, *args],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()

    def worker_ready(self, name: str) -> bool:
        """Has the Celery worker ``name`` connected to the broker and started consuming?"""
        text = (self.logs / f"{name}.log").read_text(errors="replace")
        return f"{name}@" in text and " ready." in text

    def terminate_worker(self, name: str) -> None:
        """SIGTERM to the worker's own process only (Celery's warm shutdown: it takes no new
        task, finishes the ones it is running, and exits); its pool's children are left to it."""
        self.stopped.add(name)
        os.kill(self.processes[name].pid, signal.SIGTERM)

    def stop(self, grace: float = 20) -> None:
        """SIGTERM every component's process group, then SIGKILL what is left."""
        for proc in self.processes.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The group may outlive its leader (task runners, api-server workers).
            _signal_group(proc, signal.SIGKILL)
            proc.wait()

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None and name not in self.stopped:
                raise StackError(
                    f"airflow {name} exited with code {proc.returncode}\n{self.diagnostics()}"
                )

    def diagnostics(self, lines: int = 40) -> str:
        """The tail of every process log and of the latest task logs, for a failure message."""
        parts = [f"--- {log.name} ---\n{_tail(log, lines)}" for log in sorted(self.logs.glob("*"))]
        task_logs = sorted((self.home / "logs").glob("dag_id=*/**/*.log"), key=_mtime)
        for path in task_logs[-4:]:
            parts.append(f"--- task log {path.relative_to(self.home)} ---\n{_task_log(path)}")
        return "\n".join(parts)

    def wait_for(
        self, what: str, probe: Callable[[], T | None], timeout: float, interval: float = 2
    ) -> T:
        """Poll ``probe`` until it returns something other than None (or a component dies)."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                result = probe()
            except (httpx.HTTPError, StackError) as exc:
                last_error, result = exc, None
            except AssertionError as exc:  # the probe saw a failure: no point waiting on
                raise StackError(f"{exc}\n{self.diagnostics()}") from exc
            if result is not None:
                return result
            time.sleep(interval)
        raise StackError(
            f"timed out after {timeout:.0f}s waiting for {what}"
            + (f" (last error: {last_error})" if last_error else "")
            + f"\n{self.diagnostics()}"
        )


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _mtime(path: Path) -> float:
    return path.stat().st_mtime


def _task_log(path: Path, events: int = 12) -> str:
    """A task log (JSON lines) as its last events, with any exception's type and message."""
    shown = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            shown.append(line)
            continue
        text = f"{record.get('level', '')} {record.get('event', '')}"
        for error in record.get("error_detail") or []:
            text += f"\n    {error.get('exc_type')}: {error.get('exc_value')}"
        shown.append(text)
    return "\n".join(shown[-events:])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read {path}: {exc})"


class ApiClient:
    """The public REST API of a running api-server, authenticated as a SimpleAuthManager user."""

    def __init__(self, stack: NativeStack) -> None:
        self.stack = stack
        self.http = httpx.Client(base_url=stack.base_url, timeout=30)
        self.user: str | None = None

    def login(self, user: str) -> None:
        """A JWT for ``user`` (SimpleAuthManager: POST /auth/token with the password)."""
        response = self.http.post(
            "/auth/token", json={"username": user, "password": self.stack.users[user]}
        )
        self._check(response, "POST /auth/token")
        self.user = user
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/api/v2{path}", **kwargs)
        self._check(response, f"{method} /api/v2{path}")
        return response.json() if response.content else None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 400:
            raise StackError(f"{what} -> {response.status_code}: {response.text[:2000]}")

    def close(self) -> None:
        self.http.close()
