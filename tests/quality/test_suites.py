"""The suite files in expectations/: one expectation per rule of docs/quality.md, loadable by GX."""

from __future__ import annotations

import json

import pytest

from csc_complaints.quality.gx_validation import scope_query
from csc_complaints.quality.suites import (
    DQ_SUITE,
    RC_SUITE,
    SuiteError,
    load_rules,
    load_suite_dict,
    suite_path,
)


def test_every_rule_of_quality_md_is_defined_once_with_its_severity():
    dq = load_rules(DQ_SUITE)
    rc = load_rules(RC_SUITE)
    assert [r.code for r in dq] == [f"DQ{i:02d}" for i in range(1, 13)]
    assert [r.code for r in rc] == [f"RC{i:02d}" for i in range(1, 14)]  # RC13: the quarters
    assert {r.code: r.severity for r in rc} == {
        **{f"RC{i:02d}": "critical" for i in range(1, 14)},
        "RC07": "warning",
    }
    assert all(r.severity == "critical" for r in dq)
    for rule in dq + rc:
        assert rule.description.startswith(f"{rule.code}: ")
        assert "{batch} AS scope" in rule.query


def test_suite_files_are_great_expectations_suites():
    from great_expectations.core.expectation_suite import ExpectationSuite

    for name in (DQ_SUITE, RC_SUITE):
        suite = ExpectationSuite(**load_suite_dict(name))
        assert suite.name == name
        assert {e.meta["code"] for e in suite.expectations} == {r.code for r in load_rules(name)}
        assert all(type(e).__name__ == "UnexpectedRowsExpectation" for e in suite.expectations)


def test_a_broken_suite_file_is_refused_with_the_rule_named(tmp_path, monkeypatch):
    from csc_complaints.quality import suites

    broken = json.loads(suite_path(DQ_SUITE).read_text())
    broken["expectations"][4]["kwargs"]["unexpected_rows_query"] = "SELECT 1 WHERE x = :council"
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path)
    with pytest.raises(SuiteError, match=r"bad.json expectation 4 \(DQ05\)"):
        suites.load_suite_dict("bad")


def test_scope_values_cannot_inject_sql():
    assert scope_query({"council_code": "E06000005", "financial_year": "2019/20"}) == (
        "SELECT 'E06000005' AS council_code, '2019/20' AS financial_year"
    )
    with pytest.raises(ValueError, match="council_code"):
        scope_query({"council_code": "E06'; DROP TABLE dq_rejects; --"})


def test_a_rule_gx_cannot_run_is_an_error_naming_the_rule(new_sqlite_database, tmp_path):
    from csc_complaints.quality.gx_validation import ValidationError, validate_suite

    empty = new_sqlite_database()  # no warehouse tables: every query fails
    with pytest.raises(ValidationError, match=r"dq_staging DQ01: .*no such table"):
        scope = {"council_code": "E06000005", "as_of_date": "2020-09-01"}
        validate_suite(empty, DQ_SUITE, scope, "r", tmp_path)


def test_only_rc01_is_council_scoped_and_a_council_rule_may_not_read_the_year(
    tmp_path, monkeypatch
):
    from csc_complaints.quality import suites

    assert [r.code for r in load_rules(RC_SUITE) if r.council_scoped] == ["RC01"]
    assert not any(r.council_scoped for r in load_rules(DQ_SUITE))

    broken = json.loads(suite_path(RC_SUITE).read_text())
    rc02 = broken["expectations"][1]
    rc02["meta"]["scope"] = "council"  # RC02 reads scope.financial_year
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path)
    with pytest.raises(SuiteError, match=r"\(RC02\): a council-scoped query may read only"):
        suites.load_suite_dict("bad")
    rc02["meta"]["scope"] = "year"
    (tmp_path / "bad2.json").write_text(json.dumps(broken))
    with pytest.raises(SuiteError, match=r"\(RC02\): meta.scope may only be 'council'"):
        suites.load_suite_dict("bad2")
    rc01 = broken["expectations"][0]
    rc01["kwargs"]["unexpected_rows_query"] = rc01["kwargs"]["unexpected_rows_query"].replace(
        "FROM council AS k", "FROM {batch} AS scope JOIN council AS k ON k.council_code = 'x'", 1
    )  # a row per year of the batch: RC01 would run, and report, once a year
    (tmp_path / "bad3.json").write_text(json.dumps(broken))
    with pytest.raises(SuiteError, match=r"\(RC01\): a council-scoped query reads the batch as"):
        suites.load_suite_dict("bad3")


