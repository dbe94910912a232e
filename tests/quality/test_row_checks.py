"""Each DQ rule: a source that breaks exactly that rule makes exactly that rule fire, naming
the right record, while every other row still loads and counts. The clean source passes all.

Longer than 400 lines because every rule's cases live here side by side, on the same seeded
lax source, and each rewritten rule query is held here to its yardstick's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from csc_complaints.quality.suites import DQ_SUITE, load_rules
from csc_complaints.warehouse.schema import STAGING, dq_rejects, stats_headlines
from tests.quality.dataset import execute

# rule -> (SQL that breaks the clean source, the rejected rows it must produce)
BREAKS: dict[str, tuple[list[str], set[tuple[str, str]]]] = {
    "DQ01-key": (
        ["INSERT INTO feedback SELECT * FROM feedback WHERE feedback_id = 202"],
        {("feedback", "202")},
    ),
    "DQ01-reference": (
        ["UPDATE complaints SET reference = 'CSC-2019-0004' WHERE complaint_id = 5"],
        {("complaints", "4"), ("complaints", "5")},
    ),
    "DQ02-missing": (
        ["UPDATE feedback SET received_date = NULL WHERE feedback_id = 202"],
        {("feedback", "202")},
    ),
    "DQ02-unparseable": (
        ["UPDATE ombudsman_cases SET decision_date = '2019-10-32' WHERE ombudsman_case_id = 301"],
        {("ombudsman_cases", "301")},
    ),
    "DQ02-not-a-date": (
        ["UPDATE learning_actions SET completed_date = '1st Sept' WHERE action_id = 402"],
        {("learning_actions", "402")},
    ),
    "DQ02-future": (
        ["UPDATE complaint_stages SET response_date = '2021-01-04' WHERE stage_id = 102"],
        {("complaint_stages", "102")},
    ),
    "DQ03-stage-4": (
        [
            "INSERT INTO complaint_stages (stage_id, complaint_id, stage, team_id, requested_date,"
            " extension_agreed, updated_at) VALUES (109, 1, 4, 1, '2019-06-01', 0,"
            " '2019-10-01 09:00:00.000000')"
        ],
        {("complaint_stages", "109")},
    ),
    "DQ03-twice": (
        [
            "INSERT INTO complaint_stages (stage_id, complaint_id, stage, team_id, requested_date,"
            " extension_agreed, response_date, outcome, updated_at) VALUES (110, 2, 1, 1,"
            " '2019-05-02', 0, '2019-05-21', 'upheld', '2019-10-01 09:00:00.000000')"
        ],
        {("complaint_stages", "102"), ("complaint_stages", "110")},
    ),
    "DQ04-response-before-request": (
        ["UPDATE complaint_stages SET response_date = '2019-04-20' WHERE stage_id = 102"],
        {("complaint_stages", "102")},
    ),
    "DQ04-panel-order": (
        ["UPDATE complaint_stages SET panel_report_date = '2019-07-05' WHERE stage_id = 105"],
        {("complaint_stages", "105")},
    ),
    "DQ05-outcome-without-response": (
        ["UPDATE complaint_stages SET outcome = 'upheld' WHERE stage_id = 106"],
        {("complaint_stages", "106")},
    ),
    "DQ05-response-without-outcome": (
        ["UPDATE complaint_stages SET outcome = NULL WHERE stage_id = 101"],
        {("complaint_stages", "101")},
    ),
    "DQ06-channel": (
        ["UPDATE complaints SET channel = 'carrier pigeon' WHERE complaint_id = 1"],
        {("complaints", "1")},
    ),
    # The complainant's relationship travels with the complaint: the complaint is rejected.
    "DQ06-relationship": (
        ["UPDATE complainants SET relationship = 'neighbour' WHERE complainant_id = 3"],
        {("complaints", "3")},
    ),
    "DQ06-outcome": (
        ["UPDATE complaint_stages SET outcome = 'resolved' WHERE stage_id = 102"],
        {("complaint_stages", "102")},
    ),
    "DQ06-kind": (
        ["UPDATE feedback SET kind = 'complaint' WHERE feedback_id = 201"],
        {("feedback", "201")},
    ),
    "DQ07-team": (
        ["UPDATE complaint_stages SET team_id = 99 WHERE stage_id = 102"],
        {("complaint_stages", "102")},
    ),
    "DQ07-issue": (
        ["UPDATE complaints SET issue = 'parking' WHERE complaint_id = 2"],
        {("complaints", "2")},
    ),
    "DQ07-complaint": (
        ["UPDATE learning_actions SET complaint_id = 999 WHERE action_id = 401"],
        {("learning_actions", "401")},
    ),
    "DQ08-missing-stage": (
        [
            "INSERT INTO complaint_stages (stage_id, complaint_id, stage, team_id, requested_date,"
            " extension_agreed, updated_at) VALUES (111, 1, 3, 1, '2019-06-01', 0,"
            " '2019-10-01 09:00:00.000000')"
        ],
        {("complaint_stages", "111")},
    ),
    "DQ08-escalated-early": (
        ["UPDATE complaint_stages SET requested_date = '2019-05-02' WHERE stage_id = 104"],
        {("complaint_stages", "104")},
    ),
    "DQ09-qualifying-without-stage-1": (
        ["UPDATE complaint_stages SET deleted_at = '2019-09-01 00:00:00' WHERE stage_id = 107"],
        {("complaints", "5")},
    ),
    "DQ09-non-qualifying-with-stages": (
        [
            "INSERT INTO complaint_stages (stage_id, complaint_id, stage, team_id, requested_date,"
            " extension_agreed, updated_at) VALUES (112, 6, 1, 2, '2019-05-06', 0,"
            " '2019-10-01 09:00:00.000000')"
        ],
        {("complaints", "6")},
    ),
    "DQ10": (
        ["UPDATE complaint_stages SET outcome = 'escalated_without_response' WHERE stage_id = 104"],
        {("complaint_stages", "104")},
    ),
    # A value that cannot be read as its column's type: quarantined, never staged as a guess
    # (bool('N') is True), never quoted, and the rest of the extract goes on.
    "DQ11-qualifying-N": (
        ["UPDATE complaints SET qualifying = 'N' WHERE complaint_id = 2"],
        {("complaints", "2")},
    ),
    "DQ11-team-id-text": (
        ["UPDATE complaint_stages SET team_id = 'abc' WHERE stage_id = 104"],
        {("complaint_stages", "104")},
    ),
    "DQ11-stage-NaN": (
        ["UPDATE complaint_stages SET stage = 'NaN' WHERE stage_id = 107"],
        {("complaint_stages", "107")},
    ),
    "DQ11-complaint-id-fraction": (
        ["UPDATE learning_actions SET complaint_id = 1.5 WHERE action_id = 401"],
        {("learning_actions", "401")},
    ),
    "DQ11-maladministration": (
        ["UPDATE ombudsman_cases SET maladministration = 'parking' WHERE ombudsman_case_id = 301"],
        {("ombudsman_cases", "301")},
    ),
    "DQ11-extension-agreed": (
        ["UPDATE complaint_stages SET extension_agreed = 'maybe' WHERE stage_id = 102"],
        {("complaint_stages", "102")},
    ),
    "DQ11-updated-at": (
        ["UPDATE feedback SET updated_at = 'carrier pigeon' WHERE feedback_id = 201"],
        {("feedback", "201")},
    ),
    # Held as deleted (as the source's count of rows not deleted has it), and still named.
    "DQ11-deleted-at": (
        ["UPDATE feedback SET deleted_at = 'soon' WHERE feedback_id = 202"],
        {("feedback", "202")},
    ),
    "DQ11-code-too-long": (
        [
            "UPDATE complaints SET issue = 'call about parking outside the school gate' || "
            "' every morning' WHERE complaint_id = 3"
        ],
        {("complaints", "3")},
    ),
    # A required value left empty: a reject naming the column, not a row silently left out.
    "DQ12-qualifying-missing": (
        ["UPDATE complaints SET qualifying = NULL WHERE complaint_id = 2"],
        {("complaints", "2")},
    ),
    "DQ12-reference-missing": (
        ["UPDATE complaints SET reference = NULL WHERE complaint_id = 5"],
        {("complaints", "5")},
    ),
    "DQ12-action-text-missing": (
        ["UPDATE learning_actions SET action_text = NULL WHERE action_id = 402"],
        {("learning_actions", "402")},
    ),
    "DQ12-updated-at-missing": (
        ["UPDATE ombudsman_cases SET updated_at = NULL WHERE ombudsman_case_id = 302"],
        {("ombudsman_cases", "302")},
    ),
}


def _rejects(warehouse) -> set[tuple[str, str, str]]:
    with warehouse.connect() as conn:
        rows = conn.execute(
            select(dq_rejects.c.rule_code, dq_rejects.c.source_table, dq_rejects.c.source_key)
        ).all()
    return {tuple(row) for row in rows}


def _staged(warehouse) -> dict[str, dict[str, dict]]:
    """Every staged row, by source table and key."""
    staged: dict[str, dict[str, dict]] = {}
    with warehouse.connect() as conn:
        for source_table, (table, key) in STAGING.items():
            staged[source_table] = {
                str(row[key]): dict(row) for row in conn.execute(select(table)).mappings()
            }
    return staged


def _expected_fact_keys(warehouse) -> dict[str, set[str]]:
    """What must load: staged rows not deleted, not rejected, and (for rows of a complaint)
    whose complaint counts: not deleted, not rejected, and none of its (not deleted) stage rows
    rejected, as a complaint is held back whole with a rejected stage. Computed here in
    Python, not by the SQL."""
    rejected = {(t, k) for _c, t, k in _rejects(warehouse)}
    staged = _staged(warehouse)
    with_rejected_stage = {
        str(row["complaint_id"])
        for k, row in staged["complaint_stages"].items()
        if row["deleted_at"] is None and ("complaint_stages", k) in rejected
    }
    dropped_complaints = {
        k
        for k, row in staged["complaints"].items()
        if row["deleted_at"] is not None
        or ("complaints", k) in rejected
        or k in with_rejected_stage
    }
    expected = {}
    for source_table, rows in staged.items():
        keep = set()
        for k, row in rows.items():
            if (source_table, k) in rejected or row.get("deleted_at") is not None:
                continue
            if str(row.get("complaint_id")) in dropped_complaints:
                continue
            keep.add(k)
        expected[source_table] = keep
    return expected


def _headlines(warehouse) -> dict[str, int]:
    """The 2019/20 headline figures the build wrote."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            select(stats_headlines.c.measure, stats_headlines.c.value).where(
                stats_headlines.c.financial_year == "2019/20"
            )
        )
        return {measure: int(value) for measure, value in rows}


