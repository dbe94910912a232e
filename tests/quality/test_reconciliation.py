"""Each RC rule: a warehouse that breaks exactly that rule makes exactly that rule fire, with
the expected and observed figures; reconciliation.json lists it; RC07 watches published years."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import text

from csc_complaints.quality import record_published_figures
from csc_complaints.quality.suites import DQ_SUITE, RC_SUITE, load_rules
from tests.quality.dataset import execute

C = "council_code = 'E06000005' AND financial_year = '2019/20'"

# rule -> SQL that makes the built warehouse break only that rule (as a faulty build would)
CORRUPTIONS = {
    "RC01": ["DELETE FROM fact_feedback WHERE feedback_id = 202"],
    "RC02": [
        f"UPDATE stats_received_by_team SET received = received + 1 WHERE {C}"
        " AND stage = 1 AND team = 'Fostering'"
    ],
    "RC03": [
        f"UPDATE stats_headlines SET value = value + 1 WHERE {C}"
        " AND measure = 'complaints_received'",
        f"UPDATE stats_issues SET complaints = complaints + 1 WHERE {C}"
        " AND issue = 'communication'",
        f"UPDATE stats_complaints_by_relationship SET complaints = complaints + 1 WHERE {C}"
        " AND relationship = 'parent'",
        f"UPDATE stats_complaints_by_channel SET complaints = complaints + 1 WHERE {C}"
        " AND channel = 'email'",
    ],
    "RC04": [
        f"UPDATE stats_issues SET complaints = complaints + 1 WHERE {C}"
        " AND issue = 'staff_attitude'"
    ],
    "RC05": [
        f"UPDATE stats_outcomes_by_team SET decisions = decisions + 1 WHERE {C}"
        " AND stage = 2 AND outcome = 'partially_upheld'"
    ],
    "RC06": [
        f"UPDATE stats_timeliness SET responses = responses + 1 WHERE {C}"
        " AND measure = 'stage1_within_20wd'",
        # (and in a quarter, so the quarters still sum to the year: RC13 holds)
        f"UPDATE stats_quarterly_timeliness SET responses = responses + 1 WHERE {C}"
        " AND measure = 'stage1_within_20wd' AND quarter = (SELECT MIN(q.quarter)"
        f" FROM stats_quarterly_timeliness q WHERE q.{C.replace(' AND ', ' AND q.')}"
        " AND q.measure = 'stage1_within_20wd')",
    ],
    "RC13": [
        f"UPDATE stats_quarterly_stages SET received = received + 1 WHERE {C}"
        " AND stage = 1 AND quarter = (SELECT MIN(q.quarter) FROM stats_quarterly_stages q"
        f" WHERE q.{C.replace(' AND ', ' AND q.')} AND q.stage = 1)"
    ],
    "RC08": [
        f"UPDATE stats_complaints_by_channel SET complaints = complaints + 1 WHERE {C}"
        " AND channel = 'email'"
    ],
    "RC09": [f"UPDATE stats_escalation SET complaints = complaints + 1 WHERE {C} AND stage = 1"],
    "RC10": [f"UPDATE stats_response_days SET responses = responses - 1 WHERE {C} AND stage = 2"],
    "RC11": [
        f"UPDATE stats_ombudsman_decisions SET maladministration = 0 WHERE {C}"
        " AND decision = 'upheld'"
    ],
    "RC12": [
        f"UPDATE stats_learning_actions SET agreed = agreed + 1 WHERE {C} AND team = 'Fostering'"
    ],
}

# rule -> the discrepancy's message when CORRUPTIONS breaks it (the small dataset's figures).
NEW_RULE_MESSAGES = {
    "RC08": "RC08 2019/20: complaints by channel sum to 6, complaints received 5",
    "RC09": "RC09 2019/20 stage 1: escalation counts 6 complaints, of which 1 escalated;"
    " stage received 5",
    "RC10": "RC10 2019/20 stage 2: response times count 0 responses, stage decisions 1",
    "RC11": "RC11 2019/20: Ombudsman decisions by outcome sum to 0 maladministration,"
    " maladministration decisions 1",
    "RC12": "RC12 2019/20: learning actions by team sum to 3 agreed (1 completed),"
    " learning actions agreed 2",
}


def _built(pipeline):
    p = pipeline()
    p.extract("run-1")
    assert not p.row_checks("run-1").failed_rules
    build = p.build("run-1")
    return p, build


@pytest.mark.parametrize("code", sorted(CORRUPTIONS))
def test_breaking_one_reconciliation_rule_fires_only_that_rule(pipeline, code):
    p, build = _built(pipeline)
    execute(p.warehouse, *CORRUPTIONS[code])
    result = p.reconcile("run-2", build.changed_years)

    year = result.years["2019/20"]
    assert [r.code for r in year.failed_rules] == [code], result.summary()
    assert [(y, r.code) for y, r in result.critical_failures] == [("2019/20", code)]
    failed = year.failed_rules[0]
    assert failed.discrepancies and failed.expected != failed.observed
    for d in failed.discrepancies:
        assert d["message"].startswith(code)
        assert d["expected"] != d["observed"]
    assert code in result.summary()

    written = json.loads((p.output / "2019-20" / "reconciliation.json").read_text())
    assert written["financial_year"] == "2019/20"
    assert written["critical_failures"] == [code]
    assert written["draft"] is True
    by_code = {rule["code"]: rule for rule in written["rules"]}
    assert set(by_code) == {r.code for suite in (RC_SUITE, DQ_SUITE) for r in load_rules(suite)}
    assert by_code[code]["passed"] is False
    assert by_code[code]["severity"] == "critical"
    assert by_code[code]["expected"] == failed.expected
    assert by_code[code]["observed"] == failed.observed
    assert all(rule["passed"] for c, rule in by_code.items() if c != code)
    assert written["data_docs"] and (p.output / "data-docs" / "index.html").exists()

    # The report reads the same file and refuses sign-off, naming the rule.
    from csc_complaints.dates import FinancialYear
    from csc_complaints.report.reconciliation import read_reconciliation

    as_read = read_reconciliation(p.output, FinancialYear.parse("2019/20"), "E06000005")
    assert as_read.blocking_reasons() == [
        f"{code} failed (critical): expected {failed.expected}, observed {failed.observed}"
    ]


def test_rc13_names_the_year_the_figure_and_both_values(pipeline):
    p, build = _built(pipeline)
    execute(p.warehouse, *CORRUPTIONS["RC13"])
    (rc13,) = p.reconcile("run-2", build.changed_years).years["2019/20"].failed_rules
    (discrepancy,) = rc13.discrepancies
    year = discrepancy["expected"]
    assert discrepancy["observed"] == year + 1
    assert discrepancy["message"] == (
        f"RC13 2019/20 stage1_received: the year {year}, its quarters sum to {year + 1}"
    )
    # Cases past target never outnumber the cases open at a quarter's end.
    execute(
        p.warehouse,
        f"UPDATE stats_quarterly_stages SET received = received - 1 WHERE {C}"
        " AND stage = 1 AND quarter = (SELECT MIN(q.quarter) FROM stats_quarterly_stages q"
        f" WHERE q.{C.replace(' AND ', ' AND q.')} AND q.stage = 1)",
        f"UPDATE stats_quarterly_open SET past_target = open_cases + 1 WHERE {C}"
        " AND quarter = 2 AND stage = 1",
    )
    (rc13,) = p.reconcile("run-3", build.changed_years).years["2019/20"].failed_rules
    assert [d["message"] for d in rc13.discrepancies] == [
        "RC13 2019/20 Q2 stage 1: past target "
        f"{rc13.discrepancies[0]['observed']} is not between 0 and the open cases "
        f"{rc13.discrepancies[0]['expected']}"
    ]


def test_rc02_message_names_the_figures(pipeline):
    p, build = _built(pipeline)
    execute(p.warehouse, *CORRUPTIONS["RC02"])
    rc02 = next(
        r for r in p.reconcile("run-2", ["2019/20"]).years["2019/20"].rules if r.code == "RC02"
    )
    # Stage 1 in 2019/20: five stage 1 rows (101, 102, 103, 106, 107); Fostering now says +1.
    assert [d["message"] for d in rc02.discrepancies] == [
        "RC02 2019/20 stage 1: teams sum to 6, service areas sum to 6, council total 5, "
        "fact table counts 5"
    ]
    assert (rc02.expected, rc02.observed) == (5, 6)


def test_restatement_of_a_published_year_warns_with_old_and_new_figures(pipeline):
    p, build = _built(pipeline)
    assert not p.reconcile("run-1", build.changed_years).years["2019/20"].failed_rules
    stored = record_published_figures(p.warehouse, "E06000005", "2019/20", run_id="report-1")
    assert stored > 0

    # A late edit to the closed year: comment 202 was really a compliment.
    execute(
        p.source,
        "UPDATE feedback SET kind = 'compliment', updated_at = '2020-10-01 10:00:00.000000'"
        " WHERE feedback_id = 202",
    )
    p.extract("run-2", now=datetime(2020, 10, 2, 8, 0))
    assert not p.row_checks("run-2").failed_rules
    build = p.build("run-2")
    assert build.changed_years == ("2019/20",)
    result = p.reconcile("run-2", build.changed_years)

    year = result.years["2019/20"]
    assert [r.code for r in year.failed_rules] == ["RC07"]
    assert result.critical_failures == []  # a warning: the run goes on
    assert [(y, r.code) for y, r in result.warnings] == [("2019/20", "RC07")]
    messages = sorted(d["message"] for d in year.failed_rules[0].discrepancies)
    assert messages == [
        "RC07 2019/20 stats_feedback_by_team kind=comment;team=Fostering: published 1, now 0",
        "RC07 2019/20 stats_feedback_by_team kind=compliment;team=Fostering: published 0, now 1",
        "RC07 2019/20 stats_headlines comments_received: published 1, now 0",
        "RC07 2019/20 stats_headlines compliments_received: published 1, now 2",
    ]
    assert not year.draft  # a warning alone does not keep the year a draft

    # Publishing the restated figures makes them the new reference.
    record_published_figures(p.warehouse, "E06000005", "2019/20", run_id="report-2")
    assert not p.reconcile("run-3", ["2019/20"]).years["2019/20"].failed_rules


def test_a_rejected_stage_keeps_its_complaints_earlier_year_a_draft(pipeline):
    """Stage 2 of complaint 1 (received 2019/20) is requested in 2020/21 and breaks DQ05: the
    whole complaint is held back, so 2019/20 loses it and must stay a DRAFT, not only 2020/21."""
    p = pipeline()
    execute(
        p.source,
        "INSERT INTO complaint_stages (stage_id, complaint_id, stage, team_id, requested_date,"
        " extension_agreed, response_date, outcome, updated_at)"
        " VALUES (109, 1, 2, 1, '2020-05-04', 0, NULL, 'upheld', '2020-05-05 09:00:00')",
    )
    p.extract("extract-1", now=datetime(2020, 6, 1, 9, 0))
    checks = p.row_checks("extract-1")
    assert [r.code for r in checks.critical_failures] == ["DQ05"]
    build = p.build("warehouse-1")
    result = p.reconcile("warehouse-1", build.changed_years)
    # 2020/21 holds nothing else, so it has no figures to reconcile; 2019/20 lost complaint 1.
    assert "2019/20" in build.changed_years
    written = json.loads((p.output / "2019-20" / "reconciliation.json").read_text())
    assert written["draft"] is True
    assert written["rejected_rows_by_rule"] == {"DQ05": 1}
    assert not [rule for _year, rule in result.critical_failures]


def test_a_council_wide_rule_runs_once_and_every_year_reports_it(pipeline):
    p, build = _built(pipeline)
    years = ["2018/19", *build.financial_years]  # a year without data reconciles too
    execute(p.warehouse, *CORRUPTIONS["RC01"])
    result = p.reconcile("run-2", years)

    # One validation for every year (RC01 reads the council once in it), as GX stored it.
    stored = list((p.output / "gx-validation-results" / "rc_warehouse" / "run-2").rglob("*.json"))
    assert len(stored) == 1
    written = {}
    for year in years:
        rec = result.years[year]
        assert [r.code for r in rec.failed_rules] == ["RC01"], result.summary()
        data = json.loads(rec.path.read_text())
        rc01 = next(rule for rule in data["rules"] if rule["code"] == "RC01")
        assert rc01["passed"] is False and rc01["discrepancies"]
        written[year] = rc01["discrepancies"]
        # Every year points at the one validation's page.
        assert data["data_docs"] and data["data_docs"] == result.years[years[0]].data_docs_page
    assert all(d == written[years[0]] for d in written.values())
    assert "feedback" in written[years[0]][0]["message"]


def test_rc01_names_the_rows_it_cannot_account_for_and_the_alert_lists_them(pipeline):
    """A count that does not add up names its table and the staged rows that are neither
    loaded, rejected nor held back, with their complaint's reference where they have one."""
    from csc_complaints.quality.alerts import compose_alert, failing_units

    p, build = _built(pipeline)
    execute(
        p.warehouse,
        "DELETE FROM fact_feedback WHERE feedback_id = 202",
        "DELETE FROM fact_learning_actions WHERE action_id = 401",
    )
    result = p.reconcile("run-2", build.changed_years)
    rc01 = next(r for r in result.years["2019/20"].failed_rules if r.code == "RC01")
    messages = [d["message"] for d in rc01.discrepancies]
    suffix = ", staged but neither loaded, rejected nor held back"
    assert messages == [
        "RC01 feedback: source holds 2 rows (not deleted), warehouse accounts for 1 (loaded 1,"
        " rejected 0, held back 0)",
        "RC01 feedback: unaccounted for: feedback_id 202" + suffix,
        "RC01 learning_actions: source holds 2 rows (not deleted), warehouse accounts for 1"
        " (loaded 1, rejected 0, held back 0)",
        "RC01 learning_actions: unaccounted for: action_id 401 (CSC-2019-0001)" + suffix,
    ]
    _, units = failing_units(result)
    _, text, _ = compose_alert(result, "complaints_warehouse", "run-2", units, [])
    assert "RC01 learning_actions: unaccounted for: action_id 401 (CSC-2019-0001)" in text


