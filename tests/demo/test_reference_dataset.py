"""The reference dataset reproduces every figure of the 2019/20 report, counted by the oracle.

The dataset is built into a fresh SQLite and a fresh PostgreSQL database; ``expected_stats``
(tests/oracle.py) counts it straight from the source rows, and each published figure of
``shared/reference/figures-2019-20.yaml`` (and its 2018/19 comparison) is checked on its own.
Where the published draft contradicts itself, the correct value is expected, not the slip.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from csc_complaints.db import make_engine
from csc_complaints_demo.models import (
    CHANNELS,
    FEEDBACK_KINDS,
    LEARNING_STATUSES,
    OUTCOMES,
    RELATIONSHIPS,
    Complaint,
    ComplaintStage,
    Feedback,
    LearningAction,
    Team,
)
from csc_complaints_demo.reference_data import (
    AS_AT,
    add_working_days,
    build_reference_dataset,
    reference_rows,
)
from tests.oracle import as_date, expected_stats, financial_year, working_days

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
FIGURES = yaml.safe_load((SHARED / "figures-2019-20.yaml").read_text(encoding="utf-8"))
REPORT_TEXT = (SHARED / "annual-report-2019-20.txt").read_text(encoding="utf-8")

YEAR = FIGURES["financial_year"]  # 2019/20
PRIOR = FIGURES["prior_financial_year"]  # 2018/19
AREA_OF = {team: area for area, teams in FIGURES["service_areas"].items() for team in teams}
OUTCOME_CODES = {
    "Escalated to Stage 2 (No S1 Response)": "escalated_without_response",
    "Inconclusive": "inconclusive",
    "Not Upheld": "not_upheld",
    "Partially Upheld": "partially_upheld",
    "Upheld": "upheld",
    "Withdrawn": "withdrawn",
}


def percent(within: int, responses: int) -> Decimal:
    """A percentage to one decimal place, rounding half up (17 of 51 = 33.3)."""
    return (Decimal(within) * 100 / Decimal(responses)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


# --- the built databases -------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def reference_source(request, tmp_path_factory):
    """The URL of a fresh database of each kind holding the reference dataset (one per module:
    the per-test factories of conftest would rebuild it for each of the figures below)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'source.sqlite'}"
        _build(url)
        yield url
        return
    server = request.getfixturevalue("postgres_server")
    name = f"csc_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        _build(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _build(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        return build_reference_dataset(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def stats(reference_source):
    return expected_stats(reference_source)


# --- headlines -----------------------------------------------------------------------------------


def _headline_cases():
    cases = []
    for measure, figure in FIGURES["headlines"].items():
        cases.append(pytest.param(YEAR, measure, figure["value"], id=f"{YEAR}-{measure}"))
        cases.append(pytest.param(PRIOR, measure, figure["prior"], id=f"{PRIOR}-{measure}"))
    # Figures the report implies rather than states.
    headlines = FIGURES["headlines"]
    derived = {
        (YEAR, "stage1_received"): headlines["complaints_received"]["value"],
        (PRIOR, "stage1_received"): headlines["complaints_received"]["prior"],
        (YEAR, "stage1_decisions"): sum(FIGURES["stage1_outcomes_total"]),
        (YEAR, "stage2_decisions"): sum(FIGURES["stage2_outcomes_total"]),
        (YEAR, "stage3_decisions"): sum(FIGURES["stage3_outcomes_total"]),
        (YEAR, "learning_actions_agreed"): sum(FIGURES["learning_actions_by_team"].values()),
    }
    for (fy, measure), value in derived.items():
        cases.append(pytest.param(fy, measure, value, id=f"{fy}-{measure}-derived"))
    return cases


@pytest.mark.parametrize(("fy", "measure", "expected"), _headline_cases())
def test_headline(stats, fy, measure, expected):
    assert stats["stats_headlines"].get((fy, measure), 0) == expected


# --- received by team ----------------------------------------------------------------------------


