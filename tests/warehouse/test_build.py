"""The warehouse build on hand-made staging rows, on SQLite and PostgreSQL.

Each case is small enough to count by hand: which rows count (deleted, rejected, unparseable
dates), idempotence (a second build writes nothing), a late edit rebuilding only its year, a year
that disappears, a failed year leaving the old figures in place, and the date dimension.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from csc_complaints.db import make_engine, sql
from csc_complaints.settings import load_settings
from csc_complaints.warehouse import build as build_module
from csc_complaints.warehouse import schema as wh
from csc_complaints.warehouse.build import (
    build_warehouse,
    compute_stats,
    last_quarter_counted,
    rebuild_facts,
    replace_year,
    timeliness_targets,
)
from csc_complaints.warehouse.incremental import log_keys
from csc_complaints.working_days import date_dimension_rows, working_day_index
from tests.oracle import stats_from_warehouse

SETTINGS = load_settings({})
COUNCIL = SETTINGS.council_code
STAMP = datetime(2020, 5, 1, 12, 0)


def _stage(**values):
    row = {
        "stage": 1,
        "team_id": 1,
        "extension_agreed": False,
        "response_date": None,
        "outcome": None,
        "panel_date": None,
        "panel_report_date": None,
    }
    row.update(values)
    return row


def _stage_rows():
    return [
        # complaint 1 (2019/20): 8 working days at stage 1 (Easter 2019), then stage 2 and 3.
        _stage(
            stage_id=1,
            complaint_id=1,
            requested_date="2019-04-15",
            response_date="2019-04-29",
            outcome="not_upheld",
        ),
        _stage(
            stage_id=2,
            complaint_id=1,
            stage=2,
            team_id=2,
            requested_date="2019-05-01",
            response_date="2019-08-30",
            outcome="partially_upheld",
        ),
        _stage(
            stage_id=3,
            complaint_id=1,
            stage=3,
            team_id=2,
            requested_date="2019-09-02",
            panel_date="2019-10-01",
            panel_report_date="2019-10-04",
            response_date="2019-10-31",
            outcome="upheld",
        ),
        # complaint 2 is deleted: its stage never counts.
        _stage(
            stage_id=4,
            complaint_id=2,
            requested_date="2019-05-01",
            response_date="2019-05-02",
            outcome="upheld",
        ),
        # complaint 3 (2019/20): stage 1 answered in 2020/21, 22 working days (over 20).
        _stage(
            stage_id=5,
            complaint_id=3,
            team_id=2,
            requested_date="2020-03-02",
            response_date="2020-04-01",
            outcome="withdrawn",
        ),
        # complaint 5 is rejected: its stage does not count either.
        _stage(stage_id=6, complaint_id=5, requested_date="2019-07-01"),
        # complaint 6: its stage 1 row is itself deleted.
        _stage(stage_id=7, complaint_id=6, requested_date="2019-07-01"),
        # complaint 7: its stage 1 row is rejected, so the whole complaint is held back.
        _stage(
            stage_id=8,
            complaint_id=7,
            requested_date="2019-07-02",
            response_date="2019-07-03",
            outcome="upheld",
        ),
        # complaint 8: a response date that is not a date (DQ02) keeps the row out.
        _stage(
            stage_id=9,
            complaint_id=8,
            requested_date="2019-07-01",
            response_date="2019-07-32",
            outcome="upheld",
        ),
        # complaint 9 (2020/21): still open at stage 1.
        _stage(stage_id=10, complaint_id=9, requested_date="2020-04-06"),
        # complaint 3 again: a same-day stage 2 response (0 working days), then a stage 3 with
        # no panel report date: in the director denominator, never within.
        _stage(
            stage_id=11,
            complaint_id=3,
            stage=2,
            team_id=2,
            requested_date="2020-04-02",
            response_date="2020-04-02",
            outcome="not_upheld",
        ),
        _stage(
            stage_id=12,
            complaint_id=3,
            stage=3,
            team_id=2,
            requested_date="2020-04-03",
            panel_date="2020-04-03",
            response_date="2020-04-09",
            outcome="inconclusive",
        ),
    ]


def _seed_staging(engine) -> None:
    wh.create_warehouse_schema(engine)
    audit = {"council_code": COUNCIL, "_run_id": "seed", "updated_at": STAMP, "deleted_at": None}
    with engine.begin() as conn:
        conn.execute(
            wh.stg_teams.insert(),
            [
                {
                    "council_code": COUNCIL,
                    "team_id": 1,
                    "team_name": "Team A",
                    "service_area": "Area 1",
                    "_run_id": "seed",
                },
                {
                    "council_code": COUNCIL,
                    "team_id": 2,
                    "team_name": "Team B",
                    "service_area": "Area 2",
                    "_run_id": "seed",
                },
            ],
        )
        conn.execute(
            wh.stg_issue_categories.insert(),
            [
                {
                    "council_code": COUNCIL,
                    "code": "communication",
                    "label": "Communication",
                    "_run_id": "seed",
                },
                {
                    "council_code": COUNCIL,
                    "code": "staff_attitude",
                    "label": "Staff attitude/behaviour",
                    "_run_id": "seed",
                },
            ],
        )
        complaints = [
            (1, "2019-04-15", True, "communication", None),
            (2, "2019-05-01", True, "communication", STAMP),  # deleted
            (3, "2020-03-02", True, "staff_attitude", None),
            (4, "2019-06-01", False, "communication", None),  # non-qualifying
            (5, "2019-07-01", True, "communication", None),  # rejected below
            (6, "2019-07-01", True, "staff_attitude", None),
            (7, "2019-07-02", True, "staff_attitude", None),
            (8, "2019-07-01", True, "staff_attitude", None),
            (9, "2020-04-06", True, "communication", None),
            (10, "2019/07/01", True, "communication", None),  # unparseable: DQ02
        ]
        conn.execute(
            wh.stg_complaints.insert(),
            [
                {
                    **audit,
                    "complaint_id": cid,
                    "reference": f"CSC-{cid}",
                    "received_date": day,
                    "qualifying": qualifying,
                    "issue": issue,
                    "channel": "email",
                    "deleted_at": deleted,
                }
                for cid, day, qualifying, issue, deleted in complaints
            ],
        )
        stages = _stage_rows()
        for row in stages:
            row.update(audit)
            if row["stage_id"] == 7:
                row["deleted_at"] = STAMP
        conn.execute(wh.stg_complaint_stages.insert(), stages)
        conn.execute(
            wh.stg_feedback.insert(),
            [
                {
                    **audit,
                    "feedback_id": 1,
                    "kind": "compliment",
                    "team_id": 1,
                    "received_date": "2019-12-25",
                },
                {
                    **audit,
                    "feedback_id": 2,
                    "kind": "compliment",
                    "team_id": 1,
                    "received_date": "2020-01-10",
                },
                {
                    **audit,
                    "feedback_id": 3,
                    "kind": "comment",
                    "team_id": 2,
                    "received_date": "2019-05-05",
                },
                {
                    **audit,
                    "feedback_id": 4,
                    "kind": "comment",
                    "team_id": 2,
                    "received_date": "2019-05-06",
                    "deleted_at": STAMP,
                },
            ],
        )
        conn.execute(
            wh.stg_ombudsman_cases.insert(),
            [
                {
                    **audit,
                    "ombudsman_case_id": 1,
                    "complaint_id": 1,
                    "referred_date": "2019-11-01",
                    "decision_date": "2020-02-03",
                    "decision": "upheld",
                    "maladministration": True,
                },
                {
                    **audit,
                    "ombudsman_case_id": 2,
                    "complaint_id": None,
                    "referred_date": "2020-03-01",
                    "decision_date": None,
                    "decision": None,
                    "maladministration": None,
                },
                {
                    **audit,
                    "ombudsman_case_id": 3,
                    "complaint_id": 2,  # deleted complaint
                    "referred_date": "2019-11-01",
                    "decision_date": None,
                    "decision": None,
                    "maladministration": None,
                },
            ],
        )
        conn.execute(
            wh.stg_learning_actions.insert(),
            [
                {
                    **audit,
                    "action_id": 1,
                    "complaint_id": 1,
                    "team_id": 2,
                    "agreed_date": "2019-11-01",
                    "action_text": "Write back sooner.",
                    "status": "open",
                    "completed_date": None,
                },
                {
                    **audit,
                    "action_id": 2,
                    "complaint_id": 2,
                    "team_id": 2,  # deleted complaint
                    "agreed_date": "2019-11-01",
                    "action_text": "x",
                    "status": "open",
                    "completed_date": None,
                },
            ],
        )
        conn.execute(
            wh.dq_rejects.insert(),
            [
                {
                    "council_code": COUNCIL,
                    "rule_code": "DQ06",
                    "source_table": "complaints",
                    "source_key": "5",
                    "run_id": "seed",
                    "message": "channel",
                    "first_run_id": "s",
                },
                {
                    "council_code": COUNCIL,
                    "rule_code": "DQ04",
                    "source_table": "complaint_stages",
                    "source_key": "8",
                    "run_id": "seed",
                    "message": "dates out of order",
                    "first_run_id": "s",
                },
                # a reject of another council must not hide this council's row 1
                {
                    "council_code": "E99999999",
                    "rule_code": "DQ04",
                    "source_table": "complaint_stages",
                    "source_key": "1",
                    "run_id": "seed",
                    "message": "other council",
                    "first_run_id": "s",
                },
            ],
        )


EXPECTED = {
    "stats_headlines": {
        # 1, 3, 6, 8 (2 deleted, 5 rejected, 7 held back with its rejected stage, 10 no date)
        ("2019/20", "complaints_received"): 4,
        ("2019/20", "non_qualifying_received"): 1,
        ("2019/20", "compliments_received"): 2,
        ("2019/20", "comments_received"): 1,
        ("2019/20", "stage1_received"): 2,  # stages 1 and 5
        ("2019/20", "stage2_received"): 1,
        ("2019/20", "stage3_received"): 1,
        ("2019/20", "stage1_decisions"): 1,
        ("2019/20", "stage2_decisions"): 1,
        ("2019/20", "stage3_decisions"): 1,
        ("2019/20", "ombudsman_referred"): 2,
        ("2019/20", "ombudsman_determined"): 1,
        ("2019/20", "ombudsman_maladministration"): 1,
        ("2019/20", "learning_actions_agreed"): 1,
        ("2020/21", "complaints_received"): 1,
        ("2020/21", "stage1_received"): 1,
        ("2020/21", "stage1_decisions"): 1,
        ("2020/21", "stage2_received"): 1,
        ("2020/21", "stage2_decisions"): 1,
        ("2020/21", "stage3_received"): 1,
        ("2020/21", "stage3_decisions"): 1,
    },
    "stats_received_by_team": {
        ("2019/20", 1, "Area 1", "Team A"): 1,
        ("2019/20", 1, "Area 2", "Team B"): 1,
        ("2019/20", 2, "Area 2", "Team B"): 1,
        ("2019/20", 3, "Area 2", "Team B"): 1,
        ("2020/21", 1, "Area 1", "Team A"): 1,
        ("2020/21", 2, "Area 2", "Team B"): 1,
        ("2020/21", 3, "Area 2", "Team B"): 1,
    },
    "stats_outcomes_by_team": {
        ("2019/20", 1, "Area 1", "Team A", "not_upheld"): 1,
        ("2019/20", 2, "Area 2", "Team B", "partially_upheld"): 1,
        ("2019/20", 3, "Area 2", "Team B", "upheld"): 1,
        ("2020/21", 1, "Area 2", "Team B", "withdrawn"): 1,
        ("2020/21", 2, "Area 2", "Team B", "not_upheld"): 1,
        ("2020/21", 3, "Area 2", "Team B", "inconclusive"): 1,
    },
    "stats_issues": {
        ("2019/20", "communication", "Communication"): 1,
        ("2019/20", "staff_attitude", "Staff attitude/behaviour"): 3,  # 3, 6, 8
        ("2020/21", "communication", "Communication"): 1,
    },
    "stats_feedback_by_team": {
        ("2019/20", "compliment", "Area 1", "Team A"): 2,
        ("2019/20", "comment", "Area 2", "Team B"): 1,
    },
    "stats_timeliness": {
        ("2019/20", "stage1_within_10wd"): (1, 1),  # 8 working days over Easter 2019
        ("2019/20", "stage1_within_20wd"): (1, 1),
        ("2019/20", "stage2_within_25wd"): (1, 0),
        ("2019/20", "stage2_within_65wd"): (1, 0),  # 1 May -> 30 August 2019: 84
        ("2019/20", "stage3_panel_within_30wd"): (1, 1),  # 2 Sep -> 1 Oct: 21
        ("2019/20", "stage3_panel_report_within_5wd"): (1, 1),  # 3
        ("2019/20", "stage3_director_within_15wd"): (1, 0),  # 4 Oct -> 31 Oct: 19
        ("2020/21", "stage1_within_10wd"): (1, 0),  # 2 March -> 1 April 2020: 22
        ("2020/21", "stage1_within_20wd"): (1, 0),
        ("2020/21", "stage2_within_25wd"): (1, 1),  # same day: 0
        ("2020/21", "stage2_within_65wd"): (1, 1),
        ("2020/21", "stage3_panel_within_30wd"): (1, 1),
        ("2020/21", "stage3_director_within_15wd"): (1, 0),  # no panel report date
    },
}


@pytest.fixture
def warehouse(new_database):
    url = new_database()
    engine = make_engine(url)
    _seed_staging(engine)
    yield url, engine
    engine.dispose()


def _all_rows(engine, tables) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {t.name: sorted(tuple(map(str, r)) for r in conn.execute(select(t))) for t in tables}


def _seed_tables(url: str) -> dict:
    """The built stats of the tables EXPECTED counts by hand (the seed's six)."""
    built = stats_from_warehouse(url, COUNCIL)
    return {table: built[table] for table in EXPECTED}


def test_figures_on_hand_counted_staging(warehouse):
    url, engine = warehouse
    result = build_warehouse(engine, SETTINGS, "run-1")
    assert result.financial_years == ("2019/20", "2020/21")
    assert result.changed_years == ("2019/20", "2020/21")
    # EXPECTED is counted by hand for the seed's six tables; the tables added since (issue 14's
    # measures, the quarterly tables) are held to tests/oracle.py in test_against_oracle.py.
    assert _seed_tables(url) == EXPECTED
    # Zeros are written for every headline and timeliness measure of a built year.
    with engine.connect() as conn:
        for table, measures in ((wh.stats_headlines, 14), (wh.stats_timeliness, 7)):
            per_year = conn.execute(
                select(table.c.financial_year, func.count()).group_by(table.c.financial_year)
            ).all()
            assert sorted(per_year) == [("2019/20", measures), ("2020/21", measures)]


def test_working_day_durations_are_stored_once_per_stage_row(warehouse):
    _, engine = warehouse
    build_warehouse(engine, SETTINGS, "run-1")
    with engine.connect() as conn:
        rows = {r.stage_id: r for r in conn.execute(select(wh.fact_stages))}
    assert sorted(rows) == [1, 2, 3, 5, 10, 11, 12]
    assert rows[1].wd_request_to_response == 8
    assert rows[3].wd_request_to_panel == 21
    assert rows[3].wd_panel_to_report == 3
    assert rows[3].wd_report_to_response == 19
    assert rows[5].wd_request_to_response == 22
    assert rows[11].wd_request_to_response == 0
    assert rows[12].wd_report_to_response is None
    assert rows[10].response_fy is None and rows[10].wd_request_to_response is None


def test_a_complaint_with_a_rejected_stage_is_held_back_until_put_right(warehouse):
    url, engine = warehouse
    build_warehouse(engine, SETTINGS, "run-1")
    with engine.connect() as conn:
        complaints = set(conn.execute(select(wh.fact_complaints.c.complaint_id)).scalars())
    assert 7 not in complaints  # its stage 8 is rejected
    assert complaints == {1, 3, 4, 6, 8, 9}
    with engine.begin() as conn:  # the row checks no longer find stage 8 wrong
        conn.execute(
            wh.dq_rejects.delete().where(
                (wh.dq_rejects.c.council_code == COUNCIL)
                & (wh.dq_rejects.c.source_table == "complaint_stages")
            )
        )
    result = build_warehouse(engine, SETTINGS, "run-2")
    assert result.changed_years == ("2019/20",)
    with engine.connect() as conn:
        assert 7 in set(conn.execute(select(wh.fact_complaints.c.complaint_id)).scalars())
        assert 8 in set(conn.execute(select(wh.fact_stages.c.stage_id)).scalars())
    headlines = stats_from_warehouse(url, COUNCIL)["stats_headlines"]
    assert headlines[("2019/20", "complaints_received")] == 5
    assert headlines[("2019/20", "stage1_received")] == 3


def test_second_build_changes_nothing(warehouse):
    _, engine = warehouse
    first = build_warehouse(engine, SETTINGS, "run-1")
    tables = (*wh.STATS_TABLES, wh.etl_year_builds, *wh.DIMENSIONS_AND_FACTS, wh.dim_date)
    before = _all_rows(engine, tables)
    second = build_warehouse(engine, SETTINGS, "run-2")
    assert second.changed_years == () and second.removed_years == ()
    assert second.unchanged_years == first.financial_years
    assert second.dates_added == 0
    assert _all_rows(engine, tables) == before  # fingerprints, build times and run ids included


def test_late_edit_rebuilds_only_its_year(warehouse):
    url, engine = warehouse
    build_warehouse(engine, SETTINGS, "run-1")
    with engine.begin() as conn:  # a 2019/20 compliment moves to the other team
        conn.execute(
            update(wh.stg_feedback)
            .where(wh.stg_feedback.c.feedback_id == 2)
            .values(team_id=2, _run_id="late")
        )
    result = build_warehouse(engine, SETTINGS, "run-2")
    assert result.changed_years == ("2019/20",)
    assert result.unchanged_years == ("2020/21",)
    with engine.connect() as conn:
        query = select(wh.etl_year_builds.c.financial_year, wh.etl_year_builds.c.run_id)
        builds = {year: run for year, run in conn.execute(query)}
    assert builds == {"2019/20": "run-2", "2020/21": "run-1"}
    feedback = stats_from_warehouse(url, COUNCIL)["stats_feedback_by_team"]
    assert feedback[("2019/20", "compliment", "Area 1", "Team A")] == 1
    assert feedback[("2019/20", "compliment", "Area 2", "Team B")] == 1


def test_a_year_without_counted_data_is_emptied(warehouse):
    url, engine = warehouse
    build_warehouse(engine, SETTINGS, "run-1")
    with engine.begin() as conn:  # everything dated in 2020/21 belongs to complaints 3 and 9
        conn.execute(
            update(wh.stg_complaints)
            .where(wh.stg_complaints.c.complaint_id.in_([3, 9]))
            .values(deleted_at=STAMP)
        )
    result = build_warehouse(engine, SETTINGS, "run-2")
    assert result.financial_years == ("2019/20",)
    assert result.removed_years == ("2020/21",)
    assert result.changed_years == ("2019/20",)  # complaint 3 was received in 2019/20
    stats = stats_from_warehouse(url, COUNCIL)
    assert all(key[0] == "2019/20" for figures in stats.values() for key in figures)
    with engine.connect() as conn:
        years = set(conn.execute(select(wh.etl_year_builds.c.financial_year)).scalars())
    assert years == {"2019/20"}


def test_a_failed_year_leaves_the_previous_figures(warehouse):
    url, engine = warehouse
    build_warehouse(engine, SETTINGS, "run-1")
    before = _all_rows(engine, (*wh.STATS_TABLES, wh.etl_year_builds))
    with engine.begin() as conn:
        conn.execute(update(wh.stg_feedback).values(team_id=2))
    rebuild_facts(engine, COUNCIL)
    targets = timeliness_targets(SETTINGS)
    with engine.connect() as conn:
        new_tables = compute_stats(conn, COUNCIL, targets)
        # A timeliness row twice: stats_timeliness refuses it after the five tables before it
        # were already replaced inside the year's transaction.
        new_timeliness = new_tables[wh.STATS_TABLES.index(wh.stats_timeliness)]
        with conn.begin():
            conn.execute(
                new_timeliness.insert().from_select(
                    [c.name for c in new_timeliness.columns],
                    select(new_timeliness).where(new_timeliness.c.financial_year == "2019/20"),
                )
            )
        with pytest.raises(IntegrityError):
            replace_year(conn, new_tables, COUNCIL, "2019/20", "run-broken")
    assert _all_rows(engine, (*wh.STATS_TABLES, wh.etl_year_builds)) == before


def test_targets_come_from_settings(warehouse):
    url, engine = warehouse
    strict = dataclasses.replace(SETTINGS, stage1_target_wd=7)
    build_warehouse(engine, strict, "run-1")
    timeliness = stats_from_warehouse(url, COUNCIL)["stats_timeliness"]
    assert timeliness[("2019/20", "stage1_within_10wd")] == (1, 0)  # 8 > 7; the name is fixed
    result = build_warehouse(engine, SETTINGS, "run-2")
    assert result.changed_years == ("2019/20",)
    assert stats_from_warehouse(url, COUNCIL)["stats_timeliness"] == EXPECTED["stats_timeliness"]


def test_date_dimension_covers_whole_years_and_never_renumbers(warehouse):
    _, engine = warehouse
    first = build_warehouse(engine, SETTINGS, "run-1")
    assert first.dates_added == 366 + 365  # 2019/20 (29 February 2020) and 2020/21
    with engine.connect() as conn:
        rows = {r.date_key: r for r in conn.execute(select(wh.dim_date))}
    assert "2019/07/01" not in rows and "2019-07-32" not in rows
    for key in ("2019-04-01", "2019-12-25", "2020-02-29", "2021-03-31"):
        assert rows[key].working_day_index == working_day_index(date.fromisoformat(key))
    assert rows["2019-12-25"].is_working_day is False
    assert rows["2019-12-25"].bank_holiday == "Christmas Day"
    # An earlier year arrives: added in front, nothing renumbered.
    with engine.begin() as conn:
        conn.execute(
            update(wh.stg_feedback)
            .where(wh.stg_feedback.c.feedback_id == 4)
            .values(received_date="2017-05-05")
        )
    second = build_warehouse(engine, SETTINGS, "run-2")
    assert second.dates_added == 365
    assert second.changed_years == ()  # the only row there is deleted: no counted date in 2017/18
    with engine.connect() as conn:
        after = {r.date_key: r for r in conn.execute(select(wh.dim_date))}
    assert all(after[key] == row for key, row in rows.items())
    assert after["2017-05-05"].financial_year == "2017/18"


@pytest.mark.parametrize(
    ("table", "index", "columns"),
    [
        ("dq_rejects", "ix_dq_rejects_source_row", ["council_code", "source_table", "source_key"]),
        ("stg_complaints", "ix_stg_complaints_reference", ["council_code", "reference"]),
    ],
)
def test_an_existing_warehouse_gets_the_indexes_added_since(new_database, table, index, columns):
    from sqlalchemy import inspect, text

    from csc_complaints.warehouse.schema import create_warehouse_schema

    engine = make_engine(new_database())
    try:
        create_warehouse_schema(engine)
        with engine.begin() as conn:  # a warehouse created before the index existed
            conn.execute(text(f"DROP INDEX {index}"))
        create_warehouse_schema(engine)
        create_warehouse_schema(engine)  # idempotent
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes(table)}
        assert indexes[index] == columns
    finally:
        engine.dispose()


