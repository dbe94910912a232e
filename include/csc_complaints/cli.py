"""Command line for the make targets: the demo source, the project's Airflow, DAG runs.

- ``airflow-db``: migrate the project's Airflow metadata database;
- ``demo-source``: (re)build the demo source database with the reference dataset;
- ``run-dags --fy 2019/20 [--fy ...] [--packs 2019/20] [--verbose]``: extract, warehouse,
  annual reports and (``--packs``) the quarterly monitoring packs of a year's four quarters
  through Airflow, chained as the scheduler chains them, then the figures, the rows held back
  and every output; a line per DAG and task on the terminal, Airflow's own output in
  ``.airflow/logs/run-dags/`` (``csc_complaints.dag_runs``);
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

from csc_complaints.dates import FinancialQuarter, FinancialYear
from csc_complaints.settings import PROJECT_ROOT

DEMO_SOURCE = PROJECT_ROOT / "data" / "demo-source.db"
DEMO_WAREHOUSE = PROJECT_ROOT / "data" / "demo-warehouse.db"


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


def build_demo_source(path: Path) -> None:
    from csc_complaints.db import make_engine
    from csc_complaints_demo.reference_data import build_reference_dataset

    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    counts = build_reference_dataset(engine)
    with engine.connect() as conn:
        # Left as a council's file usually is (a rollback journal, not WAL), so the pipeline's
        # read-only opening of it creates nothing beside it.
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    rows = sum(counts.values())
    print(f"demo source database {_shown(path)}: the reference dataset, {rows} rows")


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
    from csc_complaints.dag_runs import DagRunner, new_log_path
    from csc_complaints.orchestration import RETRY_DELAY_VARIABLE, STAGING_ASSET_TASK
    from csc_complaints.settings import SettingsError, load_settings

    env = airflow_environment()
    for fy in (*financial_years, *packs):
        report_logical_date(fy)  # validate before anything runs
    quarters = [q for fy in sorted(set(packs)) for q in FinancialYear.parse(fy).quarters]
    try:  # before any database or Airflow run is touched
        settings = load_settings(env)
    except SettingsError as exc:
        raise SystemExit(f"{exc}\nFix the settings, then run again (nothing was run).") from None
    if approve == "auto":
        env["COMPLAINTS_AUTO_APPROVE"] = "true"
    else:
        env["COMPLAINTS_REPORT_DRAFT_ONLY"] = "true"
    # A transient fault is retried after seconds, not minutes: someone is waiting.
    env.setdefault(RETRY_DELAY_VARIABLE, "15")
    runner = DagRunner(env, new_log_path(env), verbose=verbose)
    console = runner.console
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
        print_summary(console, env, settings, financial_years)
    finally:
        runner.close()

    failures = [
        f"{run.dag_id}{' ' + run.label if run.label else ''}" for run in runs if not run.succeeded
    ]
    output = Path(env["COMPLAINTS_OUTPUT_DIR"])
    missing = [fy for fy in sorted(financial_years) if not _report_pdf(output, fy).exists()]
    missing += [q.label for q in quarters if not _pack_pdf(output, q).exists()]
    console.print(f"Airflow's log: {_shown(runner.log_path)} (VERBOSE=1 prints it)")
    if stopped or failures or missing:
        problems = ([stopped] if stopped else []) + [f"{name} is red" for name in failures]
        problems += [f"no report for {fy}" for fy in missing if not stopped]
        raise SystemExit("FAILED: " + "; ".join(problems) + " (see above)")
    if approve == "auto":
        console.print("The reports were signed off automatically (the demo).")
    else:
        console.print("The reports are DRAFTs: sign them off in Airflow (task approve_report).")


def _report_pdf(output: Path, financial_year: str) -> Path:
    slug = FinancialYear.parse(financial_year).slug
    return output / slug / f"annual-report-{slug}.pdf"


def _pack_pdf(output: Path, quarter: FinancialQuarter) -> Path:
    from csc_complaints.report.build import year_directory
    from csc_complaints.report.monitoring import pack_stem

    return year_directory(output, quarter.year) / f"{pack_stem(quarter)}.pdf"


def _shown(path: Path) -> str:
    """A path as short as it can be said: relative to the working folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_summary(console, env: dict[str, str], settings, financial_years: Sequence[str]) -> None:
    """The years' headline figures, the rows held back by rule, and every output file."""
    from airflow.sdk import Connection

    from csc_complaints.db import make_engine, sqlalchemy_url
    from csc_complaints.run_summary import describe_held_back, output_paths, read_warehouse

    years = sorted(financial_years)
    council = settings.council_code
    uri = env.get("AIRFLOW_CONN_COMPLAINTS_WAREHOUSE")
    read = None
    if uri:  # else it lives in a secrets backend or the metadata DB: nothing to show here
        url = sqlalchemy_url(Connection.from_uri(uri, conn_id="complaints_warehouse"))
        warehouse = make_engine(url, read_only=True)  # never creates a missing warehouse
        read = read_warehouse(warehouse, council, years)
        warehouse.dispose()
    console.print()
    if read is None:
        console.print(f"No figures: the warehouse of council {council} has not been built.")
    else:
        figures, held_back = read
        measures = sorted({m for year in figures.values() for m in year})
        if measures:
            heading = f"Headline figures (council {council})".ljust(32)
            console.print(f"[bold]{heading}[/]" + "".join(f"{year:>9}" for year in years))
            for measure in measures:
                values = "".join(f"{figures.get(y, {}).get(measure, '-'):>9}" for y in years)
                console.print(f"  {measure:<30}{values}")
        for year in years:
            if year not in figures:
                console.print(f"{year}: no figures in the warehouse for council {council}")
        if held_back:
            console.print(
                f"\n[bold]Held back[/]: {len(held_back)} source row(s) kept out of the figures "
                "until corrected:"
            )
            for heading, rows in describe_held_back(held_back):
                # The rule's wording is cut to the line; the rows are never cut.
                console.print(f"  {heading}", markup=False, no_wrap=True, overflow="ellipsis")
                console.print(f"      {rows}", markup=False)
        else:
            console.print("Held back: no source row (dq_rejects is empty).")
    output = Path(env["COMPLAINTS_OUTPUT_DIR"])
    paths = output_paths(output, years)
    console.print(f"\n[bold]Outputs[/] under {_shown(output)}:" if paths else "\nNo outputs.")
    for folder, names in _grouped(paths, output):
        console.print(f"  {folder}{', '.join(names)}", markup=False)