def _received_cases():
    cases = []
    for stage in (1, 2, 3):
        for team, figure in FIGURES[f"stage{stage}_received_by_team"].items():
            for fy, value in ((YEAR, figure["value"]), (PRIOR, figure["prior"])):
                cases.append(pytest.param(fy, stage, team, value, id=f"{fy}-stage{stage}-{team}"))
    return cases


@pytest.mark.parametrize(("fy", "stage", "team", "expected"), _received_cases())
def test_received_by_team(stats, fy, stage, team, expected):
    key = (fy, stage, AREA_OF[team], team)
    assert stats["stats_received_by_team"].get(key, 0) == expected


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_only_the_listed_teams_received_complaints_in_the_year(stats, stage):
    listed = {t for t, f in FIGURES[f"stage{stage}_received_by_team"].items() if f["value"]}
    received = {k[3] for k in stats["stats_received_by_team"] if k[:2] == (YEAR, stage)}
    assert received == listed


@pytest.mark.parametrize(
    ("stage", "measure", "others"), [(1, "complaints_received", 9), (2, "stage2_received", 8)]
)
def test_prior_year_other_teams(stats, stage, measure, others):
    """2018/19: the teams listed account for all but 9 (Stage 1) and 8 (Stage 2) complaints,
    which went to teams with none in 2019/20."""
    listed = FIGURES[f"stage{stage}_received_by_team"]
    by_team = {
        k[3]: v for k, v in stats["stats_received_by_team"].items() if k[:2] == (PRIOR, stage)
    }
    unlisted = {team: n for team, n in by_team.items() if team not in listed}
    assert FIGURES["headlines"][measure]["prior"] - sum(f["prior"] for f in listed.values()) == (
        others
    )
    assert sum(unlisted.values()) == others


# --- issues --------------------------------------------------------------------------------------


def _issue_cases():
    return [
        pytest.param(fy, label, value, id=f"{fy}-{label}")
        for label, figure in FIGURES["issues"].items()
        for fy, value in ((YEAR, figure["value"]), (PRIOR, figure["prior"]))
    ]


@pytest.mark.parametrize(("fy", "label", "expected"), _issue_cases())
def test_issue(stats, fy, label, expected):
    counted = sum(v for k, v in stats["stats_issues"].items() if k[0] == fy and k[2] == label)
    assert counted == expected


@pytest.mark.parametrize("fy", [YEAR, PRIOR])
def test_issues_sum_to_complaints_received(stats, fy):
    issues = sum(v for k, v in stats["stats_issues"].items() if k[0] == fy)
    assert issues == stats["stats_headlines"][(fy, "complaints_received")]
    labels = {k[2] for k in stats["stats_issues"] if k[0] == fy}
    assert labels <= set(FIGURES["issues"])


# --- outcomes ------------------------------------------------------------------------------------


def _outcome_columns(stage: int) -> list[str]:
    columns = FIGURES["outcome_columns"]
    return columns if stage == 1 else [c for c in columns if not c.startswith("Escalated")]


def _outcome_cells():
    cells = []
    for stage in (1, 2, 3):
        for team, row in FIGURES[f"stage{stage}_outcomes"].items():
            for column, value in zip(_outcome_columns(stage), row, strict=True):
                code = OUTCOME_CODES[column]
                cells.append(
                    pytest.param(stage, team, code, value, id=f"stage{stage}-{team}-{code}")
                )
    return cells


@pytest.mark.parametrize(("stage", "team", "outcome", "expected"), _outcome_cells())
def test_outcome_by_team(stats, stage, team, outcome, expected):
    key = (YEAR, stage, AREA_OF[team], team, outcome)
    assert stats["stats_outcomes_by_team"].get(key, 0) == expected


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_outcome_table_has_no_other_cells(stats, stage):
    published = {
        (team, OUTCOME_CODES[column])
        for team, row in FIGURES[f"stage{stage}_outcomes"].items()
        for column, value in zip(_outcome_columns(stage), row, strict=True)
        if value
    }
    counted = {(k[3], k[4]) for k in stats["stats_outcomes_by_team"] if k[:2] == (YEAR, stage)}
    assert counted == published


