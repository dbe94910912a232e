"""The sign-off step: a blocked year is never offered for approval; demo auto-approval says so."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException

from csc_complaints.report.approval import (
    ReportApprovalOperator,
    YearCannotBeSignedOff,
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


def _operator() -> ReportApprovalOperator:
    return ReportApprovalOperator(
        task_id="approve_report", financial_year="2019/20", subject="Sign off 2019/20"
    )


def test_a_blocked_year_cannot_be_approved_even_automatically(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("COMPLAINTS_AUTO_APPROVE", "true")
    write_reconciliation(tmp_path, settings.council_code, rejected={"DQ04": 2})
    # Failed at once (no retry: a retry cannot fix the data), saying why and what to do.
    with pytest.raises(AirflowFailException, match="2 rejected rows under DQ04") as failed:
        _operator().execute(context={})
    assert isinstance(failed.value.__cause__, YearCannotBeSignedOff)
    assert "What to do: Fix what is listed" in str(failed.value)


def test_demo_auto_approval_approves_and_says_so(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("COMPLAINTS_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("COMPLAINTS_AUTO_APPROVE", "true")
    write_reconciliation(tmp_path, settings.council_code)
    operator = _operator()
    response = operator.execute(context={})
    assert response["chosen_options"] == ["Approve"]
    assert response["responded_by_user"]["id"] == "auto-approve"
    assert operator.hitl_summary_extra["approved"] is True
