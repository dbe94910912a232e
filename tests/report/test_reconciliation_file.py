"""Reading reconciliation.json for the report: only the names the quality step writes, every rule
a rule of the suites, the rules' plain wording from the suites (docs/quality.md)."""

from __future__ import annotations

import json

import pytest

from csc_complaints.dates import FinancialYear
from csc_complaints.quality.suites import DQ_SUITE, load_rules
from csc_complaints.report.reconciliation import ReconciliationFileError, read_reconciliation

from .conftest import passing_rules, write_reconciliation

FY = FinancialYear.parse("2019/20")
CODE = "E06000005"


def _rewrite(path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_the_rules_are_read_rc_first_with_the_files_wording(tmp_path):
    rules = passing_rules()
    write_reconciliation(tmp_path, CODE, rules=list(reversed(rules)), rejected={"DQ04": 1})
    read = read_reconciliation(tmp_path, FY, CODE)
    assert [r.code for r in read.results] == [
        r["code"] for r in rules
    ]  # RC01..RC07, then the row checks
    row_checks = len(load_rules(DQ_SUITE))
    assert [r.is_row_check for r in read.results] == [False] * 7 + [True] * row_checks
    assert read.results[0].rule == "RC01 rule"
    assert read.rejected_rows == {"DQ04": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(results=d.pop("rules")), "expected an object with a 'rules' list"),
        (lambda d: d["rules"][1].pop("rule"), r"rules\[1\] lacks rule"),
        (lambda d: d["rules"][2].update(code="RC99"), r"rules\[2\]: 'RC99' is not a rule"),
        (
            lambda d: d.update(rejected_rows=d.pop("rejected_rows_by_rule")),
            "'rejected_rows_by_rule' must map rule codes to counts",
        ),
        (
            lambda d: d.update(rejected_rows_by_rule={"DQ99": 1}),
            "rejected_rows_by_rule: 'DQ99' is not a rule",
        ),
        (
            lambda d: d.update(rejected_rows_by_rule={"RC02": 1}),
            "rejected_rows_by_rule names RC02, which is not a row check",
        ),
    ],
)
def test_a_file_not_as_the_quality_step_writes_it_is_refused(tmp_path, change, message):
    path = write_reconciliation(tmp_path, CODE)
    _rewrite(path, change)
    with pytest.raises(ReconciliationFileError, match=message):
        read_reconciliation(tmp_path, FY, CODE)


def test_the_annex_names_each_rejecting_rule_in_its_suites_plain_words(
    reference_warehouse, settings, tmp_path
):
    from csc_complaints.db import make_engine
    from csc_complaints.quality.suites import rule_by_code
    from csc_complaints.report.build import build_report

    rules = [
        {**r, "passed": False, "observed": 2} if r["code"] == "DQ04" else r for r in passing_rules()
    ]
    write_reconciliation(tmp_path, CODE, rules=rules, rejected={"DQ04": 2})
    engine = make_engine(reference_warehouse())
    try:
        report = build_report(engine, settings, FY.label, tmp_path)
    finally:
        engine.dispose()
    html = report.html.read_text(encoding="utf-8")
    annex = html[html.rindex("How these figures were checked") :]
    assert rule_by_code("DQ04").summary == "Later dates are not before earlier ones"
    assert "Later dates are not before earlier ones" in annex
