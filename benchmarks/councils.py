"""``make bench``'s shared-service run: many councils through one warehouse.

150 councils (every English council with children's services) of about 7,000 complaints each
over the benchmark's decade, about a million in all, each in its own synthetic source database
(its own seed), listed in a council registry file as a deployment would list them. Measured:

* ``full_build``: every council's chain into one empty warehouse, in registry order, as the
  DAGs' mapped tasks run it: extract, row checks, warehouse build, reconciliation;
* ``settling_day``: the same chain for every council the next day, nothing changed. The
  councils' calendar (``dim_date``) is shared: a council built early counts its open cases at
  the quarter ends of a year a later council's dates added, once (``docs/warehouse.md``, open
  cases), so the councils it rebuilds are recorded, not held to the goal;
* ``one_council_changed``: a 0.1% change in one council's source, then the same chain for every
  council (the daily DAG runs). Only that council may be rebuilt: for every other council the
  build must find nothing owed and write no fact row, which the result records
  (``rebuilt_councils``) and the goal checks;
* the peak RSS of each (one process per phase, ``benchmarks.run.run_phase``).

Used by ``benchmarks.run`` (``run_many_councils``); its phases are in ``benchmarks.run.PHASES``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

COUNCILS = 150
COMPLAINTS_PER_COUNCIL = 7_000
# ONS-shaped codes no real council has (E99: not a real area type), one per benchmark council.
CODE_FORMAT = "E99{:06d}"


def council_code(number: int) -> str:
    return CODE_FORMAT.format(number)


def registry_text(count: int) -> str:
    """A council registry of ``count`` benchmark councils (what a shared service would write)."""
    tables = []
    for number in range(1, count + 1):
        code = council_code(number)
        tables.append(
            "[[council]]\n"
            f'code = "{code}"\n'
            f'name = "Benchmark Council {number}"\n'
            f'short_name = "Bench {number}"\n'
            f'source_conn_id = "bench_source_{number}"\n'
            f"population_0_17 = {20_000 + 500 * number}\n"
        )
    return "\n".join(tables)


def phase_generate_councils(params: dict) -> dict:
    """Fill each council's empty source database (its own seed) over the benchmark's decade."""
    from benchmarks.run import FIRST_YEAR, YEARS
    from csc_complaints.db import make_engine
    from csc_complaints_demo.synthetic import GeneratorConfig, generate

    started = time.perf_counter()
    rows: dict[str, int] = {}
    for number, url in enumerate(params["source_urls"], start=1):
        engine = make_engine(url)
        config = GeneratorConfig(
            seed=params["seed"] + number,
            first_year=FIRST_YEAR,
            years=YEARS,
            complaints_per_year=max(1, params["complaints_per_council"] // YEARS),
        )
        for table, count in generate(engine, config, progress=False).items():
            rows[table] = rows.get(table, 0) + count
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def phase_councils_chain(params: dict) -> dict:
    """Every council of the registry through extract, row checks, incremental build and
    reconciliation into one warehouse; the seconds of each step summed over the councils, and
    which councils the build rebuilt."""
    import os

    from benchmarks.run import report_as_the_dags_do
    from csc_complaints.councils import REGISTRY_FILE_VARIABLE, load_councils
    from csc_complaints.db import make_engine
    from csc_complaints.extract import run_extract
    from csc_complaints.quality.reconciliation import run_reconciliation
    from csc_complaints.quality.row_checks import run_row_checks
    from csc_complaints.warehouse.build import build_warehouse

    environ = dict(os.environ) | {
        REGISTRY_FILE_VARIABLE: params["registry"],
        "COMPLAINTS_OUTPUT_DIR": params["output_dir"],
    }
    started = time.perf_counter()
    councils = load_councils(environ)
    registry_seconds = time.perf_counter() - started
    warehouse = make_engine(params["warehouse_url"])
    sources: dict[str, str] = params["sources"]
    run_id = params["run_id"]
    steps = dict.fromkeys(("extract", "row_checks", "build", "reconciliation"), 0.0)
    rebuilt: list[str] = []
    rows_written = 0
    for council in councils:
        source = make_engine(sources[council.source_conn_id], read_only=True)
        settings = council.settings
        output = settings.output_path
        mark = time.perf_counter()
        extract = run_extract(source, warehouse, settings, run_id)
        steps["extract"] += time.perf_counter() - mark
        mark = time.perf_counter()
        run_row_checks(warehouse, settings, run_id, output)
        steps["row_checks"] += time.perf_counter() - mark
        mark = time.perf_counter()
        build = build_warehouse(warehouse, settings, run_id, incremental=True)
        steps["build"] += time.perf_counter() - mark
        mark = time.perf_counter()
        reconciled = run_reconciliation(warehouse, settings, run_id, build.changed_years, output)
        report_as_the_dags_do(reconciled, run_id, warehouse)
        steps["reconciliation"] += time.perf_counter() - mark
        source.dispose()
        rows_written += extract.rows_written
        if build.owed_years or any(build.fact_rows.values()):
            rebuilt.append(council.code)
    warehouse.dispose()
    return {
        "seconds": time.perf_counter() - started,
        "councils": len(councils),
        "registry_seconds": registry_seconds,
        "steps": steps,
        "rows_written": rows_written,
        "rebuilt_councils": rebuilt,
    }


def phase_change_council(params: dict) -> dict:
    """0.1% of one council's source rows edited (``benchmarks.run.phase_change_source``)."""
    from benchmarks.run import phase_change_source

    return phase_change_source({"source_url": params["source_url"], "round": 1})


