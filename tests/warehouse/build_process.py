"""The ``complaints_warehouse`` DAG's work in a process of its own, for a test to kill.

The same calls, in the same order, as the DAG's tasks: ``build_statistics`` (build_warehouse),
then ``reconcile_years`` (run_reconciliation of the changed years, then the alerts). Only the
alert channels are given here instead of read from Airflow's connections.

    python -m tests.warehouse.build_process '{"warehouse_url": ..., "output": ..., "run_id": ...,
        "smtp": [host, port], "recipients": [...], "webhook": url}'

Prints one JSON line: the years the build changed and the years reconciled.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from csc_complaints.db import make_engine
from csc_complaints.quality import SmtpSettings, run_reconciliation, send_alerts
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.build import build_warehouse

DAG_ID = "complaints_warehouse"


def main(argv: list[str]) -> None:
    params = json.loads(argv[1])
    settings = dataclasses.replace(load_settings(), output_dir=params["output"])
    warehouse = make_engine(params["warehouse_url"])
    run_id = params["run_id"]
    # build_statistics
    build = build_warehouse(warehouse, settings, run_id, incremental=True)
    # reconcile_years
    result = run_reconciliation(
        warehouse, settings, run_id, build.changed_years, settings.output_path
    )
    host, port = params["smtp"]
    send_alerts(
        result,
        DAG_ID,
        run_id,
        SmtpSettings(host=host, port=port, mail_from="etl@council.example"),
        params["recipients"],
        params["webhook"],
        warehouse,
    )
    warehouse.dispose()
    print(json.dumps({"changed": list(build.changed_years), "reconciled": list(result.years)}))


if __name__ == "__main__":
    main(sys.argv)
