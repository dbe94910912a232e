"""RuleVerdicts: the one definition of failed rules, critical failures, warnings and rejected rows
that the row checks' result and each year's reconciliation share; a rule's kind (DQ or RC) is its
suite's."""

from __future__ import annotations

from csc_complaints.quality.reconciliation import ReconciliationResult, YearReconciliation
from csc_complaints.quality.results import RuleResult
from csc_complaints.quality.row_checks import RowCheckResult


def _rule(code, passed, severity="critical", observed=None) -> RuleResult:
    return RuleResult(code, severity, f"{code}: rule", passed, observed=observed)


RULES = [
    _rule("RC02", passed=False),
    _rule("RC07", passed=False, severity="warning"),
    _rule("RC03", passed=True),
    _rule("DQ04", passed=False, observed=2),
    _rule("DQ05", passed=True, observed=0),
]


def test_a_year_and_the_row_checks_judge_their_rules_alike():
    year = YearReconciliation("2019/20", RULES)
    checks = RowCheckResult("E06000005", "run-1", "2020-09-01", RULES)
    for verdicts in (year, checks):
        assert [r.code for r in verdicts.failed_rules] == ["RC02", "RC07", "DQ04"]
        assert [r.code for r in verdicts.critical_failures] == ["RC02", "DQ04"]
        assert [r.code for r in verdicts.warnings] == ["RC07"]
        assert verdicts.rejected_counts == {"DQ04": 2}  # DQ rules only: rows, not figures
    assert year.draft


def test_a_reconciliation_fails_its_task_on_rc_rules_only():
    result = ReconciliationResult(
        "E06000005", "run-1", {"2019/20": YearReconciliation("2019/20", RULES)}
    )
    # The year's DQ failure was the row checks' to fail on; the reconciliation reports it.
    assert [(y, r.code) for y, r in result.critical_failures] == [("2019/20", "RC02")]
    assert [(y, r.code) for y, r in result.warnings] == [("2019/20", "RC07")]
    assert RULES[3].is_row_check and not RULES[0].is_row_check
    assert "rejected_rows_by_table" in RULES[3].as_json()
    assert "discrepancies" in RULES[0].as_json()