def _expected_headlines(warehouse, facts: dict[str, set[str]]) -> dict[str, int]:
    """The counts of the complaint side, from the rows that must load (every row of the test
    source falls in 2019/20): every complaint that still counts is received, and its stage 1."""
    staged = _staged(warehouse)
    complaints = [staged["complaints"][k] for k in facts["complaints"]]
    stages = [staged["complaint_stages"][k] for k in facts["complaint_stages"]]
    return {
        "complaints_received": sum(1 for c in complaints if c["qualifying"]),
        "non_qualifying_received": sum(1 for c in complaints if not c["qualifying"]),
        "compliments_received": sum(
            1 for k in facts["feedback"] if staged["feedback"][k]["kind"] == "compliment"
        ),
        "comments_received": sum(
            1 for k in facts["feedback"] if staged["feedback"][k]["kind"] == "comment"
        ),
        **{f"stage{n}_received": sum(1 for s in stages if s["stage"] == n) for n in (1, 2, 3)},
        **{
            f"stage{n}_decisions": sum(
                1 for s in stages if s["stage"] == n and s["response_date"] is not None
            )
            for n in (1, 2, 3)
        },
        "ombudsman_referred": len(facts["ombudsman_cases"]),
        "ombudsman_determined": sum(
            1
            for k in facts["ombudsman_cases"]
            if staged["ombudsman_cases"][k]["decision_date"] is not None
        ),
        "ombudsman_maladministration": sum(
            1 for k in facts["ombudsman_cases"] if staged["ombudsman_cases"][k]["maladministration"]
        ),
        "learning_actions_agreed": len(facts["learning_actions"]),
    }


