"""Command line for the make targets: the demo source, the project's Airflow, DAG runs.

- ``airflow-db``: migrate the project's Airflow metadata database;
- ``demo-source``: (re)build the demo's source databases, one per council of the demo's
  registry (``include/csc_complaints_demo/councils.toml``): the reference council's (the
  reference dataset) and a second, synthetic council's;
- ``run-dags --fy 2019/20 [--fy ...] [--packs 2019/20] [--verbose]``: extract, warehouse,
  annual reports and (``--packs``) the quarterly monitoring packs of a year's four quarters
  through Airflow, for every council of the registry, chained as the scheduler chains them,
  then each council's figures, rows held back and outputs; a line per DAG and task on the
  terminal, Airflow's own output in ``.airflow/logs/run-dags/`` (``csc_complaints.dag_runs``);
- ``airflow ARGS...``: any airflow command with the project's settings.

Airflow's home, metadata database and logs live inside the project (``.airflow/``, git-ignored);
every variable set here is only a default, so a user's own ``AIRFLOW__*`` or ``AIRFLOW_CONN_*``
environment wins.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from csc_complaints.councils import DEFAULT_SOURCE_CONN_ID
from csc_complaints.dates import FinancialQuarter, FinancialYear
from csc_complaints.run_summary import print_summary, shown
from csc_complaints.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"
DEMO_SOURCE = DATA_DIR / "demo-source.db"
DEMO_WAREHOUSE = DATA_DIR / "demo-warehouse.db"
# The demo's council registry (make demo passes it as COMPLAINTS_COUNCILS_FILE; only the demo).
DEMO_COUNCILS_FILE = PROJECT_ROOT / "include" / "csc_complaints_demo" / "councils.toml"


def demo_source_path(conn_id: str, data_dir: Path = DATA_DIR) -> Path:
    """The demo database behind a source connection: ``complaints_source`` is
    ``data/demo-source.db``, ``complaints_source_northmoor`` is
    ``data/demo-source-northmoor.db``."""
    suffix = conn_id.removeprefix(DEFAULT_SOURCE_CONN_ID).strip("_-.")
    name = "demo-source" + (f"-{suffix.replace('_', '-')}" if suffix else "")
    return data_dir / f"{name}.db"


def connection_variable(conn_id: str) -> str:
    """The environment variable that defines an Airflow connection."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def airflow_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for running Airflow on this project (user settings win)."""
    env = dict(os.environ if base is None else base)
    home = PROJECT_ROOT / ".airflow"
    defaults = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "0",
        "AIRFLOW_CONN_COMPLAINTS_SOURCE": f"sqlite:///{DEMO_SOURCE}",
        "AIRFLOW_CONN_COMPLAINTS_WAREHOUSE": f"sqlite:///{DEMO_WAREHOUSE}",
        "COMPLAINTS_OUTPUT_DIR": str(PROJECT_ROOT / "output"),
        "GX_ANALYTICS_ENABLED": "False",
        # `airflow dags ...` warns on every call that graphviz (for drawing DAGs) is missing.
        "PYTHONWARNINGS": "ignore::UserWarning:airflow.cli.commands.dag_command",
        # The package is installed in the venv; this also covers a plain checkout.
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(PROJECT_ROOT / "include"), env.get("PYTHONPATH", "")) if p
        ),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    env["PYTHONPATH"] = defaults["PYTHONPATH"]
    home.mkdir(parents=True, exist_ok=True)
    return env


def airflow(args: Sequence[str], env: dict[str, str] | None = None, check: bool = True) -> int:
    """Run ``airflow ARGS`` from the venv with the project's environment."""
    executable = Path(sys.executable).with_name("airflow")
    command = [str(executable), *args]
    print("$ airflow " + " ".join(args), flush=True)
    completed = subprocess.run(command, env=env or airflow_environment(), cwd=PROJECT_ROOT)
    if check and completed.returncode != 0:
        raise SystemExit(f"airflow {' '.join(args)} failed with exit code {completed.returncode}")
    return completed.returncode


def migrate_metadata_db(env: dict[str, str] | None = None) -> None:
    env = env or airflow_environment()
    log = Path(env["AIRFLOW_HOME"]) / "db-migrate.log"
    with log.open("w") as out:
        completed = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if completed.returncode != 0:
        print(log.read_text(), file=sys.stderr)
        raise SystemExit("airflow db migrate failed")


def report_logical_date(financial_year: str) -> str:
    """The annual report run for a financial year: its data interval starts 1 April."""
    try:
        year = FinancialYear.parse(financial_year)
    except ValueError:
        raise SystemExit(f"--fy {financial_year!r} is not a financial year like 2019/20") from None
    return f"{year.start.isoformat()}T00:00:00+00:00"