def test_the_schema_step_does_not_wait_for_another_councils_write(new_postgres_database):
    """Every extract, build and check runs the schema step first. With every index in place it
    must not wait for a lock on a table another council is writing to (PostgreSQL takes a
    SHARE lock for CREATE INDEX IF NOT EXISTS even when the index exists)."""
    from sqlalchemy import create_engine, text

    from csc_complaints.warehouse.schema import create_warehouse_schema

    url = new_postgres_database()
    create_warehouse_schema(make_engine(url))
    writer = create_engine(url)
    hurried = create_engine(url, connect_args={"options": "-c lock_timeout=1000"})
    try:
        with writer.connect() as other_council:  # an extract in flight, not committed
            other_council.execute(
                text("UPDATE stg_complaints SET channel = channel WHERE council_code = 'OTHER'")
            )
            other_council.execute(
                text("UPDATE dq_rejects SET message = message WHERE council_code = 'OTHER'")
            )
            create_warehouse_schema(hurried)  # lock_timeout: raises if it waited for them
            other_council.rollback()
    finally:
        writer.dispose()
        hurried.dispose()


def test_an_existing_warehouse_loses_the_indexes_nothing_reads(new_database):
    """Warehouses of earlier versions have year indexes on the facts (and, on PostgreSQL,
    primary keys): they only slow down every rebuild, so the schema step drops them, and the
    build still gives the same figures."""
    from sqlalchemy import inspect, text

    from csc_complaints.warehouse.schema import create_warehouse_schema

    url = new_database()
    engine = make_engine(url)
    try:
        _seed_staging(engine)
        with engine.begin() as conn:  # as an earlier version left it
            conn.execute(
                text("CREATE INDEX ix_fact_stages_requested_fy ON fact_stages (requested_fy)")
            )
            if engine.dialect.name == "postgresql":
                conn.execute(
                    text("ALTER TABLE fact_complaints ADD PRIMARY KEY (council_code, complaint_id)")
                )
        create_warehouse_schema(engine)
        create_warehouse_schema(engine)  # idempotent
        inspector = inspect(engine)
        assert not inspector.get_indexes("fact_stages")
        assert not inspector.get_pk_constraint("fact_complaints")["constrained_columns"]
        build_warehouse(engine, SETTINGS, "run-1")
        assert _seed_tables(url) == EXPECTED
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("as_of", "counted_to"),
    [
        ("2020-07-01", "2020-06-30"),  # the day after a quarter's end: that quarter counts
        ("2020-06-30", "2020-03-31"),  # on its last day it has not ended
        ("2020-05-14", "2020-03-31"),
        ("2021-01-01", "2020-12-31"),
        ("2021-04-01", "2021-03-31"),
        ("0001-01-01", "0001-01-01"),  # no extract yet
    ],
)
def test_the_last_quarter_whose_open_cases_are_counted(as_of, counted_to):
    assert last_quarter_counted(as_of) == counted_to


