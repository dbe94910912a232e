"""``make bench``: the pipeline at a shared service's scale, on PostgreSQL.

Generates synthetic sources (1,000,000 and 100,000 complaints over ten financial years) in
fresh PostgreSQL databases, then measures, each phase in its own subprocess so that its peak
RSS is the peak of the process doing the work (``os.wait4``, as ``/usr/bin/time`` reports it):

* ``full_rebuild`` / ``small_rebuild``: extract + warehouse build + reconciliation of every year
  into an empty warehouse (``seconds``; the DAGs also run the row checks between extract and
  build: ``steps.row_checks``, and everything together is ``pipeline_seconds``), against
  ``copy_floor_seconds``: PostgreSQL's COPY of the same source columns into the warehouse and
  nothing else, measured in the same run;
* ``daily_cycle``: the whole daily chain (extract, incremental row checks, incremental build,
  reconciliation) after a mixed 0.1% change (updates in the current and closed years, new
  complaints, deletions, rows that newly break a rule, rejected rows corrected), against the
  full pipeline of the same run;
* ``gx_overhead``: Great Expectations' fixed cost per validation of the row-check suite (context,
  suite, checkpoint, Data Docs, and a failing rule's second run, for every row it quarantines)
  at 1k, 100k and 1M complaints: the validation's seconds less one plain run of each rule's
  query (importing GX, once per task process, timed apart);
* ``incremental``: the extract after 0.1% of the source rows changed, against the full extract;
* ``report``: PDF + HTML + CSV of one council-year from the stats tables (of the 1M source,
  and ``at_small_size`` of the 100k one);
* ``dag_parse_seconds``: importing each DAG file in an interpreter that has already imported
  ``airflow.sdk`` (what the dag-processor pays per file).

Seconds are wall time of the work inside the subprocess (not its interpreter start-up), the
median of ``--repeats`` runs where a run is cheap; the 1M rebuild runs once. The table is printed
and the results written to ``benchmarks/results/latest.json``. A part of the pipeline that does
not exist yet is reported as "not measured yet: <reason>", never as a number.

Usage: ``python -m benchmarks.run [--complaints N] [--small-complaints N] [--repeats N]``.
A phase runs as ``python -m benchmarks.run --phase NAME --params FILE --result FILE``.

Longer than 400 lines because each phase's code sits beside the goal it measures and the table
row that prints it; the many-council run lives in ``benchmarks/councils.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "latest.json"
ADMIN_URL = os.environ.get(
    "COMPLAINTS_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
YEARS = 10  # "a decade of history"


def _last_complete_year(today: date | None = None) -> int:
    """The start (1 April) year of the latest financial year whose data is all in the past.

    The generator's data runs to 30 days after its last year ends; a date later than the
    extract would be rejected by the row checks (DQ02), so the decade ends before today.
    """
    today = today or date.today()
    start = today.year - 1 if today.month < 4 else today.year  # the year today falls in
    last = start - 1
    if date(last + 1, 3, 31) + timedelta(days=31) >= today:
        last -= 1
    return last


def _label(start: int) -> str:
    return f"{start}/{(start + 1) % 100:02d}"


LAST_YEAR = _last_complete_year()
FIRST_YEAR = _label(LAST_YEAR - YEARS + 1)
REPORT_YEAR = _label(LAST_YEAR)  # the April report of the year just ended (it has a prior year)
CHANGED_SHARE = 1000  # 1 source row in 1000 (0.1%) changes before an incremental extract

# The goals of issue 7, and of issue 16 (the daily cycle, the whole pipeline against the floor).
GOAL_DAILY_SHARE = 0.05
GOAL_PIPELINE_FLOOR_RATIO = 5.0
GX_OVERHEAD_COMPLAINTS = 1_000  # the smallest size GX's fixed cost is measured at
GOAL_FULL_SECONDS = 180.0
GOAL_FLOOR_RATIO = 3.0
GOAL_INCREMENTAL_SHARE = 0.02
GOAL_REPORT_SECONDS = 3.0
GOAL_DAG_PARSE_SECONDS = 0.1
GOAL_PEAK_RSS_MB = 1024.0
GOAL_RSS_GROWTH = 1.5


@dataclass(frozen=True)
class BenchConfig:
    complaints: int = 1_000_000
    small_complaints: int = 100_000
    repeats: int = 3  # of the cheap measurements (floors, incremental, report, DAG parsing)
    large_rebuild_repeats: int = 1  # the 1M rebuild is not cheap
    seed: int = 7
    # The shared service: this many councils of this many complaints each (benchmarks.councils).
    councils: int = 150
    complaints_per_council: int = 7_000


def _not_measured(reason: str) -> dict[str, str]:
    return {"not_measured": f"not measured yet: {reason}"}


# --- the phases, each run in a subprocess ---------------------------------------------------------


def _settings():
    from csc_complaints.settings import load_settings

    return load_settings()


def report_as_the_dags_do(result, run_id: str, warehouse) -> None:
    """The alert step after a reconciliation, as the warehouse DAG runs it with no alert channel
    (``make run`` on a laptop): it also marks the reconciled years reported, which is what stops
    the next run reconciling them again as owed. Timed with the reconciliation."""
    from csc_complaints.quality.alerts import send_alerts

    send_alerts(result, "bench", run_id, None, [], None, warehouse)


def phase_generate(params: dict) -> dict:
    """Fill an empty source database with ``complaints`` over ten financial years."""
    from csc_complaints.db import make_engine
    from csc_complaints_demo.synthetic import GeneratorConfig, generate

    engine = make_engine(params["source_url"])
    config = GeneratorConfig(
        seed=params["seed"],
        first_year=FIRST_YEAR,
        years=YEARS,
        complaints_per_year=params["complaints"] // YEARS,
    )
    started = time.perf_counter()
    rows = generate(engine, config, progress=False)
    # Fresh statistics and visibility map, as autovacuum keeps a production source (VACUUM
    # cannot run inside a transaction).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def phase_rebuild(params: dict) -> dict:
    """Extract + warehouse build + reconciliation of every built year, from an empty warehouse."""
    from csc_complaints.db import make_engine
    from csc_complaints.extract import run_extract
    from csc_complaints.warehouse.build import build_warehouse

    try:
        from csc_complaints.quality.reconciliation import run_reconciliation
    except ImportError as exc:
        run_reconciliation = None
        no_reconciliation = f"csc_complaints.quality.reconciliation cannot be imported ({exc})"
    try:
        from csc_complaints.quality.row_checks import run_row_checks
    except ImportError as exc:
        run_row_checks = None
        no_row_checks = f"csc_complaints.quality.row_checks cannot be imported ({exc})"

    settings = _settings()
    source = make_engine(params["source_url"])
    warehouse = make_engine(params["warehouse_url"])
    run_id = params["run_id"]
    output_dir = params["output_dir"]
    steps: dict[str, Any] = {}

    # The order of the DAGs: extract, row checks (they quarantine rows the build leaves out),
    # build, reconciliation of every year built.
    started = time.perf_counter()
    extract = run_extract(source, warehouse, settings, run_id)
    steps["extract"] = time.perf_counter() - started

    if run_row_checks is not None:
        mark = time.perf_counter()
        run_row_checks(warehouse, settings, run_id, output_dir)
        steps["row_checks"] = time.perf_counter() - mark
    else:
        steps["row_checks"] = _not_measured(no_row_checks)

    mark = time.perf_counter()
    build = build_warehouse(warehouse, settings, run_id)
    steps["build"] = time.perf_counter() - mark

    if run_reconciliation is not None:
        mark = time.perf_counter()
        reconciled = run_reconciliation(
            warehouse, settings, run_id, build.financial_years, output_dir
        )
        report_as_the_dags_do(reconciled, run_id, warehouse)
        steps["reconciliation"] = time.perf_counter() - mark
        critical = [f"{year} {rule.code}" for year, rule in reconciled.critical_failures]
    else:
        steps["reconciliation"] = _not_measured(no_reconciliation)
        critical = []
    pipeline_seconds = time.perf_counter() - started
    # The measure: extract + build + reconciliation (the row checks are reported as a
    # step of their own and in pipeline_seconds, which is everything the DAGs run).
    seconds = sum(
        value for step, value in steps.items() if step != "row_checks" and isinstance(value, float)
    )
    source.dispose()
    warehouse.dispose()
    return {
        "seconds": seconds,
        "pipeline_seconds": pipeline_seconds,
        "steps": steps,
        "rows_read": sum(t.rows_read for t in extract.tables.values()),
        "rows_written": extract.rows_written,
        "financial_years": list(build.financial_years),
        "fact_rows": build.fact_rows,
        "reconciliation_critical_failures": critical,
    }


def phase_copy_floor(params: dict) -> dict:
    """The floor: the extract's source columns copied into bare warehouse tables with COPY."""
    from sqlalchemy import Column, MetaData, Table, inspect
    from sqlalchemy.schema import CreateTable

    from csc_complaints.db import make_engine
    from csc_complaints.extract import BOOKKEEPING
    from csc_complaints.extract.pg_copy import pipe_copy
    from csc_complaints.warehouse.schema import STAGING

    source = make_engine(params["source_url"])
    warehouse = make_engine(params["warehouse_url"])
    metadata = MetaData()
    tables = {}
    source_columns = inspect(source).get_multi_columns(filter_names=list(STAGING))
    for source_table, (staging, _key) in STAGING.items():
        # The staged columns the source table holds itself (stg_complaints.relationship is the
        # complainant's, joined by the extract SQL).
        own = {c["name"] for c in source_columns[(None, source_table)]}
        columns = [c.name for c in staging.columns if c.name not in BOOKKEEPING and c.name in own]
        tables[source_table] = Table(
            f"floor_{source_table}",
            metadata,
            *(Column(name, staging.c[name].type) for name in columns),
        )
    rows = 0
    with source.connect() as src, warehouse.connect() as wh:
        source_dbapi = src.connection.driver_connection
        warehouse_dbapi = wh.connection.driver_connection
        started = time.perf_counter()
        for source_table, table in tables.items():
            wh.execute(CreateTable(table))
            names = ", ".join(c.name for c in table.columns)
            with warehouse_dbapi.cursor() as cursor:
                pipe_copy(
                    source_dbapi,
                    f"COPY (SELECT {names} FROM {source_table}) TO STDOUT",
                    cursor,
                    f"COPY {table.name} ({names}) FROM STDIN",
                )
        wh.commit()
        seconds = time.perf_counter() - started
        for table in tables.values():
            rows += wh.exec_driver_sql(f"SELECT COUNT(*) FROM {table.name}").scalar_one()
    source.dispose()
    warehouse.dispose()
    return {"seconds": seconds, "rows": rows}


