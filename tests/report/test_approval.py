"""The sign-off step, per council: a blocked year is never offered for approval; the request is
limited to the council's approvers; demo auto-approval says so; draft-only leaves the DRAFT."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException, TaskAwaitingInput

from csc_complaints.councils import REGISTRY_FILE_VARIABLE
from csc_complaints.report.approval import (
    ReportApprovalOperator,
    YearCannotBeSignedOff,
    assigned_users,
    auto_approve_enabled,
    sign_off_blockers,
)

from .conftest import passing_rules, write_reconciliation


@pytest.mark.parametrize(
    ("value", "enabled"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("false", False), ("", False)],
)
def test_auto_approve_switch(value, enabled):
    assert auto_approve_enabled({"COMPLAINTS_AUTO_APPROVE": value}) is enabled
    assert auto_approve_enabled({}) is False


def test_blockers_name_each_problem(tmp_path, settings):
    assert sign_off_blockers(tmp_path, "2019/20", settings.council_code) == [
        f"the year has not been reconciled ({tmp_path / '2019-20' / 'reconciliation.json'} "
        "does not exist)"
    ]
    rules = [
        {**r, "passed": False, "expected": 57, "observed": 56} if r["code"] == "RC03" else r
        for r in passing_rules()
    ]
    write_reconciliation(tmp_path, settings.council_code, rules=rules, rejected={"DQ02": 1})
    assert sign_off_blockers(tmp_path, "2019/20", settings.council_code) == [
        "RC03 failed (critical): expected 57, observed 56",
        "1 rejected row under DQ02",
    ]


NORTHMOOR = "E06000999"
TWO_COUNCILS = f"""
[[council]]
code = "E06000005"
name = "Darlington Borough Council"
short_name = "Darlington"
source_conn_id = "complaints_source"
approvers = ["cm.darlington", "deputy.darlington"]

[[council]]
code = "{NORTHMOOR}"
name = "Northmoor Council"
short_name = "Northmoor"
source_conn_id = "complaints_source_northmoor"
"""


def _operator(council_code: str) -> ReportApprovalOperator:
    return ReportApprovalOperator(
        task_id="approve_report",
        financial_year="2019/20",
        council_code=council_code,
        subject="Sign off 2019/20",
    )


@pytest.fixture
def two_councils(tmp_path, monkeypatch):
    """A registry of two councils, outputs under tmp_path/<code>; auto-approval off."""
    registry = tmp_path / "councils.toml"
    registry.write_text(TWO_COUNCILS)
    monkeypatch.setenv(REGISTRY_FILE_VARIABLE, str(registry))
    monkeypatch.setenv("COMPLAINTS_OUTPUT_DIR", str(tmp_path))
    monkeypatch.delenv("COMPLAINTS_AUTO_APPROVE", raising=False)
    monkeypatch.delenv("COMPLAINTS_REPORT_DRAFT_ONLY", raising=False)
    return tmp_path


def test_a_blocked_year_cannot_be_approved_even_automatically(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("COMPLAINTS_AUTO_APPROVE", "true")
    # The council's own folder: <output>/<council_code>/<YYYY-YY>/.
    write_reconciliation(
        tmp_path / settings.council_code, settings.council_code, rejected={"DQ04": 2}
    )
    # Failed at once (no retry: a retry cannot fix the data), saying why and what to do.
    with pytest.raises(AirflowFailException, match="2 rejected rows under DQ04") as failed:
        _operator(settings.council_code).execute(context={})
    assert isinstance(failed.value.__cause__, YearCannotBeSignedOff)
    assert f"({settings.council_code}) stays a DRAFT" in str(failed.value)
    assert "What to do: Fix what is listed" in str(failed.value)


def test_demo_auto_approval_approves_and_says_so(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("COMPLAINTS_AUTO_APPROVE", "true")
    write_reconciliation(tmp_path / settings.council_code, settings.council_code)
    operator = _operator(settings.council_code)
    response = operator.execute(context={})
    assert response["chosen_options"] == ["Approve"]
    assert response["responded_by_user"]["id"] == "auto-approve"
    assert operator.hitl_summary_extra["approved"] is True


def test_each_council_is_judged_on_its_own_year(two_councils, settings, monkeypatch):
    """Northmoor's rejected rows block Northmoor's sign-off only; Darlington's is approved."""
    monkeypatch.setenv("COMPLAINTS_AUTO_APPROVE", "true")
    write_reconciliation(two_councils / settings.council_code, settings.council_code)
    write_reconciliation(two_councils / NORTHMOOR, NORTHMOOR, rejected={"DQ02": 1})
    with pytest.raises(AirflowFailException, match=r"Northmoor \(E06000999\) stays a DRAFT"):
        _operator(NORTHMOOR).execute(context={})
    assert _operator(settings.council_code).execute(context={})["chosen_options"] == ["Approve"]


def test_the_request_is_limited_to_the_councils_approvers(two_councils, settings, monkeypatch):
    """Registry approvers become HITL assigned users (ids of Airflow users); none: anyone."""
    assert assigned_users(()) is None
    sent = []
    monkeypatch.setattr(
        "airflow.providers.standard.operators.hitl.upsert_hitl_detail",
        lambda **request: sent.append(request),
    )
    write_reconciliation(two_councils / settings.council_code, settings.council_code)
    write_reconciliation(two_councils / NORTHMOOR, NORTHMOOR)
    context = {"task_instance": type("TI", (), {"id": "ti-1"})()}
    for code in (settings.council_code, NORTHMOOR):
        with pytest.raises(TaskAwaitingInput):  # the task now waits for a person
            _operator(code).execute(context=context)
    darlington, northmoor = sent
    assert darlington["assigned_users"] == [
        {"id": "cm.darlington", "name": "cm.darlington"},
        {"id": "deputy.darlington", "name": "deputy.darlington"},
    ]
    assert northmoor["assigned_users"] is None


def test_draft_only_leaves_the_draft_for_a_person(two_councils, settings, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_REPORT_DRAFT_ONLY", "true")
    write_reconciliation(two_councils / NORTHMOOR, NORTHMOOR)
    with pytest.raises(AirflowSkipException, match=r"2019/20 report of Northmoor \(E06000999\)"):
        _operator(NORTHMOOR).execute(context={})