def _leave_a_stage_open(engine, feedback_received: str) -> None:
    """The first stage row never answered (open at every quarter's end), and the first feedback
    received on ``feedback_received`` (which year the council's own dates reach)."""
    with engine.begin() as conn:
        first_stage = select(func.min(wh.stg_complaint_stages.c.stage_id)).scalar_subquery()
        conn.execute(
            update(wh.stg_complaint_stages)
            .where(wh.stg_complaint_stages.c.stage_id == first_stage)
            .values(response_date=None, outcome=None)
        )
        conn.execute(
            update(wh.stg_feedback)
            .where(wh.stg_feedback.c.feedback_id == 1)
            .values(received_date=feedback_received)
        )


def _finished_extract(engine, council: str, run_id: str, finished: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            wh.etl_extract_runs.insert().values(
                council_code=council,
                run_id=run_id,
                source_table="complaints",
                read_since=None,
                rows_read=0,
                rows_written=0,
                source_rows=0,
                started_at=finished,
                finished_at=finished,
            )
        )


def test_a_build_with_nothing_changed_rewrites_nothing_until_a_quarter_ends(warehouse):
    """A shared service builds every council each day: a council whose staging did not change
    and for which no quarter ended is not rewritten at all (facts, open cases, dimensions)."""
    _, engine = warehouse
    # A date in 2021/22, so that the calendar has the quarter's end the third build counts.
    _leave_a_stage_open(engine, feedback_received="2021-04-15")
    _finished_extract(engine, COUNCIL, "extract-1", datetime(2021, 5, 1, 6))
    build_warehouse(engine, SETTINGS, "run-1", incremental=True)
    tables = (
        *wh.STATS_TABLES,
        wh.etl_year_builds,
        *wh.DIMENSIONS_AND_FACTS,
        wh.fact_open_stages,
        wh.etl_build_state,
    )
    before = _all_rows(engine, tables)

    # The next day's extract found nothing: nothing is rewritten, not even the run id.
    _finished_extract(engine, COUNCIL, "extract-2", datetime(2021, 5, 2, 6))
    second = build_warehouse(engine, SETTINGS, "run-2", incremental=True)
    assert (second.mode, second.fact_rows, second.owed_years) == ("unchanged", {}, ())
    assert second.changed_years == ()
    assert _all_rows(engine, tables) == before

    # A quarter has ended since (30 June 2021): its open cases are counted, so the build runs.
    _finished_extract(engine, COUNCIL, "extract-3", datetime(2021, 7, 2, 6))
    third = build_warehouse(engine, SETTINGS, "run-3", incremental=True)
    assert third.mode == "incremental"
    assert wh.fact_open_stages.name in third.fact_rows

    # A row the change log names (a late edit) is never skipped.
    with engine.begin() as conn:
        conn.execute(
            update(wh.stg_feedback)
            .where(wh.stg_feedback.c.feedback_id == 2)
            .values(team_id=2, _run_id="late")
        )
        log_keys(conn, COUNCIL, [("feedback", "2")])
    fourth = build_warehouse(engine, SETTINGS, "run-4", incremental=True)
    assert fourth.mode == "incremental" and fourth.changed_years == ("2019/20",)

    # The third build counted every stage row at the new quarter's end (not only the rows of
    # its scope) and the fourth left the open cases alone: as a full build counts them.
    open_cases = _all_rows(engine, (wh.fact_open_stages,))
    assert any(row[1] == "2021-06-30" for row in open_cases[wh.fact_open_stages.name])
    build_warehouse(engine, SETTINGS, "run-full")
    assert _all_rows(engine, (wh.fact_open_stages,)) == open_cases


