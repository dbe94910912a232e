"""Command line for the make targets: the demo source, the project's Airflow, DAG runs.

- ``airflow-db``: migrate the project's Airflow metadata database;
- ``demo-source``: (re)build the demo source database with the reference dataset;
- ``run-dags --fy 2019/20 [--fy ...]``: extract, warehouse and annual reports through Airflow;
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

from csc_complaints.dates import FinancialYear
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
    engine.dispose()
    print(f"demo source database {path}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


def run_dags(financial_years: Sequence[str], approve: str = "none") -> None:
    """Extract, then the warehouse build, then the annual report of each year, through Airflow.

    ``approve="auto"`` (the demo) signs the reports off without a person, and says so;
    ``approve="none"`` builds the DRAFT and skips the sign-off, which stays a person's job.
    """
    env = airflow_environment()
    for fy in financial_years:
        report_logical_date(fy)  # validate before anything runs
    if approve == "auto":
        env["COMPLAINTS_AUTO_APPROVE"] = "true"
        print(
            "NOTE: the reports are APPROVED AUTOMATICALLY (COMPLAINTS_AUTO_APPROVE=true) because "
            "this is the demo; in production the Complaints Manager signs each one off in Airflow."
        )
    else:
        env["COMPLAINTS_REPORT_DRAFT_ONLY"] = "true"
    airflow(["dags", "reserialize"], env)
    airflow(["dags", "test", "complaints_extract"], env)
    airflow(["dags", "test", "complaints_warehouse"], env)
    failed = []
    for fy in sorted(financial_years):
        # One year's report failing (e.g. a year that cannot be signed off) does not stop the
        # others; the command still fails at the end.
        code = airflow(
            ["dags", "test", "complaints_annual_report", report_logical_date(fy)], env, check=False
        )
        # A run can "succeed" without running a task (e.g. dated before the DAG's start):
        # the report file is the proof.
        slug = FinancialYear.parse(fy).slug
        pdf = Path(env["COMPLAINTS_OUTPUT_DIR"]) / slug / f"annual-report-{slug}.pdf"
        if code != 0 or not pdf.exists():
            failed.append(fy)
    print_headlines(env, financial_years)
    output = Path(env["COMPLAINTS_OUTPUT_DIR"])
    print(f"\nOutputs are under {output}")
    for fy in sorted(financial_years):
        folder = output / FinancialYear.parse(fy).slug
        if folder.exists():
            for path in sorted(folder.glob("*.*")):
                print(f"  {path}")
    if approve != "auto":
        print("The reports are DRAFTs: sign them off in Airflow (task approve_report).")
    if failed:
        raise SystemExit(f"the annual report run failed for {', '.join(failed)} (see above)")


def print_headlines(env: dict[str, str], financial_years: Sequence[str]) -> None:
    """The year's headline figures from the warehouse, so a run ends with what it built."""
    from airflow.sdk import Connection
    from sqlalchemy import select

    from csc_complaints.db import make_engine, sqlalchemy_url
    from csc_complaints.settings import load_settings
    from csc_complaints.warehouse.schema import stats_headlines

    uri = env.get("AIRFLOW_CONN_COMPLAINTS_WAREHOUSE")
    if not uri:  # the connection lives in a secrets backend or the metadata DB: nothing to show
        return
    engine = make_engine(sqlalchemy_url(Connection.from_uri(uri, conn_id="complaints_warehouse")))
    council = load_settings(env).council_code
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                stats_headlines.c.financial_year, stats_headlines.c.measure, stats_headlines.c.value
            )
            .where(stats_headlines.c.council_code == council)
            .where(stats_headlines.c.financial_year.in_(list(financial_years)))
            .order_by(stats_headlines.c.financial_year, stats_headlines.c.measure)
        ).all()
    engine.dispose()
    for fy in sorted(financial_years):
        figures = {measure: value for year, measure, value in rows if year == fy}
        if not figures:
            print(f"\n{fy}: no figures in the warehouse for council {council}")
            continue
        print(f"\n{fy} headline figures (council {council}):")
        for measure, value in figures.items():
            print(f"  {measure:<30} {value:>6}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m csc_complaints.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("airflow-db", help="migrate the project's Airflow metadata database")
    demo = sub.add_parser("demo-source", help="(re)build the demo source database")
    demo.add_argument("--path", type=Path, default=DEMO_SOURCE)
    run = sub.add_parser("run-dags", help="run extract, warehouse and report through Airflow")
    run.add_argument("--fy", action="append", required=True, help="financial year, e.g. 2019/20")
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
        run_dags(args.fy, args.approve)
    elif args.command == "airflow":
        raise SystemExit(airflow(args.args, check=False))


if __name__ == "__main__":
    main()