def _outcome_totals():
    return [
        pytest.param(stage, OUTCOME_CODES[column], value, id=f"stage{stage}-{column}")
        for stage in (1, 2, 3)
        for column, value in zip(
            _outcome_columns(stage), FIGURES[f"stage{stage}_outcomes_total"], strict=True
        )
    ]


@pytest.mark.parametrize(("stage", "outcome", "expected"), _outcome_totals())
def test_outcome_total(stats, stage, outcome, expected):
    total = sum(
        v
        for k, v in stats["stats_outcomes_by_team"].items()
        if k[0] == YEAR and k[1] == stage and k[4] == outcome
    )
    assert total == expected


# --- timeliness ----------------------------------------------------------------------------------


def _timeliness_cases():
    cases = []
    for measure, figure in FIGURES["timeliness"].items():
        for part in ("responses", "within", "percent"):
            cases.append(pytest.param(YEAR, measure, part, figure[part], id=f"{measure}-{part}"))
        if figure["prior_percent"] is not None:
            cases.append(
                pytest.param(
                    PRIOR, measure, "percent", figure["prior_percent"], id=f"{measure}-prior"
                )
            )
    return cases


@pytest.mark.parametrize(("fy", "measure", "part", "expected"), _timeliness_cases())
def test_timeliness(stats, fy, measure, part, expected):
    responses, within = stats["stats_timeliness"][(fy, measure)]
    observed = {"responses": responses, "within": within, "percent": percent(within, responses)}
    assert observed[part] == Decimal(str(expected))


def test_the_drafts_slips_are_not_reproduced(stats):
    """The draft printed 33.4%, 74.7% (33.4 + 43.1 cannot make it) and 66.66%."""
    s1_10 = stats["stats_timeliness"][(YEAR, "stage1_within_10wd")]
    s1_20 = stats["stats_timeliness"][(YEAR, "stage1_within_20wd")]
    director = stats["stats_timeliness"][(YEAR, "stage3_director_within_15wd")]
    assert s1_10 == (51, 17) and str(percent(*reversed(s1_10))) == "33.3" != "33.4"
    assert s1_20 == (51, 39) and str(percent(*reversed(s1_20))) == "76.5" != "74.7"
    assert str(percent(s1_20[1] - s1_10[1], s1_20[0])) == "43.1"  # "a further 43.1%"
    assert director == (3, 2) and str(percent(*reversed(director))) == "66.7" != "66.66"
    kft_upheld = (YEAR, 1, AREA_OF["Keeping Families Together"], "Keeping Families Together")
    assert (*kft_upheld, "upheld") not in stats["stats_outcomes_by_team"]  # 0, not blank


def test_prior_year_stage2_after_65_working_days(stats):
    """'90% ... sent after 65 working days, a reduction ... from 66.7% in 2018/19'."""
    for fy, expected in ((YEAR, "90.0"), (PRIOR, "66.7")):
        responses, within = stats["stats_timeliness"][(fy, "stage2_within_65wd")]
        assert str(percent(responses - within, responses)) == expected


# --- learning actions ----------------------------------------------------------------------------


