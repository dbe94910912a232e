"""The approval's response reaches the published report, through real Airflow (issue 13.5).

``approve_report`` returns Airflow's human-in-the-loop response (here the demo's automatic
approval, ``COMPLAINTS_AUTO_APPROVE=true``, which answers as a person would); Airflow hands it
to ``publish_final_report``, whose final report says who approved it, in the role of the
settings, on the day of the approval, and whose PDF is dated at the approval. The council's
report is under ``<output>/<council_code>/<YYYY-YY>/`` (one council: the settings' own).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pypdf
import pytest

from csc_complaints.db import make_engine
from csc_complaints.report.approval import AUTO_APPROVER
from csc_complaints.settings import load_settings
from csc_complaints_demo.reference_data import build_reference_dataset
from tests.airflow_harness import airflow_home, dags_test
from tests.dags.test_end_to_end import airflow_uri


@pytest.mark.airflow
def test_the_published_report_names_its_approval(new_sqlite_database, tmp_path):
    source_url, warehouse_url = new_sqlite_database(), new_sqlite_database()
    build_reference_dataset(make_engine(source_url))
    output = tmp_path / "output"
    env = airflow_home(tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), output)
    env["COMPLAINTS_SIGN_OFF_ROLE"] = "Complaints Manager"
    dags_test(env, "complaints_extract")
    dags_test(env, "complaints_warehouse")
    started = datetime.now(UTC).replace(microsecond=0)
    env["COMPLAINTS_AUTO_APPROVE"] = "true"
    log = dags_test(env, "complaints_annual_report", "2019-04-01T00:00:00+00:00")
    assert "final report of Darlington (E06000005) published" in log

    folder = output / load_settings().council_code / "2019-20"
    pdf = folder / "annual-report-2019-20.pdf"
    reader = pypdf.PdfReader(pdf)
    cover = " ".join(reader.pages[0].extract_text().split())
    day = datetime.now(ZoneInfo("Europe/London")).date()
    approved = f"Approved by {AUTO_APPROVER['name']}, Complaints Manager on {day.day} {day:%B %Y}"
    assert approved in cover and "DRAFT" not in cover
    assert reader.metadata.subject.endswith(approved)
    # Dated at the approval, not at reportlab's fixed date of a draft.
    stamp = re.fullmatch(r"D:(\d{14})\+00'00'", reader.metadata["/CreationDate"])
    created = datetime.strptime(stamp[1], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    assert started <= created <= datetime.now(UTC)
    html = (folder / "annual-report-2019-20.html").read_text(encoding="utf-8")
    assert f'<meta name="dcterms.dateAccepted" content="{day.isoformat()}">' in html
