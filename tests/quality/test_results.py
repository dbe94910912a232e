"""A rule's verdict as logs, alerts and ``reconciliation.json`` read it: the one-line headline
and the JSON form, for a DQ rule (rejected rows) and an RC rule (discrepancies), with the rules'
own codes, severities and wording from the suites in ``expectations/``."""

from __future__ import annotations

import json

from csc_complaints.quality.results import RejectedRow, RuleResult
from csc_complaints.quality.suites import DQ_SUITE, RC_SUITE, load_rules


def _rule(suite: str, severity: str):
    return next(rule for rule in load_rules(suite) if rule.severity == severity)


def _dq_result(rejected_by_table: dict[str, int], severity: str = "critical") -> RuleResult:
    rule = _rule(DQ_SUITE, severity)
    observed = sum(rejected_by_table.values())
    return RuleResult(
        code=rule.code,
        severity=rule.severity,
        description=rule.description,
        passed=observed == 0,
        expected=0,
        observed=observed,
        rejected_by_table=rejected_by_table,
        messages=[f"row {n}" for n in range(observed)],
    )


def _rc_result(discrepancies: list[dict], severity: str = "critical") -> RuleResult:
    rule = _rule(RC_SUITE, severity)
    first = discrepancies[0] if discrepancies else {}
    return RuleResult(
        code=rule.code,
        severity=rule.severity,
        description=rule.description,
        passed=not discrepancies,
        expected=first.get("expected"),
        observed=first.get("observed"),
        discrepancies=discrepancies,
    )


def _discrepancy(n: int) -> dict:
    return {"expected": 56, "observed": 56 + n, "message": f"stage 1: teams sum to {56 + n}"}


def test_dq_headline_counts_the_rejected_rows_by_table_in_name_order():
    result = _dq_result({"complaints": 2, "complaint_stages": 1})
    assert result.headline() == (
        f"{result.description} (critical): expected 0 rejected rows, observed 3 "
        "(complaint_stages 1, complaints 2)"
    )
    assert result.critical


def test_dq_headline_of_a_passing_rule_names_no_table():
    result = _dq_result({})
    assert result.headline() == (
        f"{result.description} (critical): expected 0 rejected rows, observed 0"
    )


def test_rc_headline_counts_discrepancies_in_words():
    assert _rc_result([_discrepancy(1)]).headline().endswith("(critical): 1 discrepancy")
    assert (
        _rc_result([_discrepancy(1), _discrepancy(2)])
        .headline()
        .endswith("(critical): 2 discrepancies")
    )
    assert _rc_result([]).headline().endswith("(critical): 0 discrepancies")


def test_severity_decides_critical():
    warning = _rc_result([_discrepancy(1)], severity="warning")
    assert not warning.critical
    assert warning.headline() == f"{warning.description} (warning): 1 discrepancy"


def test_dq_json_carries_the_rejected_rows_by_table_and_each_row_by_reference():
    result = _dq_result({"feedback": 1, "complaints": 2})
    rejects = [
        RejectedRow(result.code, "complaints", "4", "complaints 4: m", "CSC-2019-0004"),
        RejectedRow(result.code, "feedback", "9", "feedback 9: m"),
    ]
    result.rejected_rows = [r.as_json() for r in rejects]
    data = result.as_json()
    assert data == {
        "code": result.code,
        "severity": "critical",
        "rule": result.description,
        "passed": False,
        "expected": 0,
        "observed": 3,
        "rejected_rows_by_table": {"complaints": 2, "feedback": 1},
        "rejected_rows": [
            {
                "reference": "CSC-2019-0004",
                "source_table": "complaints",
                "source_key": "4",
                "message": "complaints 4: m",
            },
            {
                "reference": None,
                "source_table": "feedback",
                "source_key": "9",
                "message": "feedback 9: m",
            },
        ],
    }
    assert list(data["rejected_rows_by_table"]) == ["complaints", "feedback"]  # sorted
    assert json.loads(json.dumps(data)) == data  # plain JSON: no Python objects
    assert [r.named for r in rejects] == ["[CSC-2019-0004] complaints 4: m", "feedback 9: m"]


def test_rc_json_carries_every_discrepancy():
    discrepancies = [_discrepancy(1), _discrepancy(3)]
    result = _rc_result(discrepancies)
    assert result.as_json() == {
        "code": result.code,
        "severity": "critical",
        "rule": result.description,
        "passed": False,
        "expected": 56,
        "observed": 57,
        "discrepancies": discrepancies,
    }
