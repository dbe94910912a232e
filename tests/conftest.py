"""Shared fixtures: fresh SQLite and PostgreSQL databases for every test that needs one.

PostgreSQL is the production warehouse, so every database test runs on both. Each PostgreSQL
test gets its own throw-away database (parallel workers never share one). When the server is
unreachable the PostgreSQL half is skipped on a developer machine; under CI=true every skip is a
failure (``tests/ci_skips.py``, whose hooks are imported here for the whole suite).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from csc_complaints.cli import airflow_environment
from csc_complaints.quality.alerts import SmtpSettings
from tests.ci_skips import (  # noqa: F401 (pytest finds hooks by their names in a conftest)
    pytest_configure,
    pytest_make_collect_report,
    pytest_runtest_makereport,
)

# Airflow reads its configuration when first imported: point it at the project's home (and
# DAGs and plugins folders) before any test imports it.
os.environ.update(airflow_environment())

PG_ADMIN_URL = os.environ.get(
    "COMPLAINTS_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure to connect means "not reachable"
        return f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string()} unreachable: {exc}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL server (a skip, which fails under CI=true)."""
    problem = _postgres_reachable()
    if problem:
        pytest.skip(problem)
    return PG_ADMIN_URL


@pytest.fixture
def new_postgres_database(postgres_server: str) -> Iterator[Callable[[], str]]:
    """A factory of empty PostgreSQL databases, dropped when the test ends."""
    created: list[str] = []
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")

    def make() -> str:
        name = f"csc_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(postgres_server).set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def new_sqlite_database(tmp_path) -> Callable[[], str]:
    """A factory of empty SQLite database files in the test's temporary folder."""
    count = iter(range(1_000_000))

    def make() -> str:
        return f"sqlite:///{tmp_path / f'db{next(count)}.sqlite'}"

    return make


@pytest.fixture(params=["sqlite", "postgres"])
def new_database(request) -> Callable[[], str]:
    """A factory of empty databases of one kind; tests using it run once on each kind."""
    if request.param == "sqlite":
        return request.getfixturevalue("new_sqlite_database")
    return request.getfixturevalue("new_postgres_database")


# --- real alert receivers: an SMTP server and an HTTP webhook on loopback ---------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default_policy))
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield (
        SmtpSettings(host="127.0.0.1", port=controller.port, mail_from="etl@council.example"),
        inbox,
    )
    controller.stop()


@pytest.fixture
def webhook_server():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's hook name)
            length = int(self.headers["Content-Length"])
            received.append(
                {"content_type": self.headers["Content-Type"], "body": self.rfile.read(length)}
            )
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/complaints", received
    server.shutdown()
    server.server_close()