def _learning_rows(url: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = (
                select(LearningAction.__table__, Team.team_name, Complaint.deleted_at.label("cd"))
                .join(Team, Team.team_id == LearningAction.team_id)
                .join(Complaint, Complaint.complaint_id == LearningAction.complaint_id)
            )
            return [dict(r._mapping) for r in conn.execute(query)]
    finally:
        engine.dispose()


@pytest.mark.parametrize(("team", "expected"), list(FIGURES["learning_actions_by_team"].items()))
def test_learning_actions_by_team(reference_source, team, expected):
    rows = _learning_rows(reference_source)
    in_year = [
        r
        for r in rows
        if financial_year(as_date(r["agreed_date"])) == YEAR
        and r["deleted_at"] is None
        and r["cd"] is None
    ]
    assert sum(r["team_name"] == team for r in in_year) == expected


def test_learning_texts_are_the_reports_own(reference_source):
    """Every 2019/20 action is printed word for word in the report's Organisational Learning
    section (whose Safeguarding Team A text is split by a page break)."""
    section = REPORT_TEXT.split("Organisational Learning\n\nAll resolution", 1)[1]
    section = " ".join(section.split("The below performance measures")[0].split())
    in_year = [
        r
        for r in _learning_rows(reference_source)
        if financial_year(as_date(r["agreed_date"])) == YEAR
    ]
    assert len(in_year) == 10
    for row in in_year:
        assert " ".join(row["action_text"].split()) in section, row["action_text"][:60]
        assert row["team_name"].split(" 0")[0] in row["action_text"]


# --- deleted rows --------------------------------------------------------------------------------


def test_deleted_rows_exist_but_do_not_count(reference_source, stats):
    engine = create_engine(reference_source)
    try:
        with engine.connect() as conn:
            deleted_ids = [
                r.complaint_id
                for r in conn.execute(
                    select(Complaint.complaint_id).where(Complaint.deleted_at.is_not(None))
                )
            ]
            orphan_stages = conn.execute(
                select(ComplaintStage.__table__).where(
                    ComplaintStage.complaint_id.in_(deleted_ids),
                    ComplaintStage.deleted_at.is_(None),
                )
            ).all()
            feedback = conn.execute(select(Feedback.__table__)).all()
    finally:
        engine.dispose()
    assert deleted_ids and orphan_stages  # a complaint entered in error, its stage rows live
    responded = [s for s in orphan_stages if financial_year(as_date(s.response_date)) == YEAR]
    assert responded, "the deleted complaint's stage row would change 2019/20 decisions"
    deleted_feedback = Counter(
        f.kind
        for f in feedback
        if f.deleted_at and financial_year(as_date(f.received_date)) == YEAR
    )
    assert deleted_feedback == {"compliment": 1, "comment": 1}
    # Counted, they would have changed the published figures.
    all_compliments = sum(
        1
        for f in feedback
        if f.kind == "compliment" and financial_year(as_date(f.received_date)) == YEAR
    )
    assert all_compliments == stats["stats_headlines"][(YEAR, "compliments_received")] + 1
    assert (YEAR, "comments_received") not in stats["stats_headlines"]


# --- building ------------------------------------------------------------------------------------


def test_building_twice_refuses_and_changes_nothing(new_database):
    url = new_database()
    engine = make_engine(url)
    try:
        counts = build_reference_dataset(engine)
        with pytest.raises(ValueError, match="already hold rows"):
            build_reference_dataset(engine)
        with engine.begin() as conn:
            for table, n in counts.items():
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == n, table
            # Ids continue after the explicit ones (PostgreSQL sequences were moved on).
            new_id = conn.execute(
                insert(Team.__table__)
                .values(team_name="A new team", service_area="Elsewhere")
                .returning(Team.team_id)
            ).scalar()
            assert new_id == counts["teams"] + 1
    finally:
        engine.dispose()
    assert counts["complaints"] == 57 + 67 + 4 + 5 + 1  # + the one entered in error


def test_same_figures_on_sqlite_and_postgres(new_sqlite_database, new_postgres_database):
    sqlite_url, postgres_url = new_sqlite_database(), new_postgres_database()
    _build(sqlite_url)
    _build(postgres_url)
    assert expected_stats(sqlite_url) == expected_stats(postgres_url)


def test_reference_rows_are_deterministic():
    assert reference_rows() == reference_rows()


def test_a_count_that_ignores_bank_holidays_gives_other_figures():
    """Cases sit on the 10-working-day boundary across Easter and Christmas, so the bank
    holidays must be skipped to get 17 of 51."""
    rows = reference_rows()
    live = {c["complaint_id"] for c in rows["complaints"] if c["deleted_at"] is None}

    def weekdays(a: date, b: date) -> int:
        return sum((a + timedelta(days=i)).weekday() < 5 for i in range(1, (b - a).days + 1))

    in_year = [
        s
        for s in rows["complaint_stages"]
        if s["stage"] == 1
        and s["complaint_id"] in live
        and s["response_date"]
        and financial_year(s["response_date"]) == YEAR
    ]
    right = sum(working_days(s["requested_date"], s["response_date"]) <= 10 for s in in_year)
    naive = sum(weekdays(s["requested_date"], s["response_date"]) <= 10 for s in in_year)
    assert (len(in_year), right) == (51, 17)
    assert naive < right


# --- working days --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2019, 12, 24), date(2019, 12, 27), 1),  # Christmas and Boxing Day
        (date(2019, 12, 20), date(2020, 1, 2), 6),  # over Christmas and New Year
        (date(2020, 4, 9), date(2020, 4, 14), 1),  # Good Friday and Easter Monday 2020
        (date(2019, 4, 18), date(2019, 4, 23), 1),  # Easter 2019
        (date(2020, 12, 24), date(2020, 12, 29), 1),  # substitute Boxing Day, Mon 28 Dec 2020
        (date(2019, 9, 16), date(2019, 9, 16), 0),  # same day
        (date(2019, 9, 13), date(2019, 9, 16), 1),  # Friday to Monday
        (date(2019, 9, 14), date(2019, 9, 15), 0),  # a weekend
        (date(2019, 9, 14), date(2019, 9, 16), 1),  # received on a Saturday
        (date(2019, 9, 2), date(2019, 9, 16), 10),  # two plain weeks
    ],
)
def test_oracle_working_days(start, end, expected):
    assert working_days(start, end) == expected


