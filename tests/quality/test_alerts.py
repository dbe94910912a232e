"""Alerts reach a real SMTP server and a real HTTP webhook, name each failed rule with expected
and observed values, are not re-sent while a failure is unchanged, and carry no personal data.
Everything the run wrote (warehouse, output folder, alerts, logs) is searched for the canary."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from csc_complaints.quality import AlertDeliveryError, SmtpSettings, send_alerts
from tests.conftest import free_port
from tests.quality.dataset import CANARY, execute

RECIPIENTS = "pipeline-team@council.example, duty-engineer@council.example"
BREAKS = [
    # DQ02: stage 106 (still open) gets a request date nobody could read
    "UPDATE complaint_stages SET requested_date = NULL WHERE stage_id = 106",
    # DQ05: stage 101 answered but without an outcome
    "UPDATE complaint_stages SET outcome = NULL WHERE stage_id = 101",
    # DQ07: comment 202 belongs to a team that does not exist
    "UPDATE feedback SET team_id = 77 WHERE feedback_id = 202",
]


def _everything_written(warehouse, output: Path) -> list[str]:
    """Every text the run left behind: each warehouse row and each file under the output."""
    texts = []
    metadata = MetaData()
    metadata.reflect(warehouse, views=True)
    with warehouse.connect() as conn:
        for table in metadata.sorted_tables:
            texts += [repr(tuple(row)) for row in conn.execute(select(table))]
    for path in output.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    return texts


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_broken_source_alerts_once_keeps_rejects_and_leaks_nothing(
    pipeline, smtp_server, webhook_server, caplog
):
    caplog.set_level(logging.DEBUG)
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    p = pipeline()
    execute(p.source, *BREAKS)

    p.extract("extract-1")
    checks = p.row_checks("extract-1")
    assert [r.code for r in checks.critical_failures] == ["DQ02", "DQ05", "DQ07"]
    outcome = send_alerts(
        checks, "complaints_extract", "extract-1", smtp, RECIPIENTS, webhook_url, p.warehouse
    )
    assert outcome.sent and outcome.reported == ["DQ02", "DQ05", "DQ07"]

    # The email: to every recipient, naming DAG, run, each rule, expected and observed.
    assert len(inbox.messages) == 1
    recipients, email = inbox.messages[0]
    assert sorted(recipients) == sorted(r.strip() for r in RECIPIENTS.split(","))
    assert "DQ02" in email["Subject"] and "complaints_extract" in email["Subject"]
    body = _body(email)
    for expected_text in (
        "DAG: complaints_extract",
        "Run: extract-1",
        "DQ02: required date missing",
        "expected 0 rejected rows, observed 1 (complaint_stages 1)",
        "complaint_stages 106: requested_date is missing",
        "DQ05: outcome set without response_date",
        "complaint_stages 101: response_date without outcome",
        "DQ07: reference to a missing row",
        "feedback 202: team 77 does not exist",
        "DQ02 1, DQ05 1, DQ07 1",
        "Data Docs: file://",
    ):
        assert expected_text in body, body

    # The webhook: one JSON POST with the same failures as data.
    assert len(posted) == 1 and posted[0]["content_type"] == "application/json"
    payload = json.loads(posted[0]["body"])
    assert payload["dag_id"] == "complaints_extract" and payload["run_id"] == "extract-1"
    assert [(f["code"], f["expected"], f["observed"]) for f in payload["failures"]] == [
        ("DQ02", 0, 1),
        ("DQ05", 0, 1),
        ("DQ07", 0, 1),
    ]
    assert "DQ05" in payload["text"]

    # The build leaves the rejected rows out; the year's reconciliation.json lists them.
    build = p.build("warehouse-1")
    recon = p.reconcile("warehouse-1", build.changed_years)
    written = json.loads((p.output / "2019-20" / "reconciliation.json").read_text())
    assert written["rejected_rows_by_rule"] == {"DQ02": 1, "DQ05": 1, "DQ07": 1}
    assert written["draft"] is True
    assert {r["code"] for r in written["rules"] if not r["passed"]} == {"DQ02", "DQ05", "DQ07"}
    # The complaints of the rejected stage rows are held back whole, so no RC rule fails as a
    # knock-on: the reconciliation has nothing to alert about (the rejects were alerted above).
    assert recon.critical_failures == [] and recon.warnings == [], recon.summary()
    recon_outcome = send_alerts(
        recon, "complaints_warehouse", "warehouse-1", smtp, RECIPIENTS, None, p.warehouse
    )
    assert not recon_outcome.sent and recon_outcome.reported == []
    assert len(inbox.messages) == 1

    # An unchanged failure is not sent again.
    p.extract("extract-2")
    again = p.row_checks("extract-2")
    outcome = send_alerts(
        again, "complaints_extract", "extract-2", smtp, RECIPIENTS, webhook_url, p.warehouse
    )
    assert not outcome.sent and outcome.unchanged == ["DQ02", "DQ05", "DQ07"]
    assert len(inbox.messages) == 1 and len(posted) == 1

    # The source is corrected for stage 101: it loads again and its reject is gone; a new row
    # breaks DQ05 (stage 102): that is a change, so it is reported, and only it.
    execute(
        p.source,
        "UPDATE complaint_stages SET outcome = 'upheld', updated_at = '2020-08-01 10:00:00'"
        " WHERE stage_id = 101",
        "UPDATE complaint_stages SET outcome = NULL, updated_at = '2020-08-01 10:00:00'"
        " WHERE stage_id = 102",
    )
    p.extract("extract-3")
    third = p.row_checks("extract-3")
    assert third.resolved_rejects == 1 and third.new_rejects == 1
    assert {(r.rule_code, r.source_key) for r in third.rejects} == {
        ("DQ02", "106"),
        ("DQ05", "102"),
        ("DQ07", "202"),
    }
    outcome = send_alerts(
        third, "complaints_extract", "extract-3", smtp, RECIPIENTS, webhook_url, p.warehouse
    )
    assert outcome.reported == ["DQ05"] and outcome.unchanged == ["DQ02", "DQ07"]
    assert len(inbox.messages) == 2
    body = _body(inbox.messages[1][1])
    assert "complaint_stages 102: response_date without outcome" in body
    assert "complaint_stages 101" not in body
    assert "Still failing, already reported: DQ02, DQ07" in body

    # A faulty build of the year (a team's figure off by one): the reconciliation alert names
    # the rule with its figures and the year's rejects. Complaints 2 and 4 (stage rows 102 and
    # 106 rejected) are held back: stage 1 received is 101, 103 and 107, all Team A.
    p.build("warehouse-2")
    execute(
        p.warehouse,
        "UPDATE stats_received_by_team SET received = received + 1 WHERE council_code ="
        " 'E06000005' AND financial_year = '2019/20' AND stage = 1"
        " AND team = 'Safeguarding Team A'",
    )
    recon = p.reconcile("warehouse-2", ["2019/20"])
    recon_outcome = send_alerts(
        recon, "complaints_warehouse", "warehouse-2", smtp, RECIPIENTS, None, p.warehouse
    )
    assert recon_outcome.reported == ["2019/20 RC02"]
    body = _body(inbox.messages[2][1])
    assert (
        "RC02 2019/20 stage 1: teams sum to 4, service areas sum to 4, council total 3, "
        "fact table counts 3"
    ) in body
    assert "- 2019/20: DQ02 1, DQ05 1, DQ07 1" in body

    # No personal data anywhere: alerts, webhook bodies, logs, warehouse, output files.
    everything = _everything_written(p.warehouse, p.output)
    everything += [_body(m) + str(m["Subject"]) for _r, m in inbox.messages]
    everything += [post["body"].decode() for post in posted]
    everything += [record.getMessage() for record in caplog.records]
    assert len(everything) > 50
    # The search itself finds the canary where it does live: in the source database.
    assert any(CANARY.lower() in t.lower() for t in _everything_written(p.source, p.output))
    leaks = [text[:200] for text in everything if CANARY.lower() in text.lower()]
    assert leaks == []


def test_reconciliation_failure_alert_names_year_rule_and_figures(pipeline, smtp_server):
    smtp, inbox = smtp_server
    p = pipeline()
    p.extract("extract-1")
    p.row_checks("extract-1")
    build = p.build("warehouse-1")
    execute(
        p.warehouse,
        "UPDATE stats_received_by_team SET received = received + 1 WHERE council_code ="
        " 'E06000005' AND financial_year = '2019/20' AND stage = 1 AND team = 'Fostering'",
    )
    recon = p.reconcile("warehouse-1", build.changed_years)
    outcome = send_alerts(
        recon,
        "complaints_warehouse",
        "warehouse-1",
        smtp,
        RECIPIENTS,
        None,
        p.warehouse,
        airflow_run_url="http://airflow.example/dags/complaints_warehouse/runs/warehouse-1",
    )
    assert outcome.reported == ["2019/20 RC02"]
    email = inbox.messages[0][1]
    assert "FAILED: RC02 (2019/20) in complaints_warehouse" in email["Subject"]
    body = _body(email)
    assert "Financial year(s): 2019/20" in body
    assert (
        "RC02 2019/20 stage 1: teams sum to 6, service areas sum to 6, council total 5, "
        "fact table counts 5 (expected 5, observed 6)"
    ) in body
    assert "Airflow run: http://airflow.example/dags/complaints_warehouse/runs/warehouse-1" in body

    # Same failure on the next build: not re-sent. Repaired: forgotten, so a relapse re-alerts.
    again = p.reconcile("warehouse-2", ["2019/20"])
    assert not send_alerts(
        again, "complaints_warehouse", "warehouse-2", smtp, RECIPIENTS, None, p.warehouse
    ).sent
    p.build("warehouse-3")  # rebuilds the stats from the facts: RC02 holds again
    execute(p.warehouse, "DELETE FROM etl_year_builds")  # force the rebuild to rewrite stats
    p.build("warehouse-3")
    fixed = p.reconcile("warehouse-3", ["2019/20"])
    assert not fixed.years["2019/20"].failed_rules
    send_alerts(fixed, "complaints_warehouse", "warehouse-3", smtp, RECIPIENTS, None, p.warehouse)
    execute(
        p.warehouse,
        "UPDATE stats_received_by_team SET received = received + 1 WHERE council_code ="
        " 'E06000005' AND financial_year = '2019/20' AND stage = 1 AND team = 'Fostering'",
    )
    relapse = p.reconcile("warehouse-4", ["2019/20"])
    assert send_alerts(
        relapse, "complaints_warehouse", "warehouse-4", smtp, RECIPIENTS, None, p.warehouse
    ).reported == ["2019/20 RC02"]
    assert len(inbox.messages) == 2


def test_years_reconciled_together_link_their_one_data_docs_page_once(pipeline, smtp_server):
    smtp, inbox = smtp_server
    p = pipeline()
    p.extract("extract-1")
    p.row_checks("extract-1")
    p.build("warehouse-1")
    execute(p.warehouse, "DELETE FROM fact_feedback WHERE feedback_id = 202")  # RC01: every year
    recon = p.reconcile("warehouse-1", ["2018/19", "2019/20"])
    outcome = send_alerts(
        recon, "complaints_warehouse", "warehouse-1", smtp, RECIPIENTS, None, p.warehouse
    )
    assert outcome.reported == ["2018/19 RC01", "2019/20 RC01"]
    body = _body(inbox.messages[0][1])
    page = recon.years["2019/20"].data_docs_page
    assert page and body.count("Data Docs: ") == 1 and f"Data Docs: {page}" in body


def test_undeliverable_alert_raises_and_is_tried_again(pipeline, smtp_server):
    smtp, inbox = smtp_server
    p = pipeline()
    execute(p.source, BREAKS[1])
    p.extract("extract-1")
    checks = p.row_checks("extract-1")
    dead = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    with pytest.raises(AlertDeliveryError, match="DQ05"):
        send_alerts(checks, "complaints_extract", "extract-1", dead, RECIPIENTS, None, p.warehouse)
    # Nothing was remembered, so the next attempt (server up) sends it.
    outcome = send_alerts(
        checks, "complaints_extract", "extract-1", smtp, RECIPIENTS, None, p.warehouse
    )
    assert outcome.reported == ["DQ05"] and len(inbox.messages) == 1


def test_with_no_channel_configured_alerts_are_off_and_nothing_is_remembered(
    pipeline, smtp_server, caplog
):
    """A laptop's `make run` has no mail relay: the row checks must not fail (or retry) for it,
    and the alert goes out once a channel is configured."""
    smtp, inbox = smtp_server
    p = pipeline()
    execute(p.source, BREAKS[1])
    p.extract("extract-1")
    checks = p.row_checks("extract-1")
    off = send_alerts(checks, "complaints_extract", "extract-1", None, [], None, p.warehouse)
    assert not off.sent and "alerts are off" in caplog.text
    outcome = send_alerts(
        checks, "complaints_extract", "extract-1", smtp, RECIPIENTS, None, p.warehouse
    )
    assert outcome.reported == ["DQ05"] and len(inbox.messages) == 1