FACTS = {
    "complaints": ("fact_complaints", "complaint_id"),
    "complaint_stages": ("fact_stages", "stage_id"),
    "feedback": ("fact_feedback", "feedback_id"),
    "ombudsman_cases": ("fact_ombudsman_cases", "ombudsman_case_id"),
    "learning_actions": ("fact_learning_actions", "action_id"),
    "teams": ("dim_team", "team_id"),
    "issue_categories": ("dim_issue_category", "code"),
}


def _fact_keys(warehouse) -> dict[str, set[str]]:
    with warehouse.connect() as conn:
        return {
            source_table: {str(k) for (k,) in conn.execute(text(f"SELECT {key} FROM {table}"))}
            for source_table, (table, key) in FACTS.items()
        }


def test_clean_source_passes_every_rule(pipeline):
    p = pipeline()
    p.extract("run-1")
    checks = p.row_checks("run-1")
    assert [r.code for r in checks.rules] == [r.code for r in load_rules(DQ_SUITE)]
    assert checks.failed_rules == [], checks.summary()
    assert _rejects(p.warehouse) == set()
    build = p.build("run-1")
    expected_facts = _expected_fact_keys(p.warehouse)
    assert _fact_keys(p.warehouse) == expected_facts
    assert _headlines(p.warehouse) == _expected_headlines(p.warehouse, expected_facts)
    assert _headlines(p.warehouse)["complaints_received"] == 5  # 1-5 (6 non-qualifying, 7 deleted)
    recon = p.reconcile("run-1", build.changed_years)
    assert list(recon.years) == ["2019/20"]
    year = recon.years["2019/20"]
    assert year.failed_rules == [], recon.summary()
    assert not year.draft


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_breaking_one_rule_fires_only_that_rule(pipeline, case):
    statements, expected_rows = BREAKS[case]
    code = case.split("-")[0]
    p = pipeline()
    execute(p.source, *statements)
    p.extract("run-1")
    checks = p.row_checks("run-1")

    assert [r.code for r in checks.failed_rules] == [code], checks.summary()
    assert checks.critical_failures and checks.critical_failures[0].code == code
    assert _rejects(p.warehouse) == {(code, t, k) for t, k in expected_rows}
    failed = checks.failed_rules[0]
    assert failed.observed == len(expected_rows)
    assert all(r.message.split(" ")[0] in {t for t, _ in expected_rows} for r in checks.rejects)
    # Each row is named as the complaints team looks it up: its complaint's reference first.
    for reject, named in zip(checks.rejects, failed.messages, strict=True):
        if reject.source_table in ("teams", "issue_categories", "feedback"):
            assert reject.reference is None and named == reject.message
        elif reject.reference is not None:
            assert named == f"[{reject.reference}] {reject.message}"
    assert code in checks.summary()
    for message in failed.messages:  # the offending value is never echoed, only keys and dates
        assert not any(
            bad in message for bad in ("1st Sept", "carrier pigeon", "parking", "neighbour")
        )

    # Everything else still loads and counts: the facts hold every row but the rejected ones
    # (and the rows of a complaint that is rejected or has a rejected stage row, held back
    # whole), and reconciliation finds nothing wrong: no RC rule fails as a knock-on, only the
    # DQ rule shows (as rejected rows, keeping the year a draft).
    build = p.build("run-1")
    expected_facts = _expected_fact_keys(p.warehouse)
    assert _fact_keys(p.warehouse) == expected_facts
    assert build.changed_years == ("2019/20",)
    recon = p.reconcile("run-1", build.changed_years)
    assert list(recon.years) == ["2019/20"]
    year = recon.years["2019/20"]
    assert [r.code for r in year.failed_rules] == [code], recon.summary()
    assert recon.critical_failures == [], recon.summary()
    assert recon.warnings == []
    assert year.rejected_counts == {code: len(expected_rows)}
    assert year.draft
    assert _headlines(p.warehouse) == _expected_headlines(p.warehouse, expected_facts)