def test_a_renamed_team_alone_is_not_an_unchanged_day(warehouse):
    """Teams and issue categories are copied whole and never logged: a day whose only change is
    a team's new name still rebuilds the dimensions and the stats by team, as a full build
    would (the build compares the reference rows' fingerprint with the one it recorded)."""
    _, engine = warehouse
    _finished_extract(engine, COUNCIL, "extract-1", datetime(2021, 5, 1, 6))
    build_warehouse(engine, SETTINGS, "run-1", incremental=True)
    with engine.begin() as conn:
        team = conn.execute(select(func.min(wh.stg_teams.c.team_id))).scalar_one()
        conn.execute(
            update(wh.stg_teams).where(wh.stg_teams.c.team_id == team).values(team_name="Renamed")
        )
    _finished_extract(engine, COUNCIL, "extract-2", datetime(2021, 5, 2, 6))
    renamed = build_warehouse(engine, SETTINGS, "run-2", incremental=True)
    assert renamed.mode == "incremental"
    assert renamed.changed_years  # every year's stats by team name the team
    tables = (*wh.STATS_TABLES, *wh.DIMENSIONS_AND_FACTS, wh.fact_open_stages)
    after = _all_rows(engine, tables)
    names = {row for row in after[wh.dim_team.name] if "Renamed" in row}
    assert names, "dim_team keeps the old name"

    # The next day, nothing changed: unchanged again, and as a full build from scratch.
    _finished_extract(engine, COUNCIL, "extract-3", datetime(2021, 5, 3, 6))
    assert build_warehouse(engine, SETTINGS, "run-3", incremental=True).mode == "unchanged"
    build_warehouse(engine, SETTINGS, "run-full")
    assert _all_rows(engine, tables) == after


