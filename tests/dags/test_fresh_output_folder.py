"""``make run`` into a fresh output folder, through real Airflow (issue 11.2).

After a first run, the next one into an empty output folder changes no figure, so its warehouse
run checks no year; the warehouse still knows every year is reconciled, writes each year's
reconciliation.json into the new folder, and the annual report is built from it at once.
"""

from __future__ import annotations

import pytest

from csc_complaints.db import make_engine
from csc_complaints.settings import load_settings
from csc_complaints_demo.reference_data import build_reference_dataset
from tests.airflow_harness import airflow_home, dags_test
from tests.dags.test_end_to_end import airflow_uri


@pytest.mark.airflow
def test_a_fresh_output_folder_gets_its_reconciliation_and_report(new_sqlite_database, tmp_path):
    source_url, warehouse_url = new_sqlite_database(), new_sqlite_database()
    build_reference_dataset(make_engine(source_url))
    first = tmp_path / "output"
    code = load_settings().council_code  # outputs: <output>/<council_code>/<YYYY-YY>/
    env = airflow_home(tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), first)
    env["COMPLAINTS_REPORT_DRAFT_ONLY"] = "true"  # as make run: the DRAFT, no sign-off
    dags_test(env, "complaints_extract")
    dags_test(env, "complaints_warehouse")
    reconciled = (first / code / "2019-20" / "reconciliation.json").read_bytes()

    fresh = tmp_path / "fresh-output"
    env["COMPLAINTS_OUTPUT_DIR"] = str(fresh)
    dags_test(env, "complaints_extract")
    log = dags_test(env, "complaints_warehouse")
    assert "changed none" in log and "no year to check" in log
    assert "2019-20/reconciliation.json written again from the warehouse" in log
    assert (fresh / code / "2019-20" / "reconciliation.json").read_bytes() == reconciled

    # The report's readiness reads the warehouse; even a file deleted since is written again.
    (fresh / code / "2019-20" / "reconciliation.json").unlink()
    report_log = dags_test(env, "complaints_annual_report", "2019-04-01T00:00:00+00:00")
    assert "has not been reconciled" not in report_log
    assert (fresh / code / "2019-20" / "reconciliation.json").read_bytes() == reconciled
    assert (fresh / code / "2019-20" / "annual-report-2019-20.pdf").exists()