@pytest.mark.parametrize(
    ("statement", "blank_row", "referrers"),
    [
        (
            "UPDATE teams SET service_area = '   ' WHERE team_id = 2",
            ("teams", "2"),
            "SELECT 'complaint_stages', stage_id FROM complaint_stages WHERE team_id = 2"
            " UNION ALL SELECT 'feedback', feedback_id FROM feedback WHERE team_id = 2"
            " UNION ALL SELECT 'learning_actions', action_id FROM learning_actions"
            " WHERE team_id = 2",
        ),
        (
            "UPDATE issue_categories SET label = '' WHERE code = (SELECT MIN(code) FROM"
            " issue_categories WHERE code IN (SELECT issue FROM complaints))",
            None,
            "SELECT 'complaints', complaint_id FROM complaints WHERE issue = (SELECT MIN(code)"
            " FROM issue_categories WHERE code IN (SELECT issue FROM complaints))",
        ),
    ],
    ids=["team-without-service-area", "issue-category-without-label"],
)
def test_a_blank_required_value_rejects_the_row_and_every_row_that_refers_to_it(
    pipeline, statement, blank_row, referrers
):
    """A team or issue category whose required text is blank is rejected (DQ12), and the rows
    that refer to it are rejected too (DQ07), named by their keys: nothing is counted under a
    team without a service area, and no RC rule fails as a knock-on (the by-team tables still
    add up to the headlines)."""
    p = pipeline()
    execute(p.source, statement)
    with p.source.connect() as conn:
        live = {
            ("complaints", str(k))
            for (k,) in conn.execute(
                text("SELECT complaint_id FROM complaints WHERE deleted_at IS NULL")
            )
        }
        referring = {(t, str(k)) for t, k in conn.execute(text(referrers))}
        if blank_row is None:  # an issue category: keyed by its code
            (code,) = conn.execute(
                text(
                    "SELECT MIN(code) FROM issue_categories WHERE code IN"
                    " (SELECT issue FROM complaints)"
                )
            ).one()
            blank_row = ("issue_categories", str(code))
    p.extract("run-1")
    checks = p.row_checks("run-1")
    rejects = _rejects(p.warehouse)
    assert ("DQ12", *blank_row) in rejects
    dq07 = {(t, k) for rule, t, k in rejects if rule == "DQ07"}
    # Rows of deleted complaints are not judged; every other referring row is rejected.
    staged = _staged(p.warehouse)
    expected = {
        (t, k)
        for t, k in referring
        if staged[t][k].get("deleted_at") is None
        and (
            "complaint_id" not in staged[t][k]
            or ("complaints", str(staged[t][k]["complaint_id"])) in live
        )
    }
    assert expected and dq07 == expected, checks.summary()
    assert any("is itself rejected (DQ12" in r.message for r in checks.rejects)
    build = p.build("run-1")
    recon = p.reconcile("run-1", build.changed_years)
    year = recon.years["2019/20"]
    assert {r.code for r in year.failed_rules} == {"DQ07", "DQ12"}, recon.summary()
    assert recon.critical_failures == [] and year.draft
    expected_facts = _expected_fact_keys(p.warehouse)
    assert _fact_keys(p.warehouse) == expected_facts