def build_demo_sources(data_dir: Path = DATA_DIR) -> list[Path]:
    """(Re)build a source database for each council of the demo's registry, at
    ``demo_source_path`` of its connection; the paths written."""
    from csc_complaints.councils import REGISTRY_FILE_VARIABLE, load_councils
    from csc_complaints.db import make_engine
    from csc_complaints_demo.demo_councils import build_demo_council_source

    councils = load_councils({**os.environ, REGISTRY_FILE_VARIABLE: str(DEMO_COUNCILS_FILE)})
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for council in councils:
        path = demo_source_path(council.source_conn_id, data_dir)
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        counts = build_demo_council_source(council.code, engine)
        with engine.connect() as conn:
            # Left as a council's file usually is (a rollback journal, not WAL), so the
            # pipeline's read-only opening of it creates nothing beside it.
            conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        engine.dispose()
        print(f"demo source database {shown(path)}: {council.label}, {sum(counts.values())} rows")
        paths.append(path)
    return paths


def source_connections(env: dict[str, str], councils, data_dir: Path = DATA_DIR) -> list[str]:
    """Point each council's source connection at its demo database when the environment does
    not define it (``AIRFLOW_CONN_<ID>``) and the demo database exists; return a line for each
    council whose connection comes from elsewhere (Airflow's metadata DB or secrets backend)."""
    notes = []
    for council in councils:
        variable = connection_variable(council.source_conn_id)
        if variable in env:
            continue
        demo = demo_source_path(council.source_conn_id, data_dir)
        if demo.is_file():
            env[variable] = f"sqlite:///{demo}"
        else:
            notes.append(
                f"{council.label} reads connection {council.source_conn_id}: not in the "
                f"environment ({variable}), so Airflow's metadata DB or secrets backend must "
                "hold it"
            )
    return notes


def quarter_logical_date(quarter: FinancialQuarter) -> str:
    """The monitoring pack run for a quarter: its data interval starts on its first day."""
    return f"{quarter.start.isoformat()}T00:00:00+00:00"


def run_dags(
    financial_years: Sequence[str],
    approve: str = "none",
    verbose: bool = False,
    packs: Sequence[str] = (),
) -> None:
    """Extract, then the warehouse build, then the annual report of each year, through Airflow,
    as the scheduler would chain them; then the quarterly monitoring pack of each quarter of
    each year in ``packs``; then the figures, the rows held back and the outputs.

    The warehouse DAG runs when the extract's row checks updated the staging asset, even if the
    extract run is red for rejected rows (the scheduler starts it on the asset event); reports
    are DRAFTs built from the clean rows. Any red run makes the command fail, after the summary.
    ``approve="auto"`` (the demo) signs the reports off without a person, and says so;
    ``approve="none"`` builds the DRAFT and skips the sign-off, which stays a person's job.
    """
    from csc_complaints.councils import load_councils
    from csc_complaints.dag_runs import DagRunner, new_log_path
    from csc_complaints.orchestration import RETRY_DELAY_VARIABLE, STAGING_ASSET_TASK
    from csc_complaints.settings import SettingsError, load_settings

    env = airflow_environment()
    for fy in (*financial_years, *packs):
        report_logical_date(fy)  # validate before anything runs
    quarters = [q for fy in sorted(set(packs)) for q in FinancialYear.parse(fy).quarters]
    try:  # before any database or Airflow run is touched
        load_settings(env)  # the deployment's
        councils = load_councils(env)  # each council's: the deployment's and its own keys
    except SettingsError as exc:
        raise SystemExit(
            f"{exc}\nFix the settings or the council registry, then run again (nothing was run)."
        ) from None
    connection_notes = source_connections(env, councils)
    if approve == "auto":
        env["COMPLAINTS_AUTO_APPROVE"] = "true"
    else:
        env["COMPLAINTS_REPORT_DRAFT_ONLY"] = "true"
    # A transient fault is retried after seconds, not minutes: someone is waiting.
    env.setdefault(RETRY_DELAY_VARIABLE, "15")
    labels = [council.label for council in councils]
    runner = DagRunner(env, new_log_path(env), verbose=verbose, map_labels=labels)
    console = runner.console
    if len(councils) > 1:  # one council is named in the summary
        console.print(f"{len(councils)} councils: " + ", ".join(labels))
    for note in connection_notes:
        console.print(f"  {note}", markup=False)
    if approve == "auto":
        console.print(
            "[bold yellow]NOTE[/]: reports APPROVED AUTOMATICALLY (the demo: "
            "COMPLAINTS_AUTO_APPROVE=true);\nin production the Complaints Manager signs each "
            "off in Airflow."
        )
    try:
        if runner.airflow(["dags", "reserialize"]) != 0:
            raise SystemExit(f"the DAG files do not load: see {runner.log_path}")
        runs = [runner.run("complaints_extract")]
        stopped = None
        if not runs[0].task_succeeded(STAGING_ASSET_TASK):
            stopped = (
                f"the extract did not update the staging data ({STAGING_ASSET_TASK} did not "
                "succeed), so, as under the scheduler, the warehouse and the reports were not built"
            )
        else:
            runs.append(runner.run("complaints_warehouse"))
            for fy in sorted(financial_years):
                # One year's report failing does not stop the others.
                runs.append(
                    runner.run("complaints_annual_report", report_logical_date(fy), label=fy)
                )
            for quarter in quarters:
                runs.append(
                    runner.run(
                        "complaints_quarterly_monitoring",
                        quarter_logical_date(quarter),
                        label=quarter.label,
                    )
                )
        print_summary(console, env, councils, financial_years)
        benchmarks_missing = [] if stopped else print_benchmarks(console, councils, financial_years)
    finally:
        runner.close()

    failures = [
        f"{run.dag_id}{' ' + run.label if run.label else ''}" for run in runs if not run.succeeded
    ]
    missing = [
        f"{council.short_name} {fy}"
        for council in councils
        for fy in sorted(financial_years)
        if not _report_pdf(council.output_path, fy).exists()
    ]
    missing_packs = [
        f"{council.short_name} {q.label}"
        for council in councils
        for q in quarters
        if not _pack_pdf(council.output_path, q).exists()
    ]
    console.print(f"Airflow's log: {shown(runner.log_path)} (VERBOSE=1 prints it)", soft_wrap=True)
    if stopped or failures or missing or missing_packs:
        problems = ([stopped] if stopped else []) + [f"{name} is red" for name in failures]
        if not stopped:
            problems += [f"no report for {name}" for name in missing]
            problems += [f"no monitoring pack for {name}" for name in missing_packs]
            problems += [f"no regional benchmark for {fy}" for fy in benchmarks_missing]
        raise SystemExit("FAILED: " + "; ".join(problems) + " (see above)")
    if approve == "auto":
        console.print("The reports were signed off automatically (the demo).")
    else:
        console.print("The reports are DRAFTs: sign them off in Airflow (task approve_report).")