PHASES: dict[str, Callable[[dict], dict]] = {
    "generate_councils": phase_generate_councils,
    "councils_chain": phase_councils_chain,
    "change_council": phase_change_council,
}


def run_many_councils(
    councils: int,
    complaints_per_council: int,
    seed: int,
    new_database: Callable[[], str],
    drop_database: Callable[[str], None],
    run_phase: Callable[[str, dict, Path], dict],
    log: Callable[[str], None],
    workdir: Path,
) -> dict[str, Any]:
    """Generate the councils' sources, run the full build and then one council's change."""
    registry = workdir / "councils.toml"
    registry.write_text(registry_text(councils), encoding="utf-8")
    sources: dict[str, str] = {}
    warehouse = None
    try:
        log(f"many councils: {councils} sources of {complaints_per_council:,} complaints")
        for number in range(1, councils + 1):
            sources[f"bench_source_{number}"] = new_database()
        generated = run_phase(
            "generate_councils",
            {
                "source_urls": list(sources.values()),
                "complaints_per_council": complaints_per_council,
                "seed": seed,
            },
            workdir,
        )
        warehouse = new_database()
        chain = {
            "registry": str(registry),
            "sources": sources,
            "warehouse_url": warehouse,
            "output_dir": str(workdir / "councils-output"),
        }
        log(f"many councils: full build of {councils} councils")
        full = run_phase("councils_chain", {**chain, "run_id": "bench-councils-full"}, workdir)
        log(f"many councils: the next day, nothing changed ({councils} councils)")
        settling = run_phase(
            "councils_chain", {**chain, "run_id": "bench-councils-settle"}, workdir
        )
        changed_number = (councils + 1) // 2
        changed_code = council_code(changed_number)
        change = run_phase(
            "change_council", {"source_url": sources[f"bench_source_{changed_number}"]}, workdir
        )
        log(f"many councils: {change['changed_rows']} rows of {changed_code} changed; daily run")
        daily = run_phase("councils_chain", {**chain, "run_id": "bench-councils-day"}, workdir)
    finally:
        for url in [*sources.values(), warehouse]:
            if url:
                drop_database(url)
    return {
        "councils": councils,
        "complaints_per_council": complaints_per_council,
        "source_rows": generated["rows"],
        "generate_seconds": round(generated["seconds"], 3),
        "full_build": _rounded(full),
        "settling_day": _rounded(settling),
        "one_council_changed": {
            **_rounded(daily),
            "changed_council": changed_code,
            "changed_rows": change["changed_rows"],
        },
    }


def _rounded(result: dict) -> dict:
    out = dict(result)
    out["seconds"] = round(result["seconds"], 3)
    out["registry_seconds"] = round(result["registry_seconds"], 4)
    out["steps"] = {k: round(v, 3) for k, v in result["steps"].items()}
    return out