def test_a_corrected_row_loads_on_the_next_extract(pipeline):
    p = pipeline()
    execute(p.source, "UPDATE complaint_stages SET outcome = NULL WHERE stage_id = 101")
    p.extract("extract-1")
    assert p.row_checks("extract-1").rejected_counts == {"DQ05": 1}
    p.build("warehouse-1")
    # Stage 101 is rejected: its complaint 1 is held back whole, with its learning action 401,
    # so complaints received and Stage 1 received both drop by one and still agree (RC03).
    facts = _fact_keys(p.warehouse)
    assert "101" not in facts["complaint_stages"]
    assert "1" not in facts["complaints"] and "401" not in facts["learning_actions"]
    headlines = _headlines(p.warehouse)
    assert (headlines["complaints_received"], headlines["stage1_received"]) == (4, 4)
    assert headlines["learning_actions_agreed"] == 1
    year = p.reconcile("warehouse-1", ["2019/20"]).years["2019/20"]
    assert [r.code for r in year.failed_rules] == ["DQ05"]
    rc01 = next(r for r in year.rules if r.code == "RC01")
    assert rc01.passed and rc01.discrepancies == []

    execute(
        p.source,
        "UPDATE complaint_stages SET outcome = 'upheld', updated_at = '2020-08-01 10:00:00'"
        " WHERE stage_id = 101",
    )
    p.extract("extract-2")
    checks = p.row_checks("extract-2")
    assert (checks.failed_rules, checks.resolved_rejects) == ([], 1)
    assert _rejects(p.warehouse) == set()
    p.build("warehouse-2")
    facts = _fact_keys(p.warehouse)
    assert "101" in facts["complaint_stages"]
    assert "1" in facts["complaints"] and "401" in facts["learning_actions"]
    headlines = _headlines(p.warehouse)
    assert (headlines["complaints_received"], headlines["stage1_received"]) == (5, 5)
    year = p.reconcile("warehouse-2", ["2019/20"]).years["2019/20"]
    assert year.failed_rules == [] and not year.draft