@pytest.mark.parametrize("code", sorted(NEW_RULE_MESSAGES))
def test_the_newer_tables_rules_name_their_figures_in_the_alert(pipeline, code):
    """RC08-RC12 (relationship and channel, escalation, response days, Ombudsman decisions,
    learning actions): the clean build passes them; a broken figure fails exactly that rule,
    and the alert quotes the expected and the observed figure."""
    from csc_complaints.quality.alerts import compose_alert, failing_units

    p, build = _built(pipeline)
    clean = p.reconcile("run-1", build.changed_years)
    assert not clean.years["2019/20"].failed_rules, clean.summary()
    execute(p.warehouse, *CORRUPTIONS[code])
    result = p.reconcile("run-2", build.changed_years)
    failed = result.years["2019/20"].failed_rules
    assert [r.code for r in failed] == [code], result.summary()
    assert [d["message"] for d in failed[0].discrepancies] == [NEW_RULE_MESSAGES[code]]
    _, units = failing_units(result)
    _, text, payload = compose_alert(result, "complaints_warehouse", "run-2", units, [])
    assert NEW_RULE_MESSAGES[code] in text
    assert f"expected {failed[0].expected}" in text and f"observed {failed[0].observed}" in text


def test_a_rule_that_holds_records_the_two_figures_it_compared(pipeline):
    """So the report's annex shows both numbers for every check, never a blank (issue 13.3):
    each RC rule that holds records its suite's compared figures, read here from the stats."""
    p, build = _built(pipeline)
    result = p.reconcile("run-2", build.changed_years)
    year = result.years["2019/20"]
    assert not year.failed_rules, result.summary()
    by_code = {r.code: r for r in year.rules}

    def query(statement: str) -> list:
        with p.warehouse.connect() as conn:
            return list(conn.execute(text(statement)))

    stats = dict(query(f"SELECT measure, value FROM stats_headlines WHERE {C}"))

    def total(table: str, column: str) -> int:
        return int(query(f"SELECT SUM({column}) FROM {table} WHERE {C}")[0][0])

    received = sum(stats[f"stage{n}_received"] for n in (1, 2, 3))
    decisions = sum(stats[f"stage{n}_decisions"] for n in (1, 2, 3))
    expected = {
        "RC02": (received, total("stats_received_by_team", "received")),
        "RC03": (stats["complaints_received"], stats["stage1_received"]),
        "RC04": (stats["complaints_received"], total("stats_issues", "complaints")),
        "RC05": (decisions, total("stats_outcomes_by_team", "decisions")),
        "RC07": (0, 0),  # not published yet: no published figure to compare
    }
    for code, figures in expected.items():
        assert (by_code[code].expected, by_code[code].observed) == figures, code
    source_rows = int(
        query("SELECT SUM(r.source_rows) FROM etl_extract_runs r WHERE r.run_id = 'run-1'")[0][0]
    )
    assert by_code["RC01"].expected == by_code["RC01"].observed == source_rows > 0
    # RC06: each stage's responses measured against its timescale (an extended timescale, which
    # measures the same responses, is not counted twice) and the stage's decisions.
    assert (by_code["RC06"].expected, by_code["RC06"].observed) == (decisions, decisions)
    for rule in year.rules:
        assert rule.expected is not None and rule.observed is not None, rule.code
    written = json.loads((p.output / "2019-20" / "reconciliation.json").read_text())
    figures = {r["code"]: (r["expected"], r["observed"]) for r in written["rules"]}
    assert figures["RC03"] == expected["RC03"]
    assert all(r["expected"] is not None for r in written["rules"])
