"""Fixtures for the quality tests: a lax source, a warehouse, and the pipeline steps around them."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from csc_complaints.db import make_engine
from csc_complaints.extract import run_extract
from csc_complaints.quality.alerts import SmtpSettings
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.build import build_warehouse
from tests.quality.dataset import EXTRACT_AT, seed_lax_source

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@dataclasses.dataclass
class Pipeline:
    """A lax source (SQLite), a warehouse (SQLite or PostgreSQL) and an output folder."""

    source: object
    warehouse: object
    output: Path
    settings: object

    def extract(self, run_id: str, now=EXTRACT_AT):
        return run_extract(self.source, self.warehouse, self.settings, run_id, now=now)

    def row_checks(self, run_id: str):
        from csc_complaints.quality import run_row_checks

        return run_row_checks(self.warehouse, self.settings, run_id, self.output)

    def build(self, run_id: str):
        return build_warehouse(self.warehouse, self.settings, run_id)

    def reconcile(self, run_id: str, years):
        from csc_complaints.quality import run_reconciliation

        return run_reconciliation(self.warehouse, self.settings, run_id, years, self.output)


@pytest.fixture
def pipeline(new_database, new_sqlite_database, tmp_path) -> Callable[..., Pipeline]:
    """Seeded lax source + empty warehouse of each kind; call it to get the Pipeline."""
    engines = []

    def make(seed: bool = True) -> Pipeline:
        source = make_engine(new_sqlite_database())
        warehouse = make_engine(new_database())
        engines.extend([source, warehouse])
        if seed:
            seed_lax_source(source)
        settings = dataclasses.replace(load_settings(), output_dir=str(tmp_path / "output"))
        return Pipeline(source, warehouse, tmp_path / "output", settings)

    yield make
    for engine in engines:
        engine.dispose()


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