# Staged values the rewritten DQ02 and DQ07 must judge exactly as their originals did
# (tests/quality/yardsticks/): dates almost ISO, non-ASCII digits, impossible calendar days,
# and references missing or not given at all.
ODD_STAGING = [
    "UPDATE stg_complaints SET received_date = '2019-05-1a' WHERE complaint_id = 1",
    "UPDATE stg_complaints SET received_date = '2019-02-29' WHERE complaint_id = 2",
    "UPDATE stg_complaints SET received_date = '2019-0\uff15-03' WHERE complaint_id = 3",
    "UPDATE stg_complaints SET received_date = '' WHERE complaint_id = 4",
    "UPDATE stg_complaint_stages SET requested_date = '+019-05-01' WHERE stage_id = 101",
    "UPDATE stg_complaint_stages SET requested_date = '2019-04-31' WHERE stage_id = 102",
    "UPDATE stg_complaint_stages SET requested_date = '2019-13-01', complaint_id = NULL"
    " WHERE stage_id = 103",
    "UPDATE stg_complaint_stages SET response_date = '2019-05-00' WHERE stage_id = 104",
    "UPDATE stg_complaint_stages SET panel_date = '2019-07-1 ' WHERE stage_id = 105",
    "UPDATE stg_complaint_stages SET complaint_id = 999 WHERE stage_id = 106",
    "UPDATE stg_feedback SET received_date = '1900-02-29' WHERE feedback_id = 201",
    "UPDATE stg_feedback SET received_date = '2000-02-29' WHERE feedback_id = 202",
    "UPDATE stg_ombudsman_cases SET decision_date = 'unreadable' WHERE ombudsman_case_id = 301",
    "UPDATE stg_learning_actions SET complaint_id = NULL WHERE action_id = 401",
    "UPDATE stg_learning_actions SET complaint_id = 999, agreed_date = '2019-8-01'"
    " WHERE action_id = 402",
    # A team and an issue category that exist but are blank where a value is required (DQ12):
    # references to them are references to a missing row.
    "UPDATE stg_teams SET service_area = '  ' WHERE team_id = 2",
    "UPDATE stg_issue_categories SET label = ''"
    " WHERE code = (SELECT MIN(code) FROM stg_issue_categories)",
]