@pytest.mark.parametrize("logged", [True, False], ids=["a-change-logged", "nothing-logged"])
def test_open_cases_count_the_quarter_ends_another_council_added(warehouse, logged):
    """dim_date is shared: another council's build can add a year this council's own dates never
    reached. Its quarter ends before the extract's day are then counted for this council's open
    stages too, as a full build counts them, whether or not anything of its own changed."""
    _, engine = warehouse
    # The council's dates fall in 2019/20, 2020/21 and 2022/23: none in 2021/22.
    _leave_a_stage_open(engine, feedback_received="2022-04-15")
    _finished_extract(engine, COUNCIL, "extract-1", datetime(2022, 8, 1, 6))
    build_warehouse(engine, SETTINGS, "run-1", incremental=True)
    with engine.connect() as conn:
        years = set(conn.execute(select(wh.dim_date.c.financial_year).distinct()).scalars())
    assert "2021/22" not in years
    with engine.begin() as conn:  # another council's build adds 2021/22
        conn.execute(
            sql("warehouse", "insert_dim_date"),
            date_dimension_rows(date(2021, 4, 1), date(2022, 3, 31)),
        )
        if logged:  # and, or not, a change of this council's own
            log_keys(conn, COUNCIL, [("feedback", "2")])
    _finished_extract(engine, COUNCIL, "extract-2", datetime(2022, 8, 2, 6))
    second = build_warehouse(engine, SETTINGS, "run-2", incremental=True)
    assert second.mode == "incremental"
    tables = (wh.fact_open_stages, wh.stats_quarterly_open)
    incremental = _all_rows(engine, tables)
    assert any("2021-12-31" in row for row in incremental[wh.fact_open_stages.name])
    build_warehouse(engine, SETTINGS, "run-full")
    assert _all_rows(engine, tables) == incremental


