"""An incremental row check leaves ``dq_rejects`` as a full check of the same data (issue 16).

Random sequences of source changes (hypothesis) on the quality tests' lax source: updates, new
stage rows and complaints, soft deletions, rows that newly break a rule (a shared reference,
a future date, a response before its request, an unknown code, a missing team or issue, a stage
twice, a stage without the one before, a qualifying complaint losing its stage 1), corrections
(a row put back as it was), a team or an issue category blanked (DQ12, and DQ07 for every row
naming it) and time passing (DQ02's "later than the extract" ends). After each change: the
extract and an incremental row check, then a full check of the same warehouse, which must find
exactly the same rejects (rule, table, key, message, complaint reference); sometimes the
incremental build follows, as in the DAGs. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text

from csc_complaints.quality.row_checks import run_row_checks
from csc_complaints.warehouse.build import build_warehouse
from csc_complaints.warehouse.schema import dq_rejects
from tests.property_settings import CHANGE_SEQUENCES
from tests.quality.dataset import EXTRACT_AT, clean_rows

KEYS = {
    "complaints": "complaint_id",
    "complaint_stages": "stage_id",
    "feedback": "feedback_id",
    "ombudsman_cases": "ombudsman_case_id",
    "learning_actions": "action_id",
    "teams": "team_id",
    "issue_categories": "code",
}
_STAGE_COLUMNS = (
    "stage_id, complaint_id, stage, team_id, requested_date, extension_agreed, updated_at"
)
# name -> statements (":stamp" is the change's updated_at)
BREAKS = {
    "shared_reference": [
        "UPDATE complaints SET reference = 'CSC-2019-0004', updated_at = :stamp"
        " WHERE complaint_id = 5"
    ],
    "future_response": [
        "UPDATE complaint_stages SET response_date = '2021-01-04', updated_at = :stamp"
        " WHERE stage_id = 102"
    ],
    "response_before_request": [
        "UPDATE complaint_stages SET response_date = '2019-04-20', updated_at = :stamp"
        " WHERE stage_id = 101"
    ],
    "bad_channel": [
        "UPDATE complaints SET channel = 'carrier pigeon', updated_at = :stamp"
        " WHERE complaint_id = 1"
    ],
    "unknown_issue": [
        "UPDATE complaints SET issue = 'parking', updated_at = :stamp WHERE complaint_id = 2"
    ],
    "missing_team": [
        "UPDATE complaint_stages SET team_id = 99, updated_at = :stamp WHERE stage_id = 104"
    ],
    "stage_1_deleted": [
        "UPDATE complaint_stages SET deleted_at = :stamp, updated_at = :stamp WHERE stage_id = 107"
    ],
    "stage_2_moved_early": [
        "UPDATE complaint_stages SET requested_date = '2019-05-02', updated_at = :stamp"
        " WHERE stage_id = 104"
    ],
    "stage_1_twice": [
        f"INSERT INTO complaint_stages ({_STAGE_COLUMNS}, response_date, outcome) VALUES"
        " (110, 2, 1, 1, '2019-05-02', 0, :stamp, '2019-05-21', 'upheld')"
    ],
    "stage_3_without_2": [
        f"INSERT INTO complaint_stages ({_STAGE_COLUMNS}) VALUES"
        " (111, 1, 3, 1, '2019-06-01', 0, :stamp)"
    ],
    "stage_of_non_qualifying": [
        f"INSERT INTO complaint_stages ({_STAGE_COLUMNS}) VALUES"
        " (112, 6, 1, 2, '2019-05-06', 0, :stamp)"
    ],
    "complaint_deleted": [
        "UPDATE complaints SET deleted_at = :stamp, updated_at = :stamp WHERE complaint_id = 3"
    ],
    "future_feedback": [
        "UPDATE feedback SET received_date = '2020-12-24', updated_at = :stamp"
        " WHERE feedback_id = 201"
    ],
    "blank_team": ["UPDATE teams SET team_name = '' WHERE team_id = 2"],
    "blank_issue_category": ["UPDATE issue_categories SET label = '' WHERE code = 'communication'"],
}
OPERATIONS = (*BREAKS, "new_complaint", "correct", "pass_time", "channel_update")
# Rows a correction can put back: every row of the clean source, and the rows BREAKS add.
CORRECTABLE = [(t, r[k]) for t, k in KEYS.items() for r in clean_rows()[t]] + [
    ("complaint_stages", 110),
    ("complaint_stages", 111),
    ("complaint_stages", 112),
]


def _execute(engine, statements, **params) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


def _correct(engine, table: str, key, stamp) -> None:
    """Put a row back as the clean source had it; a row it did not have is deleted."""
    column = KEYS[table]
    clean = next((r for r in clean_rows()[table] if r[column] == key), None)
    if clean is None:
        _execute(
            engine,
            [f"UPDATE {table} SET deleted_at = :stamp, updated_at = :stamp WHERE {column} = :k"],
            stamp=stamp,
            k=key,
        )
        return
    values = {name: value for name, value in clean.items() if name != column}
    if "updated_at" in values:
        values["updated_at"] = stamp
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    _execute(engine, [f"UPDATE {table} SET {assignments} WHERE {column} = :k"], k=key, **values)


def apply(operation: str, index: int, engine, stamp, state: dict) -> None:
    if operation in BREAKS:
        statements = BREAKS[operation]
        if statements[0].startswith("INSERT"):
            key = int(statements[0].split("VALUES")[1].strip(" (").split(",")[0])
            with engine.connect() as conn:
                if conn.execute(
                    text("SELECT COUNT(*) FROM complaint_stages WHERE stage_id = :k"), {"k": key}
                ).scalar():
                    _execute(
                        engine,
                        [
                            "UPDATE complaint_stages SET deleted_at = NULL, updated_at = :stamp"
                            " WHERE stage_id = :k"
                        ],
                        stamp=stamp,
                        k=key,
                    )
                    return
        _execute(engine, statements, stamp=stamp)
    elif operation == "new_complaint":
        state["complaints"] += 1
        k = state["complaints"]
        _execute(
            engine,
            [
                "INSERT INTO complaints (complaint_id, reference, complainant_id, received_date,"
                " qualifying, issue, channel, updated_at) VALUES (:k, :ref, 1, '2020-05-01', 1,"
                " 'communication', 'email', :stamp)",
                f"INSERT INTO complaint_stages ({_STAGE_COLUMNS}) VALUES"
                " (:s, :k, 1, 1, '2020-05-01', 0, :stamp)",
            ],
            k=k,
            # every third one reuses a reference: DQ01 for it and its namesake
            ref=f"CSC-2019-{k % 5 + 1:04d}" if k % 3 == 0 else f"CSC-2020-{k:04d}",
            s=1000 + k,
            stamp=stamp,
        )
    elif operation == "correct":
        table, key = CORRECTABLE[index % len(CORRECTABLE)]
        _correct(engine, table, key, stamp)
    elif operation == "pass_time":
        state["clock"] += timedelta(days=40 + index % 200)
    elif operation == "channel_update":
        _execute(
            engine,
            [
                "UPDATE complaints SET channel = CASE WHEN channel = 'email' THEN 'phone'"
                " ELSE 'email' END, updated_at = :stamp WHERE complaint_id = :k"
            ],
            k=1 + index % 6,
            stamp=stamp,
        )
    else:  # pragma: no cover - a typo in OPERATIONS
        raise AssertionError(operation)


def _rejects(warehouse) -> set[tuple]:
    t = dq_rejects
    query = select(t.c.rule_code, t.c.source_table, t.c.source_key, t.c.message, t.c.reference)
    with warehouse.connect() as conn:
        return {tuple(row) for row in conn.execute(query)}


CHANGES = st.lists(
    st.tuples(
        st.lists(
            st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 10_000)), min_size=1, max_size=4
        ),
        st.booleans(),  # the incremental build follows the check
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture
def base(pipeline):
    return pipeline


@CHANGE_SEQUENCES
@given(changes=CHANGES)
def test_incremental_row_checks_equal_a_full_check(base, changes):
    p = base()
    state = {"clock": EXTRACT_AT, "complaints": 7}
    p.extract("run-0", now=state["clock"])
    first = run_row_checks(p.warehouse, p.settings, "run-0", p.output)
    assert first.mode == "full"
    for step, (operations, build) in enumerate(changes, start=1):
        stamp = state["clock"] + timedelta(minutes=step)
        for operation, index in operations:
            apply(operation, index, p.source, stamp, state)
        state["clock"] = max(state["clock"], stamp) + timedelta(minutes=1)
        run_id = f"run-{step}"
        p.extract(run_id, now=state["clock"])
        checked = run_row_checks(p.warehouse, p.settings, run_id, p.output)
        assert checked.mode == "incremental", operations
        incremental = _rejects(p.warehouse)
        verdict = {(r.code, r.passed, len(r.messages)) for r in checked.rules}
        full = run_row_checks(p.warehouse, p.settings, run_id, p.output, full=True)
        assert full.mode == "full"
        assert _rejects(p.warehouse) == incremental, operations
        assert {(r.code, r.passed, len(r.messages)) for r in full.rules} == verdict
        if build:
            build_warehouse(p.warehouse, p.settings, run_id, incremental=True)


def test_a_corrected_row_leaves_the_rejects_and_the_rest_stay(pipeline):
    """Only the checked rows' rejects move: a row corrected leaves dq_rejects on the next
    (incremental) check, while a reject outside the scope is left as it was."""
    p = pipeline()
    stamp = EXTRACT_AT - timedelta(days=1)
    _execute(p.source, BREAKS["bad_channel"] + BREAKS["future_feedback"], stamp=stamp)
    p.extract("run-1")
    first = run_row_checks(p.warehouse, p.settings, "run-1", p.output)
    assert first.mode == "full"
    keys = {(r[0], r[1], r[2]) for r in _rejects(p.warehouse)}
    assert {("DQ06", "complaints", "1"), ("DQ02", "feedback", "201")} <= keys

    _correct(p.source, "complaints", 1, EXTRACT_AT + timedelta(minutes=1))
    p.extract("run-2", now=EXTRACT_AT + timedelta(minutes=2))
    second = run_row_checks(p.warehouse, p.settings, "run-2", p.output)
    assert second.mode == "incremental"
    assert second.resolved_rejects == 1
    keys = {(r[0], r[1], r[2]) for r in _rejects(p.warehouse)}
    assert ("DQ06", "complaints", "1") not in keys
    assert ("DQ02", "feedback", "201") in keys
    assert any(r.code == "DQ02" and not r.passed for r in second.rules)


def test_every_row_check_query_is_scoped_to_the_checked_rows():
    from csc_complaints.quality.suites import DQ_SUITE, load_rules, scoped_to_checked_rows

    for rule in load_rules(DQ_SUITE):
        scoped = scoped_to_checked_rows(rule.query)
        joins = rule.query.count("{batch} AS scope")
        assert scoped.count("FROM dq_check_scope ck JOIN stg_") == joins, rule.code
        assert scoped.count("{batch} AS scope") == joins, rule.code


def test_a_row_check_reading_staging_otherwise_is_refused(tmp_path, monkeypatch):
    import json

    from csc_complaints.quality import suites

    suite = json.loads(suites.suite_path(suites.DQ_SUITE).read_text(encoding="utf-8"))
    query = suite["expectations"][0]["kwargs"]["unexpected_rows_query"]
    suite["expectations"][0]["kwargs"]["unexpected_rows_query"] = query.replace(
        "FROM stg_teams t JOIN {batch} AS scope", "FROM {batch} AS scope JOIN stg_teams t", 1
    )
    (tmp_path / f"{suites.DQ_SUITE}.json").write_text(json.dumps(suite), encoding="utf-8")
    monkeypatch.setattr(suites, "EXPECTATIONS_DIR", tmp_path)
    suites.load_suite_dict.cache_clear()
    try:
        with pytest.raises(suites.SuiteError, match="DQ01.*dq_check_scope"):
            suites.load_suite_dict(suites.DQ_SUITE)
    finally:
        suites.load_suite_dict.cache_clear()


def test_nothing_to_check_starts_no_validation_and_every_rule_passes(pipeline, monkeypatch):
    """A council whose source did not change and which has no rejected row: no row is in the
    scope, so Great Expectations is not started (a shared service's unchanged councils); the
    next change is validated again."""
    import csc_complaints.quality.row_checks as row_checks

    p = pipeline()
    p.extract("run-1")
    assert run_row_checks(p.warehouse, p.settings, "run-1", p.output).mode == "full"
    assert _rejects(p.warehouse) == set()

    validations = []
    real = row_checks.validate_suite
    monkeypatch.setattr(
        row_checks, "validate_suite", lambda *a, **k: validations.append(a) or real(*a, **k)
    )
    p.extract("run-2", now=EXTRACT_AT + timedelta(minutes=2))
    quiet = run_row_checks(p.warehouse, p.settings, "run-2", p.output)
    assert (quiet.mode, quiet.checked_rows, quiet.data_docs_page) == ("incremental", 0, None)
    assert all(rule.passed for rule in quiet.rules) and quiet.new_rejects == 0
    assert validations == []

    _execute(p.source, BREAKS["bad_channel"], stamp=EXTRACT_AT + timedelta(minutes=3))
    p.extract("run-3", now=EXTRACT_AT + timedelta(minutes=4))
    found = run_row_checks(p.warehouse, p.settings, "run-3", p.output)
    assert len(validations) == 1 and found.checked_rows > 0
    assert ("DQ06", "complaints", "1") in {(r[0], r[1], r[2]) for r in _rejects(p.warehouse)}
