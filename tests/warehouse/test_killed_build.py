"""A warehouse build killed (SIGKILL) at any step is made good by the next run (issue 11.3).

The warehouse (PostgreSQL) holds two reconciled, published years; late corrections to both have
been extracted. ``tests/warehouse/build_process.py`` then does the warehouse DAG's work in a
process of its own, and the test stops it at one step by holding a lock that step needs (no
hook in the code under test): it waits until PostgreSQL shows the process blocked on that lock,
at that statement, then kills it with SIGKILL and releases the lock. A second process (the next
run) must leave the warehouse exactly as one uninterrupted run does: the same tables, every year
reconciled for the stats it holds, ready for its report, and RC07's restatement warning sent
once (a real SMTP server and webhook, tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.engine import make_url

from csc_complaints.db import make_engine
from csc_complaints.extract import run_extract
from csc_complaints.quality import (
    record_published_figures,
    run_reconciliation,
    run_row_checks,
    send_alerts,
)
from csc_complaints.quality.reconciliation import owed_years
from csc_complaints.report.build import check_year_ready
from csc_complaints.settings import PROJECT_ROOT, load_settings
from csc_complaints.warehouse.build import build_warehouse
from csc_complaints_demo.reference_data import build_reference_dataset
from tests.conftest import free_port
from tests.quality.dataset import execute

pytestmark = pytest.mark.postgres

COUNCIL = "E06000005"
YEARS = ("2018/19", "2019/20")
RECIPIENTS = ["duty-engineer@council.example"]
# A late correction in each published year: a compliment that was really a comment.
RESTATE = [
    "UPDATE feedback SET kind = 'comment', updated_at = '2020-10-01 10:00:00'"
    " WHERE feedback_id = (SELECT MIN(feedback_id) FROM feedback WHERE kind = 'compliment'"
    f" AND deleted_at IS NULL AND received_date BETWEEN '{start}' AND '{end}')"
    for start, end in (("2018-04-01", "2019-03-31"), ("2019-04-01", "2020-03-31"))
]
# Where to stop the build: the lock the test holds, and the statement the build then waits in.
STOPS = {
    # Staging is loaded; the build's first read of the date dimension waits: nothing written.
    "after-staging": ("LOCK TABLE dim_date IN ACCESS EXCLUSIVE MODE", "FROM dim_date"),
    # Inside the (incremental) facts transaction: the changed rows' facts deleted and inserted
    # again, the log copied; recording the years owed waits (its INSERT conflicts with this
    # lock, the SELECT before it does not): nothing owed, the log not used up.
    "mid-facts": (
        "LOCK TABLE etl_build_owed IN SHARE MODE",
        "INSERT INTO etl_build_owed",
    ),
    # 2018/19's new stats are committed; replacing 2019/20's waits for a row of them.
    "mid-stats": (
        "SELECT 1 FROM stats_headlines WHERE council_code = 'E06000005'"
        " AND financial_year = '2019/20' AND measure = 'compliments_received' FOR UPDATE",
        "DELETE FROM stats_headlines",
    ),
    # Every year's stats replaced; the reconciliation's first look at its record waits.
    "before-reconciliation": (
        "LOCK TABLE dq_reconciliations IN ACCESS EXCLUSIVE MODE",
        "dq_reconciliations",
    ),
    # Every year reconciled and recorded; the alert step's first read waits: nothing sent.
    "after-reconciliation": ("LOCK TABLE dq_alerts IN ACCESS EXCLUSIVE MODE", "dq_alerts"),
}
# Columns that name a run or a moment: compared as "set or not" only.
VOLATILE = {
    "run_id",
    "_run_id",
    "first_run_id",
    "built_at",
    "reconciled_at",
    "reported_at",
    "sent_at",
    "published_at",
    "started_at",
    "finished_at",
    "data_docs",
}


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope.content)
        return "250 OK"


@dataclasses.dataclass
class Restated:
    """The warehouse the build under test starts from, kept as a template database."""

    admin_url: str
    template: str
    output: Path
    created: list[str]

    def clone(self) -> str:
        name = f"csc_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)


def _new_database(admin_url: str, created: list[str]) -> tuple[str, str]:
    name = f"csc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    created.append(name)
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def restated(postgres_server, tmp_path_factory):
    """Reference data extracted, built, reconciled, alerted and both years published; then a
    correction to each year extracted, ready for the warehouse build."""
    root = tmp_path_factory.mktemp("killed-build")
    created: list[str] = []
    template, url = _new_database(postgres_server, created)
    source = make_engine(f"sqlite:///{root / 'source.sqlite'}")
    warehouse = make_engine(url)
    build_reference_dataset(source)
    settings = dataclasses.replace(load_settings(), output_dir=str(root / "output"))
    run_extract(source, warehouse, settings, "extract-1")
    assert not run_row_checks(warehouse, settings, "extract-1", settings.output_path).failed_rules
    build = build_warehouse(warehouse, settings, "warehouse-1")
    assert build.changed_years == YEARS
    result = run_reconciliation(warehouse, settings, "warehouse-1", build.changed_years)
    assert not result.warnings and not result.critical_failures
    send_alerts(result, "complaints_warehouse", "warehouse-1", None, [], None, warehouse)
    for year in YEARS:
        record_published_figures(warehouse, COUNCIL, year, run_id=f"report-{year}")
    execute(source, *RESTATE)
    extract = run_extract(source, warehouse, settings, "extract-2")
    assert extract.rows_written >= 2
    source.dispose()
    warehouse.dispose()
    # A database is copied only while nobody is connected to it: end the sessions GX's own
    # engine keeps in its pool.
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": template},
        )
    admin.dispose()
    yield Restated(postgres_server, template, settings.output_path, created)
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _start(url: str, output: Path, run_id: str, smtp, webhook, logs: Path, app: str):
    params = {
        "warehouse_url": url,
        "output": str(output),
        "run_id": run_id,
        "smtp": [smtp[0], smtp[1]],
        "recipients": RECIPIENTS,
        "webhook": webhook,
    }
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{run_id}.out").open("w") as out, (logs / f"{run_id}.err").open("w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.warehouse.build_process", json.dumps(params)],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PGAPPNAME": app},  # names its sessions in pg_stat_activity
            stdout=out,
            stderr=err,
        )


def _finish(process, logs: Path, run_id: str, timeout: float = 600) -> dict:
    code = process.wait(timeout=timeout)
    out = (logs / f"{run_id}.out").read_text()
    assert code == 0, f"{run_id} exited {code}:\n{(logs / f'{run_id}.err').read_text()[-6000:]}"
    return json.loads(out.strip().splitlines()[-1])


def _snapshot(url: str) -> dict[str, list]:
    """Every table's rows, sorted; run names and times reduced to whether they are set."""
    engine = make_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    tables = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [
                c.isnot(None).label(c.name) if c.name in VOLATILE else c for c in table.columns
            ]
            tables[table.name] = sorted(repr(tuple(row)) for row in conn.execute(select(*columns)))
    engine.dispose()
    return tables


