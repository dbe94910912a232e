"""The operations alerts (csc_complaints.operations_alerts) on SQLite and PostgreSQL warehouses,
through a real SMTP server and a real HTTP webhook: a year past its sign-off deadline names the
council, the year and what blocks it (no data, rejected rows by rule, failed RC rules, awaiting
approval), to the data team and the Complaints Manager; an extract gone quiet alerts the data
team; an unchanged condition is sent once; a cleared one is forgotten.

(Here rather than in tests/ beside the module: it needs the quality tests' ``pipeline``.)"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from csc_complaints.dates import FinancialYear
from csc_complaints.operations_alerts import (
    FRESHNESS_CHECK,
    SIGN_OFF_CHECK,
    check_freshness,
    check_sign_off,
    sign_off_deadline,
    year_due,
)
from csc_complaints.quality import record_published_figures
from csc_complaints.quality.tables import dq_alerts
from csc_complaints.settings import load_settings
from tests.quality.dataset import CANARY, execute
from tests.quality.test_alerts import BREAKS

TEAM = ["pipeline-team@council.example"]
MANAGER = "complaints.manager@council.example"
AFTER_DEADLINE = datetime(2020, 9, 1, 9, 0, tzinfo=UTC)  # 2019/20 was due by 30 June 2020


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _sign_off(p, smtp, webhook_url, now=AFTER_DEADLINE, run_id="ops-1"):
    return check_sign_off(
        p.warehouse,
        p.settings,
        p.output,
        now,
        dag_id="complaints_operations_alerts",
        run_id=run_id,
        smtp=smtp,
        recipients=TEAM,
        webhook_url=webhook_url,
    )


def _freshness(p, smtp, webhook_url, now, run_id="ops-1"):
    return check_freshness(
        p.warehouse,
        p.settings,
        now,
        dag_id="complaints_operations_alerts",
        run_id=run_id,
        smtp=smtp,
        recipients=TEAM,
        webhook_url=webhook_url,
    )


def _remembered(p, check: str) -> list[str]:
    with p.warehouse.connect() as conn:
        return (
            conn.execute(select(dq_alerts.c.unit).where(dq_alerts.c.check_name == check))
            .scalars()
            .all()
        )


def _with_manager(p):
    p.settings = dataclasses.replace(p.settings, complaints_manager_email=MANAGER)
    return p


def test_the_year_due_is_the_last_whose_deadline_passed_in_the_councils_zone():
    settings = load_settings()
    # 30 June 2020 ends at midnight in London (23:00 UTC, British Summer Time).
    assert sign_off_deadline(settings, FinancialYear(2019)) == datetime(
        2020, 6, 30, 23, 0, tzinfo=UTC
    )
    assert year_due(settings, datetime(2020, 6, 30, 22, 59, tzinfo=UTC)).label == "2018/19"
    assert year_due(settings, datetime(2020, 6, 30, 23, 0, tzinfo=UTC)).label == "2019/20"
    assert year_due(settings, datetime(2021, 3, 31, 12, 0, tzinfo=UTC)).label == "2019/20"
    later = dataclasses.replace(settings, sign_off_deadline="09-30")
    assert year_due(later, AFTER_DEADLINE).label == "2018/19"


def test_rejected_rows_past_the_deadline_alert_the_team_and_the_manager_once(
    pipeline, smtp_server, webhook_server
):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    p = _with_manager(pipeline())
    execute(p.source, *BREAKS)
    p.extract("extract-1")
    p.row_checks("extract-1")
    build = p.build("warehouse-1")
    p.reconcile("warehouse-1", build.changed_years)

    outcome = _sign_off(p, smtp, webhook_url)
    assert outcome.status == "sent"
    ((recipients, email),) = inbox.messages
    assert sorted(recipients) == sorted([*TEAM, MANAGER])
    assert "Darlington Borough Council" in email["Subject"] and "2019/20" in email["Subject"]
    body = _body(email)
    for text in (
        "Council: Darlington Borough Council (E06000005)",
        "Financial year: 2019/20",
        "Sign-off deadline: 2020-06-30",
        "- rejected rows: 1 rejected row under DQ02",
        "- rejected rows: 1 rejected row under DQ05",
        "- rejected rows: 1 rejected row under DQ07",
    ):
        assert text in body, body
    assert CANARY not in body
    (post,) = posted
    payload = json.loads(post["body"])
    assert (payload["alert"], payload["council_code"], payload["financial_year"]) == (
        SIGN_OFF_CHECK,
        "E06000005",
        "2019/20",
    )
    assert {b["kind"] for b in payload["blockers"]} == {"rejected rows"}

    # Checked again an hour later, nothing changed: not re-sent.
    later = _sign_off(p, smtp, webhook_url, AFTER_DEADLINE + timedelta(hours=1), "ops-2")
    assert later.status == "unchanged"
    assert len(inbox.messages) == 1 and len(posted) == 1
    assert _remembered(p, SIGN_OFF_CHECK) == ["2019/20"]


def test_a_failed_rc_rule_then_awaiting_approval_then_signed_off(
    pipeline, smtp_server, webhook_server
):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    p = pipeline()
    p.extract("extract-1")
    p.row_checks("extract-1")
    build = p.build("warehouse-1")
    break_rc02 = (
        "UPDATE stats_received_by_team SET received = received + 1 WHERE council_code ="
        " 'E06000005' AND financial_year = '2019/20' AND stage = 1 AND team = 'Fostering'"
    )
    execute(p.warehouse, break_rc02)
    p.reconcile("warehouse-1", build.changed_years)
    assert _sign_off(p, smtp, webhook_url).status == "sent"
    body = _body(inbox.messages[-1][1])
    assert "- failed RC rules: RC02 failed (critical): expected 5, observed 6" in body, body
    assert inbox.messages[-1][0] == TEAM  # no Complaints Manager address configured

    # Repaired and reconciled: the condition changed (nothing but the approval is missing).
    execute(p.warehouse, "DELETE FROM etl_year_builds")
    p.build("warehouse-2")
    p.reconcile("warehouse-2", ["2019/20"])
    assert _sign_off(p, smtp, webhook_url, run_id="ops-2").status == "sent"
    body = _body(inbox.messages[-1][1])
    assert "- awaiting approval: the figures are ready but no report has been built" in body
    assert json.loads(posted[-1]["body"])["blockers"][0]["kind"] == "awaiting approval"

    # Signed off (the final report published): clear, and forgotten.
    record_published_figures(p.warehouse, "E06000005", "2019/20", "report-1")
    assert _sign_off(p, smtp, webhook_url, run_id="ops-3").status == "clear"
    assert _remembered(p, SIGN_OFF_CHECK) == []
    assert len(inbox.messages) == 2 and len(posted) == 2


def test_no_data_for_the_year_due_and_no_extract_ever(pipeline, smtp_server, webhook_server):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    p = pipeline()
    assert _sign_off(p, smtp, webhook_url).status == "sent"
    body = _body(inbox.messages[-1][1])
    assert "- no data: the warehouse holds no stats for 2019/20 (council E06000005)" in body
    assert _freshness(p, smtp, webhook_url, AFTER_DEADLINE).status == "sent"
    assert "Finding: no extract has ever succeeded" in _body(inbox.messages[-1][1])
    assert json.loads(posted[-1]["body"])["last_extract_succeeded"] is None


def test_a_stale_extract_alerts_once_until_an_extract_succeeds_again(
    pipeline, smtp_server, webhook_server
):
    smtp, inbox = smtp_server
    webhook_url, posted = webhook_server
    p = pipeline()
    p.extract("extract-1")
    now = datetime.now(UTC)
    assert _freshness(p, smtp, webhook_url, now + timedelta(hours=47)).status == "clear"
    assert inbox.messages == [] and posted == []

    stale = _freshness(p, smtp, webhook_url, now + timedelta(hours=49), "ops-2")
    assert stale.status == "sent"
    ((recipients, email),) = inbox.messages
    assert recipients == TEAM  # the Complaints Manager is told of sign-off only
    assert "STALE" in email["Subject"] and "Darlington Borough Council" in email["Subject"]
    body = _body(email)
    assert "Council: Darlington Borough Council (E06000005)" in body
    assert "the last successful extract finished" in body and "(49 hours ago)" in body
    payload = json.loads(posted[0]["body"])
    assert payload["alert"] == FRESHNESS_CHECK and payload["stale_after_hours"] == 48

    # Still the same stale extract a day later: not re-sent.
    again = _freshness(p, smtp, webhook_url, now + timedelta(hours=73), "ops-3")
    assert again.status == "unchanged" and len(inbox.messages) == 1
    assert _remembered(p, FRESHNESS_CHECK) == ["extract"]

    # An extract succeeds: clear and forgotten; stale again later is a new condition.
    p.extract("extract-2")
    fresh = datetime.now(UTC)
    assert _freshness(p, smtp, webhook_url, fresh, "ops-4").status == "clear"
    assert _remembered(p, FRESHNESS_CHECK) == []
    relapse = _freshness(p, smtp, webhook_url, fresh + timedelta(hours=50), "ops-5")
    assert relapse.status == "sent" and len(inbox.messages) == 2 and len(posted) == 2


def test_with_no_channel_nothing_is_remembered(pipeline):
    p = pipeline()
    outcome = check_freshness(
        p.warehouse,
        p.settings,
        AFTER_DEADLINE,
        dag_id="complaints_operations_alerts",
        run_id="ops-1",
        smtp=None,
        recipients=[],
        webhook_url=None,
    )
    assert outcome.status == "off"
    assert _remembered(p, FRESHNESS_CHECK) == []
