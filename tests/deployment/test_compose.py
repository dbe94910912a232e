"""docker-compose.yml, .env.example and the init scripts of docker/.

There is no Docker engine here: ``docker-compose config`` (Debian's docker-compose) checks the
file and resolves it against an ``.env``, and the tests read the resolved stack. The scripts the
containers run (PostgreSQL's database set-up, the demo source seed, the .env generator) run
natively against the test PostgreSQL server; the whole Airflow topology runs natively in
``test_native_scheduler.py``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import uuid

import pytest
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from csc_complaints.settings import PROJECT_ROOT
from csc_complaints_demo.models import Complaint

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
DOCKER_DIR = PROJECT_ROOT / "docker"
sys.path.insert(0, str(DOCKER_DIR))
from generate_env import SECRET_LINE, fill_secrets  # noqa: E402
from seed_demo_source import seed  # noqa: E402

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-init",
}
CELERY_SERVICES = {"redis", "airflow-worker", "flower"}
MOUNTS = {
    "dags": "/opt/airflow/dags",
    "plugins": "/opt/airflow/plugins",
    "include": "/opt/airflow/include",
    "expectations": "/opt/airflow/expectations",
    "output": "/opt/airflow/output",
}
SECRET_KEYS = [
    match.group("key")
    for line in ENV_EXAMPLE.read_text().splitlines()
    if (match := SECRET_LINE.match(line))
]


@pytest.fixture(scope="module")
def docker_compose() -> str:
    """Debian's docker-compose (``.ci/run`` installs it). Its absence skips, which fails under
    CI=true (tests/ci_skips.py)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (apt-get install -y docker-compose)")
    return binary


def _env_file(tmp_path, drop: str | None = None, **values: str):
    """A complete .env from .env.example (secrets generated), optionally without one key."""
    text_, _ = fill_secrets(ENV_EXAMPLE.read_text())
    lines = [line for line in text_.splitlines() if not (drop and line.startswith(f"{drop}="))]
    lines += [f"{k}={v}" for k, v in values.items()]
    path = tmp_path / f"env-{uuid.uuid4().hex[:6]}"
    path.write_text("\n".join(lines) + "\n")
    return path