def test_add_working_days_is_the_inverse_of_the_count():
    day = date(2018, 3, 1)
    while day <= date(2020, 4, 30):
        for n in (0, 1, 5, 10, 11, 20, 21, 25, 65, 66):
            end = add_working_days(day, n)
            assert working_days(day, end) == n, (day, n)
            assert n == 0 or working_days(day, end - timedelta(days=1)) == n - 1, (day, n)
        day += timedelta(days=3)


# --- every row is clean --------------------------------------------------------------------------


def test_every_row_is_clean_under_the_dq_rules():
    """DQ01-DQ10 of docs/quality.md, and the plausibility the brief asks of the demo data."""
    rows = reference_rows()
    teams = {t["team_id"] for t in rows["teams"]}
    issues = {i["code"] for i in rows["issue_categories"]}
    complaints = {c["complaint_id"]: c for c in rows["complaints"]}
    complainants = {p["complainant_id"]: p for p in rows["complainants"]}
    latest_allowed = datetime(2020, 6, 1)

    for table, key in (
        ("complainants", "complainant_id"),
        ("complaints", "complaint_id"),
        ("complaint_stages", "stage_id"),
        ("feedback", "feedback_id"),
        ("ombudsman_cases", "ombudsman_case_id"),
        ("learning_actions", "action_id"),
    ):
        ids = [r[key] for r in rows[table]]
        assert len(ids) == len(set(ids)), f"DQ01 {table}"
        for r in rows[table]:
            dates = [v for v in r.values() if isinstance(v, date) and not isinstance(v, datetime)]
            assert all(d <= AS_AT for d in dates), (table, r[key])
            assert r["updated_at"] < latest_allowed, (table, r[key])
            assert all(r["updated_at"].date() >= d for d in dates), (table, r[key], "updated_at")
            assert r["deleted_at"] is None or r["deleted_at"] <= r["updated_at"]

    references = [c["reference"] for c in complaints.values()]
    assert len(references) == len(set(references)), "DQ01 reference"
    for c in complaints.values():
        assert re.fullmatch(r"CSC-\d{4}-\d{4}", c["reference"])
        assert c["reference"][4:8] == str(c["received_date"].year)
        assert c["issue"] in issues and c["channel"] in CHANNELS, "DQ06/07"
        assert c["complainant_id"] in complainants, "DQ07"

    by_complaint: dict[int, dict[int, dict]] = {}
    for s in rows["complaint_stages"]:
        assert s["stage"] in (1, 2, 3), "DQ03"
        assert s["stage"] not in by_complaint.get(s["complaint_id"], {}), "DQ03 twice"
        by_complaint.setdefault(s["complaint_id"], {})[s["stage"]] = s
        assert s["team_id"] in teams and s["complaint_id"] in complaints, "DQ07"
        assert (s["outcome"] is None) == (s["response_date"] is None), ("DQ05", s["stage_id"])
        assert s["outcome"] is None or s["outcome"] in OUTCOMES, "DQ06"
        assert s["outcome"] != "escalated_without_response" or s["stage"] == 1, "DQ10"
        ordered = [
            s["requested_date"],
            s["panel_date"],
            s["panel_report_date"],
            s["response_date"],
        ]
        ordered = [d for d in ordered if d is not None]
        assert ordered == sorted(ordered), ("DQ04", s["stage_id"])
        assert (s["panel_date"] is not None) == (s["stage"] == 3), s["stage_id"]
        assert s["deleted_at"] is None

    for cid, c in complaints.items():
        stages = by_complaint.get(cid, {})
        if not c["qualifying"]:
            assert not stages, ("DQ09", cid)
            continue
        assert 1 in stages, ("DQ09", cid)
        assert stages[1]["requested_date"] == c["received_date"], cid
        for stage in (2, 3):
            if stage in stages:
                earlier = stages[stage - 1]
                assert earlier["response_date"] is not None, ("DQ08", cid, stage)
                assert stages[stage]["requested_date"] >= earlier["response_date"], ("DQ08", cid)
                assert stages[stage]["team_id"] == stages[1]["team_id"], cid

    for f in rows["feedback"]:
        assert f["kind"] in FEEDBACK_KINDS and f["team_id"] in teams
    for o in rows["ombudsman_cases"]:
        assert o["complaint_id"] is None or o["complaint_id"] in complaints
        assert o["decision_date"] >= o["referred_date"]
        assert (o["maladministration"] is None) == (o["decision_date"] is None)
    for a in rows["learning_actions"]:
        complaint = complaints[a["complaint_id"]]
        assert complaint["deleted_at"] is None
        assert a["team_id"] == by_complaint[a["complaint_id"]][1]["team_id"]
        assert a["agreed_date"] > complaint["received_date"]
        assert a["status"] in LEARNING_STATUSES
        assert (a["status"] == "completed") == (a["completed_date"] is not None)
        assert a["completed_date"] is None or a["completed_date"] >= a["agreed_date"]

    for p in complainants.values():  # invented people only
        assert p["email"].endswith("@example.org")
        assert p["phone"].startswith("01632 960")
        assert p["relationship"] in RELATIONSHIPS


def test_open_cases_at_year_end(stats):
    """14 Stage 1 complaints of 2019/20 and 4 Stage 2 (KFT 1, Team D 3) open at 31 March 2020;
    received minus decided matches because of the carry-overs in both directions."""
    rows = reference_rows()
    live = {c["complaint_id"] for c in rows["complaints"] if c["deleted_at"] is None}
    still_open = Counter(
        (s["stage"], next(t["team_name"] for t in rows["teams"] if t["team_id"] == s["team_id"]))
        for s in rows["complaint_stages"]
        if s["complaint_id"] in live and s["response_date"] is None
    )
    assert sum(n for (stage, _), n in still_open.items() if stage == 1) == 14
    assert {k[1]: n for k, n in still_open.items() if k[0] == 2} == {
        "Keeping Families Together": 1,
        "Safeguarding Team D": 3,
    }
    headlines = stats["stats_headlines"]
    assert headlines[(YEAR, "stage1_decisions")] == 51 != headlines[(YEAR, "stage1_received")]