# A folder of more CSV files than this (the open data) is shown as its README, its metadata and
# a count of its CSV files, which the README lists, so the summary still fits on one screen.
CSV_FILES_LISTED = 4


def _grouped(paths: Sequence[Path], root: Path) -> list[tuple[str, list[str]]]:
    """Files grouped by folder (relative to ``root``), one line per folder; the same file in
    several formats as ``name.{html,pdf}``; a folder of many CSV files as their count."""
    groups: dict[str, dict[str, list[str]]] = {}
    for path in paths:
        relative = path.relative_to(root)
        folder = "" if len(relative.parts) == 1 else f"{relative.parent}/"
        groups.setdefault(folder, {}).setdefault(relative.stem, []).append(relative.suffix)
    grouped = []
    for folder, stems in groups.items():
        names = [
            stem
            + (suffixes[0] if len(suffixes) == 1 else f".{{{','.join(s[1:] for s in suffixes)}}}")
            for stem, suffixes in stems.items()
        ]
        csv_files = [name for name in names if name.endswith(".csv")]
        if len(csv_files) > CSV_FILES_LISTED:
            names = [name for name in names if name not in csv_files]
            names.append(f"{len(csv_files)} CSV files")
        grouped.append((folder, names))
    return grouped


def main(argv: Sequence[str] | None = None) -> None:
    # Anything below that imports Airflow reads its configuration then: the project's first.
    os.environ.update(airflow_environment())
    parser = argparse.ArgumentParser(prog="python -m csc_complaints.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("airflow-db", help="migrate the project's Airflow metadata database")
    demo = sub.add_parser("demo-source", help="(re)build the demo source database")
    demo.add_argument("--path", type=Path, default=DEMO_SOURCE)
    run = sub.add_parser("run-dags", help="run extract, warehouse and report through Airflow")
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
        build_demo_source(args.path)
    elif args.command == "run-dags":
        run_dags(args.fy, args.approve, verbose=args.verbose, packs=args.packs)
    elif args.command == "airflow":
        raise SystemExit(airflow(args.args, check=False))


if __name__ == "__main__":
    main()