# Source tables read incrementally, their key, and what changes besides updated_at.
_CHANGES = {
    "complaints": (
        "complaint_id",
        "channel = CASE WHEN channel = 'email' THEN 'phone' ELSE 'email' END",
    ),
    "complaint_stages": ("stage_id", None),
    "feedback": ("feedback_id", None),
    "ombudsman_cases": ("ombudsman_case_id", None),
    "learning_actions": ("action_id", None),
}


def phase_change_source(params: dict) -> dict:
    """Change one row in ``CHANGED_SHARE`` of every incrementally read source table, as edits in
    the case-management system would: a new ``updated_at`` later than anything before."""
    from csc_complaints.db import make_engine

    engine = make_engine(params["source_url"])
    changed = 0
    total = 0
    with engine.begin() as conn:
        for table, (key, also) in _CHANGES.items():
            sets = f"updated_at = (SELECT MAX(updated_at) FROM {table}) + INTERVAL '1 hour'"
            if also:
                sets += ", " + also
            result = conn.exec_driver_sql(
                f"UPDATE {table} SET {sets} WHERE MOD({key}, {CHANGED_SHARE}) = {params['round']}"
            )
            changed += result.rowcount
            total += conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one()
    engine.dispose()
    return {"changed_rows": changed, "source_rows": total}


# The daily change: which rows of a round change, and how (PostgreSQL source). Round r updates
# one row in CHANGED_SHARE of every incrementally read table (complaints of every year: the
# current one and closed ones), adds a few complaints in the last year, soft-deletes a few,
# corrects the ones broken the round before and makes a few break DQ06 (an unknown channel).
_DAILY = 10_000  # the smaller changes: one complaint in this many
_DAILY_OFFSET = 100  # keys the extract-only incremental rounds (1, 2, 3) do not touch