def print_benchmarks(console, councils, financial_years: Sequence[str]) -> list[str]:
    """The regional benchmark of each year (``<output>/benchmark/<YYYY-YY>/``), which
    ``complaints_annual_report`` builds once every council's report has ended: its files, or
    that it is missing. Returns the years whose benchmark is missing. A deployment of one
    council has no benchmark (nothing to compare it with)."""
    if len(councils) < 2:
        return []
    root = councils[0].settings.output_root / "benchmark"
    missing, lines = [], []
    for fy in sorted(financial_years):
        slug = FinancialYear.parse(fy).slug
        folder = root / slug
        if not (folder / f"benchmark-{slug}.pdf").is_file():
            missing.append(fy)
            continue
        files = sorted(p.name for p in folder.iterdir() if p.is_file())
        lines.append(f"  {slug}/{', '.join(files)}")
    heading = f"\n[bold]Regional benchmark[/] of {len(councils)} councils under {shown(root)}/:"
    console.print(heading, soft_wrap=True)
    for line in lines:
        console.print(line, markup=False)
    for fy in missing:
        console.print(f"  {fy}: not built (complaints_annual_report's build_regional_benchmark)")
    return missing


def _report_pdf(council_output: Path, financial_year: str) -> Path:
    """A council's annual report: ``<output>/<council_code>/<YYYY-YY>/annual-report-...pdf``."""
    slug = FinancialYear.parse(financial_year).slug
    return council_output / slug / f"annual-report-{slug}.pdf"


def _pack_pdf(output: Path, quarter: FinancialQuarter) -> Path:
    from csc_complaints.report.build import year_directory
    from csc_complaints.report.monitoring import pack_stem

    return year_directory(output, quarter.year) / f"{pack_stem(quarter)}.pdf"


def main(argv: Sequence[str] | None = None) -> None:
    # Anything below that imports Airflow reads its configuration then: the project's first.
    os.environ.update(airflow_environment())
    parser = argparse.ArgumentParser(prog="python -m csc_complaints.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("airflow-db", help="migrate the project's Airflow metadata database")
    demo = sub.add_parser("demo-source", help="(re)build the demo's source databases")
    demo.add_argument("--data-dir", type=Path, default=DATA_DIR)
    run = sub.add_parser(
        "run-dags",
        help="run extract, warehouse and report through Airflow, for every council of the registry",
    )
    run.add_argument("--fy", action="append", required=True, help="financial year, e.g. 2019/20")
    run.add_argument(
        "--packs",
        action="append",
        default=[],
        help="financial year whose four quarterly monitoring packs to build, e.g. 2019/20",
    )
    run.add_argument(
        "--verbose", action="store_true", help="stream Airflow's own output (VERBOSE=1)"
    )
    run.add_argument(
        "--approve",
        choices=["none", "auto"],
        default="none",
        help="none: build DRAFT reports and leave sign-off to a person (default); "
        "auto: approve them automatically (the demo only)",
    )
    passthrough = sub.add_parser("airflow", help="run an airflow command for this project")
    passthrough.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    if args.command == "airflow-db":
        migrate_metadata_db()
    elif args.command == "demo-source":
        build_demo_sources(args.data_dir)
    elif args.command == "run-dags":
        run_dags(args.fy, args.approve, verbose=args.verbose, packs=args.packs)
    elif args.command == "airflow":
        raise SystemExit(airflow(args.args, check=False))


if __name__ == "__main__":
    main()
