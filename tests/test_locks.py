"""Two runs of the same step for one council at once, in two real processes: the second waits
for the first (saying so in its log) instead of racing it; on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from csc_complaints.db import make_engine
from csc_complaints.settings import PROJECT_ROOT, load_settings
from csc_complaints.warehouse.schema import STAGING, etl_extract_runs, fact_complaints
from tests.extract.test_run import _seed_source

COMPLAINTS = 3000  # enough that two extracts started together overlap


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.concurrent_run", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(processes: list[subprocess.Popen]) -> list[tuple[str, str]]:
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-4000:]
        outputs.append((out, err))
    return outputs


def test_two_first_loads_at_once_wait_for_each_other(new_database, tmp_path):
    """The failure seen: two first loads into a new PostgreSQL warehouse, one failing with a
    UniqueViolation on pg_type (both creating the tables). Now one extracts, the other waits,
    then reads from the new high-water mark and writes nothing."""
    source_url, warehouse_url = new_database(), new_database()
    _seed_source(source_url, complaints=COMPLAINTS)
    go = tmp_path / "go"
    runs = [
        _start(tmp_path, "extract", str(go), warehouse_url, source_url, f"run-{i}") for i in (1, 2)
    ]
    time.sleep(1.5)  # both processes up and waiting for the go
    go.touch()
    outputs = _finish(runs)

    written = sorted(int(out.split()[-1]) for out, _ in outputs)
    assert written[0] == 0 and written[1] > COMPLAINTS  # one loaded everything, once
    waited = [err for _, err in outputs if "another run holds the lock; waiting" in err]
    assert len(waited) == 1 and "lock taken after" in waited[0]
    warehouse = make_engine(warehouse_url)
    with warehouse.connect() as conn:
        table, _key = STAGING["complaints"]
        assert conn.execute(select(func.count()).select_from(table)).scalar_one() == COMPLAINTS
        runs_recorded = conn.execute(select(func.count(etl_extract_runs.c.run_id.distinct())))
        assert runs_recorded.scalar_one() == 2
    warehouse.dispose()


def test_two_builds_at_once_do_not_count_twice(new_database, tmp_path):
    """Two builds of a council at once would each delete the facts and insert them again; the
    second, waiting on the first's rows, would add its own to the first's. Now it waits."""
    from csc_complaints.extract import run_extract

    source_url, warehouse_url = new_database(), new_database()
    _seed_source(source_url, complaints=COMPLAINTS)
    run_extract(make_engine(source_url), make_engine(warehouse_url), load_settings(), "run-1")
    go = tmp_path / "go"
    builds = [_start(tmp_path, "build", str(go), warehouse_url, f"build-{i}") for i in (1, 2)]
    time.sleep(1.5)
    go.touch()
    outputs = _finish(builds)
    assert sum("another run holds the lock; waiting" in err for _, err in outputs) == 1
    warehouse = make_engine(warehouse_url)
    with warehouse.connect() as conn:
        facts = conn.execute(select(func.count()).select_from(fact_complaints)).scalar_one()
    assert facts == COMPLAINTS
    warehouse.dispose()


def test_a_run_waits_for_the_holder_and_says_so(new_database, tmp_path):
    source_url, warehouse_url = new_database(), new_database()
    _seed_source(source_url, complaints=3)
    release = tmp_path / "release"
    holder = _start(tmp_path, "hold", str(release), warehouse_url)
    assert holder.stdout.readline().strip() == "holding"
    go = tmp_path / "go"
    go.touch()
    extract = _start(tmp_path, "extract", str(go), warehouse_url, source_url, "run-1")
    first_line = extract.stderr.readline()  # blocks until the extract logs something
    assert "extract E06000005: another run holds the lock; waiting for it to finish" in first_line
    assert extract.poll() is None  # still waiting
    release.touch()
    ((out, err), _) = _finish([extract, holder])
    assert "lock taken after" in err and out.strip() == "written 12"
