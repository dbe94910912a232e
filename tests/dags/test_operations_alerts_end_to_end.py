"""complaints_operations_alerts through real Airflow, with the alert channels of a deployment
(``smtp_default``, ``complaints_alert_emails``, ``complaints_alert_webhook``) pointed at the
tests' SMTP and webhook receivers: the year due for sign-off (the last whose 30 June has
passed) with no data alerts the data team and the Complaints Manager, an extract three days old
alerts the data team, and the next check re-sends neither."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from csc_complaints.dates import FinancialYear
from csc_complaints.db import make_engine
from csc_complaints.operations_alerts import year_due
from csc_complaints.settings import load_settings
from tests.airflow_harness import airflow_home, dags_test, with_alert_channels
from tests.dags.test_end_to_end import airflow_uri
from tests.quality.dataset import CANARY, execute, seed_lax_source

DAG_ID = "complaints_operations_alerts"
MANAGER = "complaints.manager@council.example"


@pytest.mark.airflow
def test_deadline_and_freshness_alerts_are_sent_once_through_airflow(
    new_sqlite_database, new_postgres_database, tmp_path, smtp_server, webhook_server
):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    source_url, warehouse_url = new_sqlite_database(), new_postgres_database()
    seed_lax_source(make_engine(source_url))
    env = airflow_home(
        tmp_path, airflow_uri(source_url), airflow_uri(warehouse_url), tmp_path / "output"
    )
    with_alert_channels(env, smtp, webhook_url)
    env["COMPLAINTS_COMPLAINTS_MANAGER_EMAIL"] = MANAGER
    dags_test(env, "complaints_extract")
    # The last successful extract finished three days ago (the limit is 48 hours).
    execute(
        make_engine(warehouse_url),
        "UPDATE etl_extract_runs SET finished_at = finished_at - INTERVAL '3 days'",
    )
    inbox.messages.clear()
    posted.clear()

    log = dags_test(env, DAG_ID)
    due = year_due(load_settings(), datetime.now(UTC)).label  # today's year due: no data
    assert FinancialYear.parse(due) > FinancialYear(2019)
    by_subject = {message["Subject"]: (to, message) for to, message in inbox.messages}
    assert len(by_subject) == 2, list(by_subject)
    ((deadline_to, deadline),) = [v for s, v in by_subject.items() if "NOT SIGNED OFF" in s]
    ((stale_to, stale),) = [v for s, v in by_subject.items() if "STALE" in s]
    assert sorted(deadline_to) == sorted(["duty-engineer@council.example", MANAGER])
    assert stale_to == ["duty-engineer@council.example"]
    text = deadline.get_body(preferencelist=("plain",)).get_content()
    assert "Council: Darlington Borough Council (E06000005)" in text
    assert f"Financial year: {due}" in text
    assert f"- no data: the warehouse holds no stats for {due}" in text
    stale_text = stale.get_body(preferencelist=("plain",)).get_content()
    assert "(72 hours ago)" in stale_text or "(73 hours ago)" in stale_text, stale_text
    alerts = {json.loads(p["body"])["alert"] for p in posted}
    assert alerts == {"sign_off_deadline", "extract_freshness"}
    assert f"sign-off of Darlington (E06000005) {due}: sent" in log
    assert CANARY not in log + text + stale_text

    # The next check finds the same two conditions: nothing is sent again.
    again = dags_test(env, DAG_ID)
    assert f"sign-off of Darlington (E06000005) {due}: unchanged" in again
    assert "): unchanged" in again  # the freshness check's line
    assert len(inbox.messages) == 2 and len(posted) == 2