def _files(output: Path) -> dict[str, dict]:
    """Each year's reconciliation.json without what names the run."""
    files = {}
    for year in YEARS:
        path = output / year.replace("/", "-") / "reconciliation.json"
        data = json.loads(path.read_text())
        for volatile in ("run_id", "generated_at", "data_docs"):
            data.pop(volatile)
        files[year] = data
    return files


@pytest.fixture(scope="module")
def uninterrupted(restated, tmp_path_factory):
    """The same build, never interrupted: what a killed build and its rerun must come to."""
    root = tmp_path_factory.mktemp("uninterrupted")
    output = root / "output"
    shutil.copytree(restated.output, output)
    url = restated.clone()
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = f"uninterrupted-{uuid.uuid4().hex[:8]}"
        process = _start(
            url, output, "warehouse-2", ("127.0.0.1", controller.port), None, root, app
        )
        done = _finish(process, root, "warehouse-2")
    finally:
        controller.stop()
    assert done == {"changed": list(YEARS), "reconciled": list(YEARS)}
    assert len(inbox.messages) == 1 and b"RC07" in inbox.messages[0]
    return {"tables": _snapshot(url), "files": _files(output)}


def _wait_until_blocked(monitor, app: str, holder_pid: int, process, statement: str) -> None:
    """Until PostgreSQL shows the process waiting for the test's lock in ``statement``."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, "the build ended before reaching the stop"
        waiting = monitor.execute(
            text(
                "SELECT query FROM pg_stat_activity WHERE application_name = :app"
                " AND wait_event_type = 'Lock' AND :holder = ANY(pg_blocking_pids(pid))"
            ),
            {"app": app, "holder": holder_pid},
        ).scalars()
        queries = list(waiting)
        if queries:
            assert len(queries) == 1 and statement in queries[0], queries
            return
        time.sleep(0.2)
    raise AssertionError(f"the build never waited in {statement!r}")


def _wait_until_gone(monitor, app: str) -> None:
    """Until the killed process's server sessions have ended (their transactions aborted)."""
    deadline = time.monotonic() + 120
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :app")
    while monitor.execute(query, {"app": app}).scalar_one():
        assert time.monotonic() < deadline, "the killed process's sessions never ended"
        time.sleep(0.2)