def test_a_batch_holds_a_row_per_scope_and_no_scope_twice():
    years = [{"council_code": "E06000005", "financial_year": y} for y in ("2019/20", "2020/21")]
    assert scope_query(years) == (
        "SELECT 'E06000005' AS council_code, '2019/20' AS financial_year\nUNION ALL\n"
        "SELECT 'E06000005' AS council_code, '2020/21' AS financial_year"
    )
    with pytest.raises(ValueError, match="the same scope twice"):
        scope_query(years + years[:1])
    with pytest.raises(ValueError, match="the same columns"):
        scope_query([years[0], {"council_code": "E06000005"}])
    with pytest.raises(ValueError, match="at least one scope"):
        scope_query([])


def test_validation_sessions_on_postgresql_run_without_jit(new_postgres_database, tmp_path):
    from sqlalchemy import text

    from csc_complaints.quality.gx_validation import _add_datasource, _context

    # The URL's own libpq options are kept alongside.
    url = new_postgres_database() + "?options=-c%20work_mem%3D8MB"
    datasource = _add_datasource(_context(tmp_path), url)
    with datasource.get_engine().connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"
        assert conn.execute(text("SHOW work_mem")).scalar() == "8MB"


def test_rule_metadata_comes_from_the_suites_alone():
    from csc_complaints.quality.suites import rule_by_code

    for name, row_check in ((DQ_SUITE, True), (RC_SUITE, False)):
        for rule in load_rules(name):
            assert rule_by_code(rule.code) is rule
            assert rule.is_row_check is row_check  # the kind is the suite, not the code's letters
            assert rule.summary and not rule.summary.startswith(rule.code)
    assert rule_by_code("DQ04").summary == "Later dates are not before earlier ones"
    with pytest.raises(KeyError, match="'XX01' is not a rule of dq_staging or rc_warehouse"):
        rule_by_code("XX01")


def test_a_rule_without_its_plain_summary_is_refused(tmp_path, monkeypatch):
    from csc_complaints.quality import suites

    broken = json.loads(suite_path(RC_SUITE).read_text())
    del broken["expectations"][2]["meta"]["summary"]
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path)
    with pytest.raises(SuiteError, match=r"\(RC03\): meta.summary .* is missing"):
        suites.load_suite_dict("bad")


def test_every_rule_has_one_plain_sentence_and_names_the_figures_it_compares():
    """The report's annex, for a member of the public (issue 13.3): one plain sentence per
    rule, without the engineering words; an RC rule also gives the figures it compares."""
    for name in (DQ_SUITE, RC_SUITE):
        for rule in load_rules(name):
            plain = rule.plain_english
            assert plain[:1].isupper() and plain.endswith(".") and plain.count(". ") == 0, plain
            assert "_" not in plain and "fact table" not in plain, (rule.code, plain)
            if not rule.is_row_check:
                assert "{batch} AS scope" in rule.compared_query, rule.code


@pytest.mark.parametrize(
    ("key", "message"),
    [("plain_english", r"\(RC03\): meta.plain_english .* is missing")],
)
def test_a_rule_without_its_public_wording_is_refused(tmp_path, monkeypatch, key, message):
    from csc_complaints.quality import suites

    broken = json.loads(suite_path(RC_SUITE).read_text())
    del broken["expectations"][2]["meta"][key]
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path)
    with pytest.raises(SuiteError, match=message):
        suites.load_suite_dict("bad")


def test_a_reconciliation_rule_without_its_compared_query_is_refused(tmp_path, monkeypatch):
    from csc_complaints.quality import suites

    broken = json.loads(suite_path(RC_SUITE).read_text())
    del broken["expectations"][2]["meta"]["compared_query"]
    (tmp_path / f"{RC_SUITE}.json").write_text(json.dumps(broken))
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path)
    suites.load_suite_dict.cache_clear()
    try:
        with pytest.raises(SuiteError, match=r"\(RC03\): meta.compared_query .* is missing"):
            suites.load_suite_dict(RC_SUITE)
    finally:
        suites.load_suite_dict.cache_clear()
