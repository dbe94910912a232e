"""``make run`` (``python -m csc_complaints.cli run-dags``) on data nobody tuned for: a random
synthetic source, through real Airflow, leaves stats equal to an independent count, and the
year's report a DRAFT waiting for a person."""

from __future__ import annotations

import subprocess
import sys

import pytest

from csc_complaints.cli import report_logical_date
from csc_complaints.db import make_engine
from csc_complaints.settings import PROJECT_ROOT, load_settings
from csc_complaints_demo.synthetic import GeneratorConfig, generate
from tests.airflow_harness import airflow_home
from tests.dags.test_end_to_end import airflow_uri
from tests.oracle import expected_stats, stats_from_warehouse


def test_report_logical_date_is_the_start_of_the_financial_year():
    assert report_logical_date("2019/20") == "2019-04-01T00:00:00+00:00"
    with pytest.raises(SystemExit, match="not a financial year"):
        report_logical_date("2019/21")
    with pytest.raises(SystemExit, match="not a financial year"):
        report_logical_date("2019-20")


@pytest.mark.airflow
def test_make_run_on_a_random_source(new_sqlite_database, new_postgres_database, tmp_path):
    source_url, warehouse_url = new_sqlite_database(), new_postgres_database()
    generate(
        make_engine(source_url),
        GeneratorConfig(seed=4242, first_year="2018/19", years=2, complaints_per_year=300),
        progress=False,
    )
    output = tmp_path / "output"
    env = airflow_home(tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), output)
    done = subprocess.run(
        [sys.executable, "-m", "csc_complaints.cli", "run-dags", "--fy", "2019/20"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert stats_from_warehouse(warehouse_url, load_settings().council_code) == expected_stats(
        source_url
    )
    assert "2019/20 headline figures" in done.stdout
    assert "The reports are DRAFTs" in done.stdout
    pdf = output / "2019-20" / "annual-report-2019-20.pdf"
    assert pdf.exists()
    from pypdf import PdfReader

    assert "DRAFT" in PdfReader(pdf).pages[0].extract_text()