def _builds(url: str) -> dict[str, str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT financial_year, run_id FROM etl_year_builds")).all()
    engine.dispose()
    return dict(rows)


def _reconciliations(url: str) -> dict[str, tuple[str, bool]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT financial_year, run_id, reported_at IS NOT NULL FROM dq_reconciliations")
        ).all()
    engine.dispose()
    return {year: (run, reported) for year, run, reported in rows}


# What the warehouse holds once the killed build is dead: which run built and which reconciled
# (and alerted) each year. "warehouse-1" is the run before the corrections.
LEFT_BEHIND = {
    "after-staging": ({y: "warehouse-1" for y in YEARS}, "warehouse-1", True),
    "mid-facts": ({y: "warehouse-1" for y in YEARS}, "warehouse-1", True),
    "mid-stats": ({"2018/19": "killed", "2019/20": "warehouse-1"}, "warehouse-1", True),
    "before-reconciliation": ({y: "killed" for y in YEARS}, "warehouse-1", True),
    "after-reconciliation": ({y: "killed" for y in YEARS}, "killed", False),
}


@pytest.mark.parametrize("stop", sorted(STOPS))
def test_a_build_killed_at_any_step_is_made_good_by_the_next_run(
    stop, restated, uninterrupted, tmp_path, smtp_server, webhook_server
):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    output = tmp_path / "output"
    shutil.copytree(restated.output, output)
    url = restated.clone()
    lock_statement, waits_in = STOPS[stop]
    app = f"killed-build-{uuid.uuid4().hex[:8]}"

    holder_engine = create_engine(url)
    monitor_engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with holder_engine.connect() as holder, monitor_engine.connect() as monitor:
        holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
        holder.execute(text(lock_statement))  # held until the rollback below
        process = _start(url, output, "killed", (smtp.host, smtp.port), webhook_url, tmp_path, app)
        try:
            _wait_until_blocked(monitor, app, holder_pid, process, waits_in)
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=60) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
            holder.rollback()
        _wait_until_gone(monitor, app)
    holder_engine.dispose()
    monitor_engine.dispose()

    built_by, reconciled_by, reported = LEFT_BEHIND[stop]
    assert _builds(url) == built_by
    assert _reconciliations(url) == {y: (reconciled_by, reported) for y in YEARS}
    assert inbox.messages == [] and posted == []

    # The next run.
    rerun = _finish(
        _start(url, output, "rerun", (smtp.host, smtp.port), webhook_url, tmp_path, app),
        tmp_path,
        "rerun",
    )
    assert rerun["reconciled"] == list(YEARS)

    assert _snapshot(url) == uninterrupted["tables"]
    assert _files(output) == uninterrupted["files"]
    warehouse = make_engine(url)
    settings = dataclasses.replace(load_settings(), output_dir=str(output))
    assert owed_years(warehouse, COUNCIL) == []
    for year in YEARS:
        readiness = check_year_ready(warehouse, settings, year)
        assert readiness.ready, readiness.problems
    warehouse.dispose()

    # RC07 warned once for each restated year: one email and one webhook post, naming both.
    assert len(inbox.messages) == 1 and len(posted) == 1
    assert "WARNING: RC07 (2018/19, 2019/20)" in inbox.messages[0][1]["Subject"]
    warned = Counter(
        (failure["code"], failure["financial_year"])
        for post in posted
        for failure in json.loads(post["body"])["failures"]
    )
    assert warned == Counter({("RC07", "2018/19"): 1, ("RC07", "2019/20"): 1})

    # And the run after that has nothing left to do.
    again = _finish(
        _start(url, output, "again", (smtp.host, smtp.port), webhook_url, tmp_path, app),
        tmp_path,
        "again",
    )
    assert again == {"changed": [], "reconciled": []}
    assert len(inbox.messages) == 1 and len(posted) == 1