@pytest.mark.parametrize("code", ["DQ02", "DQ07"])
def test_rewritten_rules_judge_every_row_as_their_originals(pipeline, code):
    from pathlib import Path

    from csc_complaints.quality.gx_validation import scope_query
    from csc_complaints.quality.row_checks import extract_as_of_date

    p = pipeline()
    p.extract("extract-1")
    execute(p.warehouse, *ODD_STAGING)
    scope = {"council_code": "E06000005", "as_of_date": "2020-09-01"}
    assert extract_as_of_date(p.warehouse, p.settings, "extract-1") == scope["as_of_date"]
    original = (Path(__file__).parent / "yardsticks" / f"{code.lower()}.sql").read_text()
    (rule,) = [r for r in load_rules(DQ_SUITE) if r.code == code]

    def rows(query: str) -> list[tuple]:
        with p.warehouse.connect() as conn:
            batch = query.replace("{batch}", f"({scope_query(scope)})")
            return sorted(tuple(row) for row in conn.execute(text(batch)))

    found = rows(original)
    assert len(found) >= {"DQ02": 12, "DQ07": 4}[code] and rows(rule.query) == found


# Shared references the rewritten DQ01 (a checked complaint joined to those with its reference,
# not every reference grouped) must judge as its original did: three complaints sharing one,
# a deleted complaint sharing a live one's (not counted) and another's (counted out of three),
# a complaint alone with its reference, and references missing (NULL is shared by nobody).
SHARED_REFERENCES = [
    "UPDATE stg_complaints SET reference = 'CSC-SHARED-A' WHERE complaint_id IN (1, 2, 3)",
    "UPDATE stg_complaints SET reference = 'CSC-SHARED-B' WHERE complaint_id IN (4, 7)",
    "UPDATE stg_complaints SET reference = NULL WHERE complaint_id = 5",
    "INSERT INTO stg_complaints (council_code, complaint_id, reference, deleted_at,"
    " _source_copies, _run_id) VALUES"
    " ('E06000005', 8, 'CSC-SHARED-A', '2019-09-01 00:00:00', 1, 'extract-1'),"
    " ('E06000005', 9, 'CSC-2019-0006', NULL, 1, 'extract-1'),"
    " ('E06000005', 10, NULL, NULL, 2, 'extract-1')",
]


def test_rewritten_dq01_judges_shared_references_as_its_original(pipeline):
    """The full query and the incremental one (scoped to some of the complaints) both."""
    from pathlib import Path

    from csc_complaints.quality.gx_validation import scope_query
    from csc_complaints.quality.suites import CHECK_SCOPE_TABLE, scoped_to_checked_rows
    from csc_complaints.quality.tables import create_quality_schema

    p = pipeline()
    p.extract("extract-1")
    execute(p.warehouse, *SHARED_REFERENCES)
    create_quality_schema(p.warehouse)
    execute(
        p.warehouse,
        f"INSERT INTO {CHECK_SCOPE_TABLE} (council_code, source_table, source_key, key_value)"
        " SELECT council_code, 'complaints', CAST(complaint_id AS VARCHAR(60)), complaint_id"
        " FROM stg_complaints WHERE complaint_id IN (2, 4, 5, 7, 9, 10)",
    )
    scope = {"council_code": "E06000005", "as_of_date": "2020-09-01"}
    original = (Path(__file__).parent / "yardsticks" / "dq01.sql").read_text()
    (rule,) = [r for r in load_rules(DQ_SUITE) if r.code == "DQ01"]

    def rows(query: str) -> list[tuple]:
        with p.warehouse.connect() as conn:
            batch = query.replace("{batch}", f"({scope_query(scope)})")
            return sorted(tuple(row) for row in conn.execute(text(batch)))

    found = rows(original)
    shared = sorted(r for r in found if "reference shared" in r[2])
    assert [(r[1], r[2]) for r in shared] == [
        ("1", "complaints 1: reference shared by 3 complaints (lowest 1, highest 3)"),
        ("2", "complaints 2: reference shared by 3 complaints (lowest 1, highest 3)"),
        ("3", "complaints 3: reference shared by 3 complaints (lowest 1, highest 3)"),
        ("6", "complaints 6: reference shared by 2 complaints (lowest 6, highest 9)"),
        ("9", "complaints 9: reference shared by 2 complaints (lowest 6, highest 9)"),
    ]
    assert rows(rule.query) == found
    checked = rows(scoped_to_checked_rows(original))
    assert {r[1] for r in checked if "reference shared" in r[2]} == {"2", "9"}
    assert rows(scoped_to_checked_rows(rule.query)) == checked
