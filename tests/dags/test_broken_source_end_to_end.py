"""A source with broken rows, through real Airflow: the extract run goes red, an email and a
webhook name each broken rule, the rejected rows are kept, everything else still counts, the
year's reconciliation.json lists them, and no personal data is anywhere the run wrote."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from csc_complaints.db import make_engine
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.schema import dq_rejects, stats_headlines
from tests.airflow_harness import airflow_home, dags_test, with_alert_channels
from tests.dags.test_end_to_end import airflow_uri
from tests.quality.dataset import CANARY, execute, seed_lax_source

BREAKS = [
    "UPDATE complaint_stages SET outcome = NULL WHERE stage_id = 101",  # DQ05
    "UPDATE feedback SET team_id = 77 WHERE feedback_id = 202",  # DQ07
]


@pytest.mark.airflow
def test_broken_rows_turn_the_run_red_alert_and_stay_quarantined(
    new_sqlite_database, new_postgres_database, tmp_path, smtp_server, webhook_server
):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    source_url, warehouse_url = new_sqlite_database(), new_postgres_database()
    source = make_engine(source_url)
    seed_lax_source(source)
    execute(source, *BREAKS)
    output = tmp_path / "output"
    env = airflow_home(tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), output)
    with_alert_channels(env, smtp, webhook_url)

    extract_log = dags_test(env, "complaints_extract", expect="failed")
    assert "fail_if_rows_rejected" in extract_log

    # The email names the DAG and each broken rule with its record.
    assert len(inbox.messages) == 1
    _, email = inbox.messages[0]
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert "complaints_extract" in email["Subject"]
    for text in ("DAG: complaints_extract", "DQ05", "complaint_stages 101", "DQ07", "feedback 202"):
        assert text in body, body
    assert len(posted) == 1
    assert {f["code"] for f in json.loads(posted[0]["body"])["failures"]} == {"DQ05", "DQ07"}

    # The warehouse still builds from the asset the row checks emitted; rejects are kept.
    dags_test(env, "complaints_warehouse")
    warehouse = make_engine(warehouse_url)
    with warehouse.connect() as conn:
        rejected = conn.execute(
            select(dq_rejects.c.rule_code, dq_rejects.c.source_table, dq_rejects.c.source_key)
        ).all()
        received = conn.execute(
            select(stats_headlines.c.value).where(
                stats_headlines.c.measure == "complaints_received"
            )
        ).scalar_one()
    assert sorted(rejected) == [("DQ05", "complaint_stages", "101"), ("DQ07", "feedback", "202")]
    assert received > 0  # everything else still loads and counts
    folder = output / load_settings().council_code / "2019-20"  # <output>/<council>/<YYYY-YY>
    recon = json.loads((folder / "reconciliation.json").read_text())
    assert recon["rejected_rows_by_rule"] == {"DQ05": 1, "DQ07": 1}
    assert recon["draft"] is True

    # No personal data anywhere the run wrote: outputs, Airflow task logs, alerts, warehouse.
    written = [p for p in (output, tmp_path / "airflow-home" / "logs") if p.exists()]
    for folder in written:
        for path in folder.rglob("*"):
            if path.is_file():
                assert CANARY not in path.read_bytes().decode("utf-8", "replace"), path
    assert CANARY not in body and CANARY not in posted[0]["body"].decode()
    assert CANARY not in extract_log
    with warehouse.connect() as conn:
        for table in ("stg_complaints", "stg_feedback", "dq_rejects"):
            for row in conn.exec_driver_sql(f"SELECT * FROM {table}"):
                assert CANARY not in repr(tuple(row))
