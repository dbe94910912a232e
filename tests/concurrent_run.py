"""One pipeline step in a process of its own, started together with others (the lock tests).

``python -m tests.concurrent_run <step> <go file> <warehouse url> [source url] <run id>``:
waits until the go file exists, so that every process starts the step at the same moment,
runs it, logs to stderr and prints ``written <n>`` (extract) or ``facts <n>`` (build). The step
``hold`` takes the extract lock at once and holds it until the go file exists.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from csc_complaints.db import make_engine
from csc_complaints.settings import load_settings


def _wait_for(path: str) -> None:
    while not Path(path).exists():
        time.sleep(0.005)


def main(argv: list[str]) -> None:
    step, go, warehouse_url, *rest = argv
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    settings = load_settings()
    warehouse = make_engine(warehouse_url)
    if step == "hold":  # hold the extract lock until the go file exists
        from csc_complaints.locks import EXTRACT, council_lock

        with council_lock(warehouse, EXTRACT, settings.council_code):
            print("holding", flush=True)
            _wait_for(go)
        return
    _wait_for(go)
    if step == "extract":
        from csc_complaints.extract import run_extract

        source_url, run_id = rest
        result = run_extract(make_engine(source_url), warehouse, settings, run_id)
        print(f"written {result.rows_written}")
    elif step == "build":
        from csc_complaints.warehouse.build import build_warehouse

        (run_id,) = rest
        result = build_warehouse(warehouse, settings, run_id)
        print(f"facts {sum(result.fact_rows.values())}")
    else:
        raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main(sys.argv[1:])