def phase_daily_change(params: dict) -> dict:
    """One day's mixed change in the source; how many rows it changed."""
    from csc_complaints.db import make_engine

    engine = make_engine(params["source_url"])
    r = _DAILY_OFFSET + params["round"]
    bump = "updated_at = (SELECT MAX(updated_at) FROM {t}) + INTERVAL '1 hour'"
    changed = 0
    with engine.begin() as conn:

        def run(statement: str, **values) -> None:
            nonlocal changed
            result = (
                conn.exec_driver_sql(statement, values)
                if values
                else conn.exec_driver_sql(statement)
            )
            changed += max(result.rowcount, 0)

        # Updates, every year: a complaint's channel; a stage's extension; the rest re-stamped.
        run(
            f"UPDATE complaints SET {bump.format(t='complaints')}, channel = CASE WHEN channel ="
            f" 'email' THEN 'phone' ELSE 'email' END WHERE MOD(complaint_id, {CHANGED_SHARE}) = {r}"
        )
        run(
            f"UPDATE complaint_stages SET {bump.format(t='complaint_stages')}, extension_agreed ="
            f" NOT extension_agreed WHERE MOD(stage_id, {CHANGED_SHARE}) = {r}"
        )
        for table, key in (
            ("feedback", "feedback_id"),
            ("ombudsman_cases", "ombudsman_case_id"),
            ("learning_actions", "action_id"),
        ):
            run(
                f"UPDATE {table} SET {bump.format(t=table)} WHERE MOD({key}, {CHANGED_SHARE}) = {r}"
            )
        # A few complaints (one in _DAILY, at least one) deleted, last day's broken rows
        # corrected, and as many newly broken (DQ06: a channel not in the list); each day's
        # rows are the next ones by key, so the sets work at any size.
        few = max(1, params["complaints"] // _DAILY)
        pick = (
            "SELECT complaint_id FROM complaints ORDER BY complaint_id {order} OFFSET {o} LIMIT {n}"
        )
        run(
            f"UPDATE complaints SET {bump.format(t='complaints')}, deleted_at = NOW()"
            f" WHERE complaint_id IN ({pick.format(order='DESC', o=r * few, n=few)})"
            " AND deleted_at IS NULL"
        )
        run(
            f"UPDATE complaints SET {bump.format(t='complaints')}, channel = 'email'"
            " WHERE channel = 'pigeon'"
        )
        run(
            f"UPDATE complaints SET {bump.format(t='complaints')}, channel = 'pigeon'"
            f" WHERE complaint_id IN ({pick.format(order='', o=r * few, n=few)})"
        )
        # New complaints, received in the last year, each with its Stage 1 row.
        new = few
        first = conn.exec_driver_sql("SELECT MAX(complaint_id) + 1 FROM complaints").scalar()
        stage = conn.exec_driver_sql("SELECT MAX(stage_id) + 1 FROM complaint_stages").scalar()
        received = date(LAST_YEAR + 1, 3, 1).isoformat()
        run(
            "INSERT INTO complaints (complaint_id, reference, received_date, qualifying, issue,"
            " channel, updated_at) SELECT %(first)s + n, 'DAILY-' || (%(first)s + n),"
            " %(received)s::date, TRUE, (SELECT MIN(code) FROM issue_categories), 'email',"
            " (SELECT MAX(updated_at) FROM complaints) + INTERVAL '1 hour'"
            " FROM generate_series(0, %(n)s - 1) AS n",
            first=first,
            received=received,
            n=new,
        )
        run(
            "INSERT INTO complaint_stages (stage_id, complaint_id, stage, team_id, requested_date,"
            " extension_agreed, updated_at) SELECT %(stage)s + n, %(first)s + n, 1,"
            " (SELECT MIN(team_id) FROM teams), %(received)s::date, FALSE,"
            " (SELECT MAX(updated_at) FROM complaint_stages) + INTERVAL '1 hour'"
            " FROM generate_series(0, %(n)s - 1) AS n",
            stage=stage,
            first=first,
            received=received,
            n=new,
        )
    engine.dispose()
    return {"changed_rows": changed}


def phase_daily_cycle(params: dict) -> dict:
    """The daily chain, as the DAGs run it: extract, row checks, incremental build,
    reconciliation of the years it changed; each step timed."""
    from csc_complaints.db import make_engine
    from csc_complaints.extract import run_extract
    from csc_complaints.quality.reconciliation import run_reconciliation
    from csc_complaints.quality.row_checks import run_row_checks
    from csc_complaints.warehouse.build import build_warehouse

    settings = _settings()
    source = make_engine(params["source_url"])
    warehouse = make_engine(params["warehouse_url"])
    run_id, output_dir = params["run_id"], params["output_dir"]
    steps: dict[str, float] = {}
    started = time.perf_counter()
    extract = run_extract(source, warehouse, settings, run_id)
    steps["extract"] = time.perf_counter() - started
    mark = time.perf_counter()
    checked = run_row_checks(warehouse, settings, run_id, output_dir)
    steps["row_checks"] = time.perf_counter() - mark
    mark = time.perf_counter()
    build = build_warehouse(warehouse, settings, run_id, incremental=True)
    steps["build"] = time.perf_counter() - mark
    mark = time.perf_counter()
    reconciled = run_reconciliation(warehouse, settings, run_id, build.changed_years, output_dir)
    report_as_the_dags_do(reconciled, run_id, warehouse)
    steps["reconciliation"] = time.perf_counter() - mark
    seconds = time.perf_counter() - started
    source.dispose()
    warehouse.dispose()
    return {
        "seconds": seconds,
        "steps": steps,
        "rows_written": extract.rows_written,
        "build_mode": build.mode,
        "years_owed": list(build.owed_years),
        "years_changed": list(build.changed_years),
        "years_reconciled": sorted(reconciled.years),
        "rejected_rows": sum(checked.rejected_counts.values()),
        "new_rejects": checked.new_rejects,
        "resolved_rejects": checked.resolved_rejects,
        "row_checks_mode": checked.mode,
        "rows_checked": checked.checked_rows,
    }


def phase_gx_overhead(params: dict) -> dict:
    """The row-check suite validated by GX once, and each of its rule queries run once as plain
    SQL on the same staging: the difference is GX's own cost for one validation."""
    from sqlalchemy import text

    from csc_complaints.db import make_engine
    from csc_complaints.extract import run_extract
    from csc_complaints.quality.gx_validation import scope_query, validate_suite
    from csc_complaints.quality.row_checks import extract_as_of_date
    from csc_complaints.quality.suites import DQ_SUITE, load_rules

    settings = _settings()
    warehouse = make_engine(params["warehouse_url"])
    if params.get("source_url"):  # an empty warehouse: stage the source first (not timed)
        source = make_engine(params["source_url"])
        run_extract(source, warehouse, settings, params["run_id"])
        source.dispose()
    scope = {
        "council_code": settings.council_code,
        "as_of_date": extract_as_of_date(warehouse, settings, None),
    }
    url = warehouse.url.render_as_string(hide_password=False)
    started = time.perf_counter()
    import great_expectations  # noqa: F401 - once per process (each DAG task is one)

    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    validate_suite(url, DQ_SUITE, scope, params["run_id"], Path(params["output_dir"]))
    gx_seconds = time.perf_counter() - started
    batch = f"({scope_query(scope)})"
    mark = time.perf_counter()
    with warehouse.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET jit TO off")  # as the validation sessions run
        for rule in load_rules(DQ_SUITE):
            conn.execute(text(rule.query.replace("{batch}", batch))).all()
    sql_seconds = time.perf_counter() - mark
    with warehouse.connect() as conn:
        staged = conn.exec_driver_sql("SELECT COUNT(*) FROM stg_complaints").scalar_one()
    warehouse.dispose()
    return {
        "complaints_staged": staged,
        "import_seconds": import_seconds,
        "validation_seconds": gx_seconds,
        "queries_once_seconds": sql_seconds,
        "overhead_seconds": gx_seconds - sql_seconds,
    }


def phase_extract(params: dict) -> dict:
    """One (incremental) extract."""
    from csc_complaints.db import make_engine
    from csc_complaints.extract import run_extract

    settings = _settings()
    source = make_engine(params["source_url"])
    warehouse = make_engine(params["warehouse_url"])
    started = time.perf_counter()
    result = run_extract(source, warehouse, settings, params["run_id"])
    seconds = time.perf_counter() - started
    source.dispose()
    warehouse.dispose()
    return {
        "seconds": seconds,
        "rows_read": sum(t.rows_read for t in result.tables.values()),
        "rows_written": result.rows_written,
    }


def phase_report(params: dict) -> dict:
    """PDF + HTML + CSV of one council-year, from the stats tables."""
    from csc_complaints.db import make_engine

    try:
        from csc_complaints.report.build import build_report
    except ImportError as exc:
        return _not_measured(f"csc_complaints.report.build cannot be imported ({exc})")
    settings = _settings()
    warehouse = make_engine(params["warehouse_url"])
    started = time.perf_counter()
    result = build_report(warehouse, settings, params["financial_year"], params["output_dir"])
    seconds = time.perf_counter() - started
    with warehouse.connect() as conn:  # the size of the council-year the report is about
        size = dict(
            conn.exec_driver_sql(
                "SELECT measure, value FROM stats_headlines WHERE council_code = %(council)s"
                " AND financial_year = %(year)s"
                " AND measure IN ('complaints_received', 'learning_actions_agreed')",
                {"council": settings.council_code, "year": params["financial_year"]},
            ).all()
        )
    warehouse.dispose()
    return {
        "seconds": seconds,
        "complaints_in_year": size.get("complaints_received"),
        "learning_actions_in_year": size.get("learning_actions_agreed"),
        "files": [str(p.relative_to(params["output_dir"])) for p in result.paths],
        "pdf_bytes": result.pdf.stat().st_size,
    }


def phase_dag_parse(params: dict) -> dict:
    """Import one DAG file, after ``airflow.sdk`` (what the dag-processor has already loaded)."""
    import importlib.util

    import airflow.sdk  # noqa: F401 - the processor's own imports, not counted
    from airflow.sdk import DAG, Asset, dag, task  # noqa: F401 - resolves the lazy names

    path = Path(params["path"])
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location(f"bench_dag_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seconds = time.perf_counter() - started
    dag_ids = sorted(value.dag_id for value in vars(module).values() if isinstance(value, DAG)) or [
        path.stem
    ]
    return {"seconds": seconds, "dag_ids": dag_ids}


PHASES: dict[str, Callable[[dict], dict]] = {
    "generate": phase_generate,
    "rebuild": phase_rebuild,
    "copy_floor": phase_copy_floor,
    "change_source": phase_change_source,
    "extract": phase_extract,
    "daily_change": phase_daily_change,
    "daily_cycle": phase_daily_cycle,
    "gx_overhead": phase_gx_overhead,
    "report": phase_report,
    "dag_parse": phase_dag_parse,
}


def _council_phases() -> dict[str, Callable[[dict], dict]]:
    from benchmarks.councils import PHASES as COUNCIL_PHASES

    return COUNCIL_PHASES


PHASES |= _council_phases()


# --- the parent: databases, subprocesses, results ------------------------------------------------


def _environment() -> dict[str, str]:
    from csc_complaints.cli import airflow_environment

    env = airflow_environment()
    env["GX_ANALYTICS_ENABLED"] = "False"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
    )
    return env


class PhaseFailed(RuntimeError):
    """A measured subprocess failed; the message carries its stderr."""


def run_phase(name: str, params: dict, workdir: Path) -> dict:
    """Run one phase in a fresh interpreter; add its peak RSS (MB) and process wall time."""
    tag = f"{name}-{uuid.uuid4().hex[:8]}"
    params_file, result_file = workdir / f"{tag}.params.json", workdir / f"{tag}.result.json"
    log_file = workdir / f"{tag}.log"
    params_file.write_text(json.dumps(params), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--phase",
        name,
        "--params",
        str(params_file),
        "--result",
        str(result_file),
    ]
    started = time.perf_counter()
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=_environment(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0 or not result_file.exists():
        output = log_file.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise PhaseFailed(f"phase {name} exited with {process.returncode}:\n{output}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux reports kilobytes
    result["process_seconds"] = round(wall, 3)
    return result


class Databases:
    """Fresh PostgreSQL databases ``bench_<uuid>``; ``drop_all`` drops them (also on failure)."""

    def __init__(self, admin_url: str = ADMIN_URL):
        from sqlalchemy import create_engine

        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.admin_url = admin_url
        self.created: list[str] = []

    def new(self) -> str:
        from sqlalchemy.engine import make_url

        name = f"bench_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.created.remove(name)
        self.admin.dispose()


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def _log(message: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _rebuild(
    label: str,
    complaints: int,
    config: BenchConfig,
    repeats: int,
    new_database: Callable[[], str],
    drop_database: Callable[[str], None],
    workdir: Path,
) -> tuple[dict, dict]:
    """Generate a source, rebuild into fresh warehouses, measure the COPY floor.

    Returns the results and what later phases reuse (source URL, the last warehouse and its
    output folder)."""
    source_url = new_database()
    _log(f"{label}: generating {complaints:,} complaints")
    generated = run_phase(
        "generate",
        {"source_url": source_url, "complaints": complaints, "seed": config.seed},
        workdir,
    )
    runs = []
    kept: dict[str, Any] = {"source_url": source_url, "complaints": complaints}
    for attempt in range(repeats):
        warehouse_url = new_database()
        output_dir = str(workdir / f"{label}-output-{attempt}")
        _log(f"{label}: rebuild {attempt + 1}/{repeats}")
        runs.append(
            run_phase(
                "rebuild",
                {
                    "source_url": source_url,
                    "warehouse_url": warehouse_url,
                    "output_dir": output_dir,
                    "run_id": f"bench-{label}-{attempt}",
                },
                workdir,
            )
        )
        if kept.get("warehouse_url"):
            drop_database(kept["warehouse_url"])
        kept.update(warehouse_url=warehouse_url, output_dir=output_dir)
    floors = []
    for attempt in range(config.repeats):
        floor_url = new_database()
        _log(f"{label}: COPY floor {attempt + 1}/{config.repeats}")
        floors.append(
            run_phase("copy_floor", {"source_url": source_url, "warehouse_url": floor_url}, workdir)
        )
        drop_database(floor_url)

    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    steps = {
        step: (
            _median([r["steps"][step] for r in runs])
            if isinstance(middle["steps"][step], float)
            else middle["steps"][step]
        )
        for step in middle["steps"]
    }
    result = {
        "complaints": complaints,
        "seconds": _median([r["seconds"] for r in runs]),
        "pipeline_seconds": _median([r["pipeline_seconds"] for r in runs]),
        "copy_floor_seconds": _median([f["seconds"] for f in floors]),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "steps": steps,
        "repeats": len(runs),
        "copy_floor_repeats": len(floors),
        "source_rows": generated["rows"],
        "generate_seconds": round(generated["seconds"], 3),
        "rows_copied_by_floor": floors[0]["rows"],
        "rows_extracted": middle["rows_read"],
        "fact_rows": middle["fact_rows"],
        "financial_years": middle["financial_years"],
        "reconciliation_critical_failures": middle["reconciliation_critical_failures"],
    }
    return result, kept


def _incremental(kept: dict, full_extract: float, config: BenchConfig, workdir: Path) -> dict:
    runs = []
    for attempt in range(config.repeats):
        _log(f"incremental {attempt + 1}/{config.repeats}")
        changed = run_phase(
            "change_source", {"source_url": kept["source_url"], "round": attempt + 1}, workdir
        )
        extract = run_phase(
            "extract",
            {
                "source_url": kept["source_url"],
                "warehouse_url": kept["warehouse_url"],
                "run_id": f"bench-incremental-{attempt}",
            },
            workdir,
        )
        runs.append({**changed, **extract})
    return {
        "changed_rows": int(statistics.median(r["changed_rows"] for r in runs)),
        "seconds": _median([r["seconds"] for r in runs]),
        "full_extract_seconds": round(full_extract, 3),
        "source_rows": runs[0]["source_rows"],
        "rows_written": [r["rows_written"] for r in runs],
        "repeats": len(runs),
    }


def _daily_cycle(kept: dict, full_pipeline: float, config: BenchConfig, workdir: Path) -> dict:
    """A first day (its rows broken are corrected the next day) and then ``repeats`` measured
    days: the mixed change, then the daily chain."""
    runs = []
    complaints = kept["complaints"]
    for day in range(config.repeats + 1):
        label = "warm-up" if day == 0 else f"{day}/{config.repeats}"
        _log(f"daily cycle {label}")
        changed = run_phase(
            "daily_change",
            {"source_url": kept["source_url"], "round": day, "complaints": complaints},
            workdir,
        )
        cycle = run_phase(
            "daily_cycle",
            {
                "source_url": kept["source_url"],
                "warehouse_url": kept["warehouse_url"],
                "output_dir": kept["output_dir"],
                "run_id": f"bench-daily-{day}",
            },
            workdir,
        )
        if day:
            runs.append({**changed, **cycle})
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {
        "changed_rows": middle["changed_rows"],
        "seconds": _median([r["seconds"] for r in runs]),
        "full_pipeline_seconds": round(full_pipeline, 3),
        "steps": {step: _median([r["steps"][step] for r in runs]) for step in middle["steps"]},
        "seconds_range": [
            round(min(r["seconds"] for r in runs), 3),
            round(max(r["seconds"] for r in runs), 3),
        ],
        "repeats": len(runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "build_mode": middle["build_mode"],
        "years_owed": middle["years_owed"],
        "years_changed": middle["years_changed"],
        "years_reconciled": middle["years_reconciled"],
        "rejected_rows": middle["rejected_rows"],
        "new_rejects": middle["new_rejects"],
        "resolved_rejects": middle["resolved_rejects"],
        # The row checks validate the rows changed since the last check and those whose verdict
        # can change with them (csc_complaints.quality.check_scope): how many, and in which mode.
        "row_checks_mode": middle["row_checks_mode"],
        "rows_checked": middle["rows_checked"],
    }


def _gx_overhead(params: dict, workdir: Path) -> dict:
    outcome = run_phase("gx_overhead", {**params, "run_id": "bench-gx"}, workdir)
    return {key: round(v, 3) if isinstance(v, float) else v for key, v in outcome.items()}


def _report(kept: dict, config: BenchConfig, workdir: Path) -> dict:
    runs = []
    for attempt in range(config.repeats):
        _log(f"report {attempt + 1}/{config.repeats} ({kept['warehouse_url'].rsplit('/', 1)[-1]})")
        outcome = run_phase(
            "report",
            {
                "warehouse_url": kept["warehouse_url"],
                "output_dir": kept["output_dir"],
                "financial_year": REPORT_YEAR,
            },
            workdir,
        )
        if "not_measured" in outcome:
            return {"seconds": None, "not_measured": outcome["not_measured"]}
        runs.append(outcome)
    return {
        "financial_year": REPORT_YEAR,
        "seconds": _median([r["seconds"] for r in runs]),
        "complaints_in_year": runs[0]["complaints_in_year"],
        "learning_actions_in_year": runs[0]["learning_actions_in_year"],
        "pdf_bytes": runs[0]["pdf_bytes"],
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "files": runs[0]["files"],
        "repeats": len(runs),
    }


def _dag_parsing(config: BenchConfig, workdir: Path) -> dict:
    """Each DAG file's parse time, with a registry of ``config.councils`` councils in force
    (the DAG files must not read it, or any database, at parse time)."""
    from benchmarks.councils import registry_text
    from csc_complaints.councils import REGISTRY_FILE_VARIABLE

    registry = workdir / "parse-councils.toml"
    registry.write_text(registry_text(config.councils), encoding="utf-8")
    os.environ[REGISTRY_FILE_VARIABLE] = str(registry)  # inherited by the phase's process
    seconds: dict[str, list[float]] = {}
    for path in sorted(p for p in (PROJECT_ROOT / "dags").glob("*.py") if p.name[0] != "_"):
        for _ in range(config.repeats):
            outcome = run_phase("dag_parse", {"path": str(path)}, workdir)
            for dag_id in outcome["dag_ids"]:
                seconds.setdefault(dag_id, []).append(outcome["seconds"])
    del os.environ[REGISTRY_FILE_VARIABLE]
    return {dag_id: _median(values) for dag_id, values in seconds.items()}


def _guarded(name: str, results: dict, errors: dict, measure: Callable[[], Any]) -> None:
    """Record one measurement, or the error that stopped it (never a made-up number)."""
    try:
        results[name] = measure()
    except Exception as exc:  # the benchmark goes on; the error is reported and fails the run
        errors[name] = f"{type(exc).__name__}: {exc}"
        results[name] = {"error": errors[name]}
        _log(f"{name} failed: {traceback.format_exc()}")


def evaluate_goals(results: dict) -> list[dict]:
    """Each goal of issue 7: met, not met, or not measurable from these results."""

    def seconds(section: str, key: str = "seconds") -> float | None:
        value = results.get(section, {}).get(key)
        return value if isinstance(value, int | float) else None

    goals = []

    def goal(name: str, met: bool | None, detail: str) -> None:
        goals.append({"goal": name, "met": met, "detail": detail})

    full, floor = seconds("full_rebuild"), seconds("full_rebuild", "copy_floor_seconds")
    reconciled = isinstance(
        results.get("full_rebuild", {}).get("steps", {}).get("reconciliation"), float
    )
    incomplete = "" if reconciled else " (reconciliation not measured)"
    goal(
        f"full rebuild under {GOAL_FULL_SECONDS:.0f} s",
        None if full is None else full < GOAL_FULL_SECONDS,
        f"{full} s{incomplete}",
    )
    goal(
        f"full rebuild within {GOAL_FLOOR_RATIO:g}x the COPY floor",
        None if full is None or not floor else full <= GOAL_FLOOR_RATIO * floor,
        f"{full} s / {floor} s = {full / floor:.1f}x" if full and floor else "n/a",
    )
    incremental = results.get("incremental", {})
    inc, base = incremental.get("seconds"), incremental.get("full_extract_seconds")
    goal(
        f"incremental under {GOAL_INCREMENTAL_SHARE:.0%} of the full extract",
        None if inc is None or not base else inc < GOAL_INCREMENTAL_SHARE * base,
        f"{inc} s / {base} s = {inc / base:.1%}" if inc is not None and base else "n/a",
    )
    report = seconds("report")
    goal(
        f"report under {GOAL_REPORT_SECONDS:g} s",
        None if report is None else report < GOAL_REPORT_SECONDS,
        f"{report} s"
        if report is not None
        else results.get("report", {}).get("not_measured", "n/a"),
    )
    parses = results.get("dag_parse_seconds", {})
    parse_values = {k: v for k, v in parses.items() if isinstance(v, int | float)}
    slowest = max(parse_values.items(), key=lambda kv: kv[1], default=None)
    goal(
        f"every DAG file parses in under {GOAL_DAG_PARSE_SECONDS:g} s",
        None
        if not parse_values
        else all(v < GOAL_DAG_PARSE_SECONDS for v in parse_values.values()),
        f"slowest {slowest[0]} {slowest[1]} s" if slowest else "n/a",
    )
    big, small = seconds("full_rebuild", "peak_rss_mb"), seconds("small_rebuild", "peak_rss_mb")
    goal(
        f"peak RSS under {GOAL_PEAK_RSS_MB:.0f} MB",
        None if big is None else big < GOAL_PEAK_RSS_MB,
        f"{big} MB",
    )
    goal(
        f"peak RSS at most {GOAL_RSS_GROWTH:g}x the small rebuild's",
        None if big is None or not small else big <= GOAL_RSS_GROWTH * small,
        f"{big} MB / {small} MB = {big / small:.2f}x" if big and small else "n/a",
    )
    pipeline = seconds("full_rebuild", "pipeline_seconds")
    goal(
        f"full pipeline (row checks included) within {GOAL_PIPELINE_FLOOR_RATIO:g}x the COPY floor",
        None if pipeline is None or not floor else pipeline <= GOAL_PIPELINE_FLOOR_RATIO * floor,
        f"{pipeline} s / {floor} s = {pipeline / floor:.1f}x" if pipeline and floor else "n/a",
    )
    daily = results.get("daily_cycle", {})
    day, whole = daily.get("seconds"), daily.get("full_pipeline_seconds")
    goal(
        f"daily cycle at most {GOAL_DAILY_SHARE:.0%} of the full pipeline",
        None if day is None or not whole else day <= GOAL_DAILY_SHARE * whole,
        f"{day} s / {whole} s = {day / whole:.1%}" if day is not None and whole else "n/a",
    )
    many = results.get("many_councils", {})
    changed = many.get("one_council_changed", {})
    rebuilt = changed.get("rebuilt_councils")
    goal(
        "a change in one council's source rebuilds only that council",
        None if rebuilt is None else rebuilt == [changed["changed_council"]],
        f"rebuilt {', '.join(rebuilt) or 'none'} of {many['councils']} councils after "
        f"{changed['changed_rows']} rows of {changed['changed_council']} changed"
        if rebuilt is not None
        else "n/a",
    )
    runs = ("full_build", "settling_day", "one_council_changed")
    peaks = [many.get(k, {}).get("peak_rss_mb") for k in runs]
    peaks = [p for p in peaks if isinstance(p, int | float)]
    goal(
        f"peak RSS of the many-council run under {GOAL_PEAK_RSS_MB:.0f} MB",
        None if not peaks else max(peaks) < GOAL_PEAK_RSS_MB,
        f"{max(peaks)} MB" if peaks else "n/a",
    )
    return goals


def run_benchmarks(
    config: BenchConfig,
    new_database: Callable[[], str],
    drop_database: Callable[[str], None],
    output: Path | None = RESULTS,
) -> dict:
    """Measure everything; write ``output`` (unless None) and return the results."""
    workdir = Path(tempfile.mkdtemp(prefix="csc-bench-"))
    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": asdict(config),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    errors: dict[str, str] = {}
    started = time.perf_counter()
    try:
        _guarded("dag_parse_seconds", results, errors, lambda: _dag_parsing(config, workdir))
        small_kept: dict = {}
        large_kept: dict = {}

        def small() -> dict:
            result, kept = _rebuild(
                "small",
                config.small_complaints,
                config,
                config.repeats,
                new_database,
                drop_database,
                workdir,
            )
            small_kept.update(kept)
            return result

        _guarded("small_rebuild", results, errors, small)
        small_report: dict[str, Any] = {}
        overhead: dict[str, Any] = {}
        results["gx_overhead"] = overhead

        def tiny_overhead() -> dict:
            source, warehouse = new_database(), new_database()
            try:
                _log(f"GX overhead: generating {GX_OVERHEAD_COMPLAINTS:,} complaints")
                run_phase(
                    "generate",
                    {"source_url": source, "complaints": GX_OVERHEAD_COMPLAINTS, "seed": 7},
                    workdir,
                )
                return _gx_overhead(
                    {
                        "source_url": source,
                        "warehouse_url": warehouse,
                        "output_dir": str(workdir / "gx-tiny"),
                    },
                    workdir,
                )
            finally:
                drop_database(warehouse)
                drop_database(source)

        _guarded(str(GX_OVERHEAD_COMPLAINTS), overhead, errors, tiny_overhead)
        if "warehouse_url" in small_kept:
            _guarded(
                str(config.small_complaints),
                overhead,
                errors,
                lambda: _gx_overhead(
                    {
                        "warehouse_url": small_kept["warehouse_url"],
                        "output_dir": small_kept["output_dir"],
                    },
                    workdir,
                ),
            )
        if "warehouse_url" in small_kept:
            _guarded(
                "report_small", small_report, errors, lambda: _report(small_kept, config, workdir)
            )
        for url in (small_kept.get("warehouse_url"), small_kept.get("source_url")):
            if url:
                drop_database(url)

        def large() -> dict:
            result, kept = _rebuild(
                "full",
                config.complaints,
                config,
                config.large_rebuild_repeats,
                new_database,
                drop_database,
                workdir,
            )
            large_kept.update(kept)
            return result

        _guarded("full_rebuild", results, errors, large)
        if "warehouse_url" in large_kept:
            full_pipeline = results["full_rebuild"]["pipeline_seconds"]
            _guarded(
                "daily_cycle",
                results,
                errors,
                lambda: _daily_cycle(large_kept, full_pipeline, config, workdir),
            )
            _guarded(
                str(config.complaints),
                overhead,
                errors,
                lambda: _gx_overhead(
                    {
                        "warehouse_url": large_kept["warehouse_url"],
                        "output_dir": large_kept["output_dir"],
                    },
                    workdir,
                ),
            )
            full_extract = results["full_rebuild"]["steps"]["extract"]
            _guarded(
                "incremental",
                results,
                errors,
                lambda: _incremental(large_kept, full_extract, config, workdir),
            )
            _guarded("report", results, errors, lambda: _report(large_kept, config, workdir))
            if small_report and isinstance(results["report"], dict):
                # The same report for a council-year of the small source (a large council's
                # year): the PDF lists every learning action, so its cost follows the year's size.
                results["report"]["at_small_size"] = small_report["report_small"]
        else:
            for name in ("daily_cycle", "incremental", "report"):
                results[name] = {"error": "not measured: the full rebuild failed"}
        for url in (large_kept.get("warehouse_url"), large_kept.get("source_url")):
            if url:
                drop_database(url)

        def many_councils() -> dict:
            from benchmarks.councils import run_many_councils

            return run_many_councils(
                config.councils,
                config.complaints_per_council,
                config.seed,
                new_database,
                drop_database,
                run_phase,
                _log,
                workdir,
            )

        if config.councils:
            _guarded("many_councils", results, errors, many_councils)
    finally:
        results["goals"] = evaluate_goals(results)
        results["errors"] = errors
        results["bench_seconds"] = round(time.perf_counter() - started, 1)
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return results


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return value.get("not_measured") or value.get("error") or json.dumps(value)
    return "-" if value is None else str(value)


def format_table(results: dict) -> str:
    """The results as a Markdown table (also what docs/benchmarks.md shows)."""
    rows: list[tuple[str, str]] = []
    for section in ("full_rebuild", "small_rebuild"):
        data = results.get(section, {})
        if "complaints" not in data:
            rows.append((section, _cell(data)))
            continue
        label = f"{section} ({data['complaints']:,} complaints)"
        rows.append(
            (f"{label}: seconds (extract + build + reconciliation)", _cell(data["seconds"]))
        )
        rows.append((f"{label}: seconds with the row checks", _cell(data["pipeline_seconds"])))
        for step, value in data["steps"].items():
            rows.append((f"{label}: {step}", _cell(value)))
        rows.append((f"{label}: COPY floor seconds", _cell(data["copy_floor_seconds"])))
        ratio = data["seconds"] / data["copy_floor_seconds"] if data["copy_floor_seconds"] else 0
        rows.append((f"{label}: x COPY floor", f"{ratio:.1f}"))
        rows.append((f"{label}: peak RSS MB", _cell(data["peak_rss_mb"])))
        pipeline_ratio = (
            data["pipeline_seconds"] / data["copy_floor_seconds"]
            if data["copy_floor_seconds"]
            else 0
        )
        rows.append((f"{label}: x COPY floor with the row checks", f"{pipeline_ratio:.1f}"))
    daily = results.get("daily_cycle", {})
    if "changed_rows" in daily:
        rows.append(("daily cycle: changed rows", _cell(daily["changed_rows"])))
        low, high = daily["seconds_range"]
        rows.append(
            (
                f"daily cycle: seconds (median of {daily['repeats']}; range {low:.3f}-{high:.3f})",
                _cell(daily["seconds"]),
            )
        )
        for step, value in daily["steps"].items():
            rows.append((f"daily cycle: {step}", _cell(value)))
        rows.append(("daily cycle: years recounted", ", ".join(daily["years_owed"]) or "none"))
        rows.append(("daily cycle: peak RSS MB", _cell(daily["peak_rss_mb"])))
    else:
        rows.append(("daily cycle", _cell(daily)))
    for size, data in results.get("gx_overhead", {}).items():
        if "overhead_seconds" in data:
            rows.append(
                (
                    f"GX row-check validation at {int(size):,} complaints: seconds"
                    " (importing GX / validation / its queries run once / GX's own overhead)",
                    f"{data['import_seconds']:.3f} / {data['validation_seconds']:.3f}"
                    f" / {data['queries_once_seconds']:.3f} / {data['overhead_seconds']:.3f}",
                )
            )
        else:
            rows.append((f"GX overhead at {size} complaints", _cell(data)))
    incremental = results.get("incremental", {})
    if "changed_rows" in incremental:
        rows.append(("incremental: changed rows", _cell(incremental["changed_rows"])))
        rows.append(("incremental: seconds", _cell(incremental["seconds"])))
        rows.append(
            ("incremental: full extract seconds", _cell(incremental["full_extract_seconds"]))
        )
    else:
        rows.append(("incremental", _cell(incremental)))
    report = results.get("report", {})
    for label, data in (("report", report), ("report (small source)", report.get("at_small_size"))):
        if data is None:
            continue
        if isinstance(data.get("seconds"), float):
            size = (
                f" ({data['financial_year']}: {data['complaints_in_year']:,} complaints,"
                f" {data['learning_actions_in_year']:,} learning actions)"
            )
            rows.append((f"{label}{size}: seconds", _cell(data["seconds"])))
        else:
            rows.append((label, _cell(data)))
    many = results.get("many_councils", {})
    if "full_build" in many:
        label = f"{many['councils']} councils of {many['complaints_per_council']:,} complaints"
        for key, what in (
            ("full_build", "full build"),
            ("settling_day", "next day, nothing changed"),
            ("one_council_changed", "daily run"),
        ):
            if key not in many:
                continue
            data = many[key]
            steps = " / ".join(f"{v:.1f}" for v in data["steps"].values())
            rows.append(
                (
                    f"{label}: {what} seconds (extract / row checks / build / reconciliation)",
                    f"{data['seconds']:.1f} ({steps})",
                )
            )
            rows.append((f"{label}: {what} peak RSS MB", _cell(data["peak_rss_mb"])))
        if "settling_day" in many:
            rows.append(
                (
                    f"{label}: rebuilt the next day, nothing changed (the shared calendar's"
                    " new quarter ends, once)",
                    ", ".join(many["settling_day"]["rebuilt_councils"]) or "none",
                )
            )
        changed = many["one_council_changed"]
        rows.append(
            (
                f"{label}: rebuilt after {changed['changed_rows']} rows of "
                f"{changed['changed_council']} changed",
                ", ".join(changed["rebuilt_councils"]) or "none",
            )
        )
    elif many:
        rows.append(("many councils", _cell(many)))
    for dag_id, value in results.get("dag_parse_seconds", {}).items():
        rows.append((f"DAG parse: {dag_id}", _cell(value)))
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += ["", "| goal | met | measured |", "|---|---|---|"]
    for goal in results.get("goals", []):
        met = {True: "yes", False: "**no**", None: "not measured"}[goal["met"]]
        lines.append(f"| {goal['goal']} | {met} | {goal['detail']} |")
    return "\n".join(lines)


def _child(phase: str, params_file: str, result_file: str) -> int:
    params = json.loads(Path(params_file).read_text(encoding="utf-8"))
    result = PHASES[phase](params)
    Path(result_file).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--complaints", type=int, default=BenchConfig.complaints)
    parser.add_argument("--small-complaints", type=int, default=BenchConfig.small_complaints)
    parser.add_argument("--repeats", type=int, default=BenchConfig.repeats)
    parser.add_argument(
        "--councils", type=int, default=BenchConfig.councils, help="0: no many-council run"
    )
    parser.add_argument(
        "--complaints-per-council", type=int, default=BenchConfig.complaints_per_council
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        return _child(args.phase, args.params, args.result)

    config = BenchConfig(
        complaints=args.complaints,
        small_complaints=args.small_complaints,
        repeats=args.repeats,
        councils=args.councils,
        complaints_per_council=args.complaints_per_council,
    )
    databases = Databases()
    try:
        results = run_benchmarks(config, databases.new, databases.drop, args.output)
    finally:
        databases.drop_all()
    print(format_table(results))
    print(f"\nwritten to {args.output} in {results['bench_seconds']} s")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