def _config(binary: str, env_file, *extra: str) -> subprocess.CompletedProcess:
    # A clean environment: nothing from this shell (or conftest's AIRFLOW_*) leaks into the file.
    return subprocess.run(
        [binary, "--project-directory", str(PROJECT_ROOT), "-f", str(COMPOSE_FILE),
         "--env-file", str(env_file), *extra, "config"],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


def _command(spec: dict) -> list[str]:
    """A service's command as a list (docker-compose v1 keeps the string, v2 splits it)."""
    command = spec.get("command")
    return shlex.split(command) if isinstance(command, str) else command


def _resolved(binary: str, env_file, *extra: str) -> dict:
    done = _config(binary, env_file, *extra)
    assert done.returncode == 0, f"docker-compose config rejected the file:\n{done.stderr}"
    return yaml.safe_load(done.stdout)


def test_compose_accepts_the_file_and_it_is_the_airflow_3_topology(docker_compose, tmp_path):
    stack = _resolved(docker_compose, _env_file(tmp_path))
    services = stack["services"]
    assert set(services) == AIRFLOW_SERVICES | CELERY_SERVICES | {"postgres", "mailpit"}
    assert {s for s, spec in services.items() if "celery" in spec.get("profiles", [])} == (
        CELERY_SERVICES
    )
    commands = {s: _command(services[s]) for s in AIRFLOW_SERVICES - {"airflow-init"}}
    assert commands == {
        "airflow-apiserver": ["api-server"],
        "airflow-scheduler": ["scheduler"],
        "airflow-dag-processor": ["dag-processor"],
        "airflow-triggerer": ["triggerer"],
    }
    for name in AIRFLOW_SERVICES | {"airflow-worker", "flower"}:
        spec = services[name]
        env = spec["environment"]
        assert spec["build"]["context"] == str(PROJECT_ROOT), name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith(
            "postgresql+psycopg2://airflow:"
        ), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == (
            "http://airflow-apiserver:8080/execution/"
        )
        assert env["COMPLAINTS_OUTPUT_DIR"] == "/opt/airflow/output"
        assert make_url(env["AIRFLOW_CONN_COMPLAINTS_WAREHOUSE"]).database == (
            "complaints_warehouse"
        )
        assert make_url(env["AIRFLOW_CONN_COMPLAINTS_SOURCE"]).username == "complaints_reader"
        assert env["AIRFLOW_CONN_SMTP_DEFAULT"].startswith("smtp://mailpit:1025")
        mounted = {v.split(":")[1]: v.split(":")[0] for v in spec["volumes"] if ":" in v}
        if name != "airflow-init":
            for folder, target in MOUNTS.items():
                assert mounted.get(target) == str(PROJECT_ROOT / folder), (name, folder)
            assert spec["depends_on"]["airflow-init"]["condition"] == (
                "service_completed_successfully"
            )
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "healthcheck" in spec or name == "airflow-init", name
    init = services["airflow-init"]
    assert _command(init) == ["/opt/airflow/docker/airflow-init.sh"]
    assert init["environment"]["COMPLAINTS_SEED_DEMO_SOURCE"] == "true"
    postgres_mounts = services["postgres"]["volumes"]
    assert any(v.startswith(f"{DOCKER_DIR / 'postgres'}:/docker-entrypoint-initdb.d") for v in (
        postgres_mounts))  # fmt: skip
    assert "8080" in str(services["airflow-apiserver"]["ports"])
    assert "8025" in str(services["mailpit"]["ports"])


def test_the_celery_profile_switches_the_executor(docker_compose, tmp_path):
    env_file = _env_file(tmp_path, AIRFLOW_EXECUTOR="CeleryExecutor")
    services = _resolved(docker_compose, env_file, "--profile", "celery")["services"]
    for name in AIRFLOW_SERVICES | {"airflow-worker", "flower"}:
        assert services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert services[name]["environment"]["AIRFLOW__CELERY__BROKER_URL"] == (
            "redis://redis:6379/0"
        )
    assert _command(services["airflow-worker"]) == ["celery", "worker"]
    assert services["airflow-worker"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_the_committed_template_has_no_password_and_compose_refuses_it(docker_compose):
    assert len(SECRET_KEYS) >= 10, SECRET_KEYS
    done = _config(docker_compose, ENV_EXAMPLE)
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in done.stderr or "in .env" in done.stderr


@pytest.mark.parametrize("secret", SECRET_KEYS)
def test_every_secret_is_mandatory(docker_compose, tmp_path, secret):
    """No secret has a default anywhere in the compose file: leaving any one out is refused."""
    done = _config(docker_compose, _env_file(tmp_path, drop=secret))
    assert done.returncode != 0, f"docker-compose config accepted a .env without {secret}"
    assert f"set {secret} in .env" in done.stderr, done.stderr


def test_generated_secrets_are_fresh_and_set_values_are_kept():
    template = "A_PASSWORD=\nB_PASSWORD=kept\nAIRFLOW_FERNET_KEY=\nNAME=\n# C_SECRET=\n"
    first, filled = fill_secrets(template)
    second, _ = fill_secrets(template)
    values = dict(line.split("=", 1) for line in first.splitlines() if not line.startswith("#"))
    assert filled == ["A_PASSWORD", "AIRFLOW_FERNET_KEY"]
    assert values["B_PASSWORD"] == "kept" and values["NAME"] == ""
    assert len(values["A_PASSWORD"]) >= 24 and first != second
    Fernet(values["AIRFLOW_FERNET_KEY"].encode())  # a valid Fernet key, or this raises
    assert fill_secrets(first) == (first, [])


@pytest.mark.postgres
def test_postgres_init_creates_the_databases_and_a_read_only_source(postgres_server):
    """docker/postgres/10-create-databases.sh on a real server, then the demo seed on it."""
    if shutil.which("psql") is None:
        # The init script is run with psql, as the postgres image runs it; a skip fails in CI.
        pytest.skip("psql is not installed (apt-get install -y postgresql-client)")
    tag = uuid.uuid4().hex[:8]
    names = {
        "AIRFLOW_DB": f"csc_af_{tag}",
        "AIRFLOW_DB_ROLE": f"csc_af_{tag}",
        "WAREHOUSE_DB": f"csc_wh_{tag}",
        "WAREHOUSE_DB_ROLE": f"csc_wh_{tag}",
        "SOURCE_DB": f"csc_src_{tag}",
        "SOURCE_OWNER_DB_ROLE": f"csc_src_owner_{tag}",
        "SOURCE_READER_DB_ROLE": f"csc_src_reader_{tag}",
    }
    server = make_url(postgres_server)
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": server.host or "127.0.0.1",
        "PGPORT": str(server.port or 5432),
        "POSTGRES_USER": server.username or "postgres",
        "POSTGRES_DB": server.database or "postgres",
        **names,
        **{
            k: f"pw-{uuid.uuid4().hex}"
            for k in (
                "AIRFLOW_DB_PASSWORD",
                "WAREHOUSE_DB_PASSWORD",
                "SOURCE_OWNER_DB_PASSWORD",
                "SOURCE_READER_DB_PASSWORD",
            )
        },
    }
    if server.password:
        env["PGPASSWORD"] = server.password
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    try:
        done = subprocess.run(
            ["bash", str(DOCKER_DIR / "postgres" / "10-create-databases.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr

        def url(role: str, database: str) -> str:
            return server.set(username=role, database=database).render_as_string(False)

        owner_url = url(names["SOURCE_OWNER_DB_ROLE"], names["SOURCE_DB"])
        assert seed(owner_url).startswith("demo source seeded with the reference dataset")
        assert "left as it is" in seed(owner_url)  # the init job runs on every `up`

        reader = create_engine(url(names["SOURCE_READER_DB_ROLE"], names["SOURCE_DB"]))
        try:
            with reader.connect() as conn:
                received = conn.execute(select(func.count()).select_from(Complaint)).scalar()
                assert received > 57  # both years of the reference dataset
                with pytest.raises(ProgrammingError, match="permission denied"):
                    conn.execute(text("DELETE FROM complaints"))
                conn.rollback()
                with pytest.raises(ProgrammingError, match="permission denied"):
                    conn.execute(text("CREATE TABLE scratch (id int)"))
        finally:
            reader.dispose()
        with create_engine(url(names["WAREHOUSE_DB_ROLE"], names["WAREHOUSE_DB"])).connect() as c:
            c.execute(text("CREATE TABLE owned_by_the_warehouse_role (id int)"))
            c.commit()
        with create_engine(url(names["AIRFLOW_DB_ROLE"], names["AIRFLOW_DB"])).connect() as c:
            c.execute(text("CREATE TABLE owned_by_airflow (id int)"))
            c.commit()
    finally:
        with admin.connect() as conn:
            for key in ("AIRFLOW_DB", "WAREHOUSE_DB", "SOURCE_DB"):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{names[key]}" WITH (FORCE)'))
            for key in ("AIRFLOW_DB_ROLE", "WAREHOUSE_DB_ROLE", "SOURCE_OWNER_DB_ROLE",
                        "SOURCE_READER_DB_ROLE"):  # fmt: skip
                conn.execute(text(f'DROP ROLE IF EXISTS "{names[key]}"'))
        admin.dispose()


def _published(port_spec) -> tuple[str, str]:
    """(host address, host port) of a resolved port: '127.0.0.1:8080:8080/tcp' or the long
    form docker compose v2 prints."""
    if isinstance(port_spec, dict):
        return port_spec.get("host_ip") or "0.0.0.0", str(port_spec["published"])
    parts = str(port_spec).split("/")[0].split(":")
    return (parts[0], parts[1]) if len(parts) == 3 else ("0.0.0.0", parts[0])


def test_every_port_is_bound_to_this_machine_unless_the_api_is_opened(docker_compose, tmp_path):
    services = _resolved(docker_compose, _env_file(tmp_path), "--profile", "celery")["services"]
    published = {
        name: [_published(p) for p in spec.get("ports", [])] for name, spec in services.items()
    }
    assert published["airflow-apiserver"] == [("127.0.0.1", "8080")]
    for name, ports in published.items():
        assert all(host == "127.0.0.1" for host, _ in ports), (name, ports)
    # The documented way to open the UI and API to the network (.env.example).
    opened = _env_file(tmp_path, AIRFLOW_API_BIND="0.0.0.0", AIRFLOW_API_PORT="8443")
    api = _resolved(docker_compose, opened)["services"]["airflow-apiserver"]
    assert [_published(p) for p in api["ports"]] == [("0.0.0.0", "8443")]
    assert "AIRFLOW_API_BIND" in ENV_EXAMPLE.read_text()


def test_a_council_is_added_with_its_source_connection_and_the_registry(docker_compose, tmp_path):
    """docs/operations.md, "Many councils": each council's AIRFLOW_CONN_COMPLAINTS_SOURCE_<X>
    in the file COMPLAINTS_COUNCILS_ENV_FILE names reaches every Airflow service, with the
    registry's path; without them the stack is the single council it was."""
    template = DOCKER_DIR / "councils.env"
    assert not [
        line for line in template.read_text().splitlines() if line and not line.startswith("#")
    ], "the committed template defines no connection"
    plain = _resolved(docker_compose, _env_file(tmp_path), "--profile", "celery")["services"]
    for name in AIRFLOW_SERVICES | {"airflow-worker"}:
        env = plain[name]["environment"]
        assert not [k for k in env if k.startswith("AIRFLOW_CONN_COMPLAINTS_SOURCE_")], name
        assert not env.get("COMPLAINTS_COUNCILS_FILE"), name

    councils_env = tmp_path / "councils.env"
    councils_env.write_text(
        "AIRFLOW_CONN_COMPLAINTS_SOURCE_NORTHMOOR=postgresql://reader:pw@casework-n:5432/cw\n"
        "AIRFLOW_CONN_COMPLAINTS_SOURCE_EASTVALE=sqlite:////srv/eastvale/casework.db\n"
    )
    registry = "/opt/airflow/include/councils.toml"
    env_file = _env_file(
        tmp_path, COMPLAINTS_COUNCILS_ENV_FILE=str(councils_env), COMPLAINTS_COUNCILS_FILE=registry
    )
    services = _resolved(docker_compose, env_file, "--profile", "celery")["services"]
    for name in AIRFLOW_SERVICES | {"airflow-worker"}:
        env = services[name]["environment"]
        assert env["AIRFLOW_CONN_COMPLAINTS_SOURCE_NORTHMOOR"].startswith("postgresql://"), name
        assert env["AIRFLOW_CONN_COMPLAINTS_SOURCE_EASTVALE"].startswith("sqlite:///"), name
        assert env["COMPLAINTS_COUNCILS_FILE"] == registry, name
        assert env["AIRFLOW_CONN_COMPLAINTS_SOURCE"].startswith("postgresql://"), name
    for key in ("COMPLAINTS_COUNCILS_ENV_FILE", "COMPLAINTS_COUNCILS_FILE"):
        assert key in ENV_EXAMPLE.read_text()