@pytest.mark.postgres
def test_a_team_renamed_while_the_build_runs_is_picked_up_by_the_next(
    new_postgres_database, monkeypatch
):
    """An extract holds its own lock, not the build's: a team renamed and committed while the
    build's transaction runs (after the dimensions were built, under PostgreSQL's READ
    COMMITTED) must not be recorded as built, or the next unchanged day would keep the old
    name. The build records the reference rows as it read them before building. (PostgreSQL
    only: SQLite runs one writer at a time, so no extract commits during a build.)"""
    url = new_postgres_database()
    engine = make_engine(url)
    _seed_staging(engine)
    _finished_extract(engine, COUNCIL, "extract-1", datetime(2021, 5, 1, 6))
    build_warehouse(engine, SETTINGS, "run-1", incremental=True)
    with engine.connect() as conn:
        team = conn.execute(select(func.min(wh.stg_teams.c.team_id))).scalar_one()

    real = build_module._update_open_stages
    extract = make_engine(url)

    def extract_commits_meanwhile(*args, **kwargs):
        with extract.begin() as conn:  # dim_team was built from the old name already
            conn.execute(
                update(wh.stg_teams)
                .where(wh.stg_teams.c.team_id == team)
                .values(team_name="Renamed meanwhile")
            )
        return real(*args, **kwargs)

    with engine.begin() as conn:  # something logged: an incremental build, not the shortcut
        log_keys(conn, COUNCIL, [("feedback", "2")])
    _finished_extract(engine, COUNCIL, "extract-2", datetime(2021, 5, 2, 6))
    monkeypatch.setattr(build_module, "_update_open_stages", extract_commits_meanwhile)
    assert build_warehouse(engine, SETTINGS, "run-2", incremental=True).mode == "incremental"
    monkeypatch.setattr(build_module, "_update_open_stages", real)
    extract.dispose()

    _finished_extract(engine, COUNCIL, "extract-3", datetime(2021, 5, 3, 6))
    third = build_warehouse(engine, SETTINGS, "run-3", incremental=True)
    assert third.mode == "incremental"
    with engine.connect() as conn:
        names = conn.execute(
            select(wh.dim_team.c.team_name).where(
                wh.dim_team.c.council_code == COUNCIL, wh.dim_team.c.team_id == team
            )
        ).scalars()
        assert list(names) == ["Renamed meanwhile"]
    engine.dispose()
