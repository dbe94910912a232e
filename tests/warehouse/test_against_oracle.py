"""End to end: source -> run_extract -> build_warehouse, checked against figures computed elsewhere.

* the reference dataset: the stats tables equal the published figures of
  ../shared/reference/figures-2019-20.yaml (2019/20 in full, 2018/19 where the report quotes it),
  and the oracle's figures for every year;
* random synthetic datasets (several seeds, thousands of complaints, deletions, bank holidays):
  every stats row equals tests/oracle.py, which counts straight from the source rows in plain
  Python with its own day-by-day working-day loop, sharing nothing with the warehouse SQL;
* a second build changes nothing, and a late edit in the source rebuilds only its year.

All on SQLite and on PostgreSQL (the ``new_database`` fixture runs each test on both).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, update

from csc_complaints.db import make_engine
from csc_complaints.extract import run_extract
from csc_complaints.settings import load_settings
from csc_complaints.warehouse import schema as wh
from csc_complaints.warehouse.build import build_warehouse
from csc_complaints_demo import models as m
from tests.oracle import as_date, expected_stats, stats_from_warehouse, working_days

SETTINGS = load_settings({})
COUNCIL = SETTINGS.council_code
FIGURES = Path(__file__).resolve().parents[3] / "shared" / "reference" / "figures-2019-20.yaml"

# The outcome columns of the published tables, as outcome codes.
OUTCOME_COLUMNS = {
    "Escalated to Stage 2 (No S1 Response)": "escalated_without_response",
    "Inconclusive": "inconclusive",
    "Not Upheld": "not_upheld",
    "Partially Upheld": "partially_upheld",
    "Upheld": "upheld",
    "Withdrawn": "withdrawn",
}


class Pipeline:
    """A source and a warehouse database of one kind, and the two steps between them."""

    def __init__(self, new_database):
        self.source_url = new_database()
        self.warehouse_url = new_database()
        self.source = make_engine(self.source_url)
        self.warehouse = make_engine(self.warehouse_url)
        self.runs = 0

    def run(self, now: datetime | None = None):
        self.runs += 1
        run_id = f"test-run-{self.runs}"
        run_extract(self.source, self.warehouse, SETTINGS, run_id, now=now)
        return build_warehouse(self.warehouse, SETTINGS, run_id)

    def stats(self):
        return stats_from_warehouse(self.warehouse_url, COUNCIL)

    def snapshot(self) -> dict[str, list[tuple]]:
        tables = (*wh.STATS_TABLES, wh.etl_year_builds)
        with self.warehouse.connect() as conn:
            return {
                t.name: sorted(tuple(map(str, r)) for r in conn.execute(select(t))) for t in tables
            }

    def dispose(self):
        self.source.dispose()
        self.warehouse.dispose()


@pytest.fixture
def pipeline(new_database):
    made = Pipeline(new_database)
    yield made
    made.dispose()


def _diff(expected: dict, actual: dict) -> dict:
    """Only the figures that differ, per table, for a readable failure."""
    out = {}
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table, {}), actual.get(table, {})
        keys = {k for k in set(want) | set(got) if want.get(k) != got.get(k)}
        if keys:
            out[table] = {k: (want.get(k), got.get(k)) for k in sorted(keys, key=str)}
    return out


# --- the reference dataset -----------------------------------------------------------------------


def _percent(within: int, responses: int) -> float:
    value = Decimal(100 * within) / Decimal(responses)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _published_figures() -> tuple[dict, dict, dict]:
    """(figures the YAML gives completely for 2019/20, the 2018/19 figures it quotes,
    the 2018/19 timeliness percentages it quotes) in the oracle's shape."""
    data = yaml.safe_load(FIGURES.read_text(encoding="utf-8"))
    year, prior = data["financial_year"], data["prior_financial_year"]
    area_of = {team: area for area, teams in data["service_areas"].items() for team in teams}

    current: dict[str, dict] = {name: {} for name in (t.name for t in wh.STATS_TABLES)}
    quoted: dict[str, dict] = {name: {} for name in current}
    for measure, figure in data["headlines"].items():
        current["stats_headlines"][(year, measure)] = figure["value"]
        if figure["prior"] is not None:
            quoted["stats_headlines"][(prior, measure)] = figure["prior"]
    for stage in (1, 2, 3):
        by_team = data[f"stage{stage}_received_by_team"]
        current["stats_headlines"][(year, f"stage{stage}_received")] = sum(
            f["value"] for f in by_team.values()
        )
        for team, figure in by_team.items():
            key = (stage, area_of[team], team)
            current["stats_received_by_team"][(year, *key)] = figure["value"]
            if figure["prior"]:
                quoted["stats_received_by_team"][(prior, *key)] = figure["prior"]
        columns = list(OUTCOME_COLUMNS.values())
        if stage > 1:
            columns = columns[1:]  # no "Escalated" column at stages 2 and 3
        for team, cells in data[f"stage{stage}_outcomes"].items():
            for outcome, decisions in zip(columns, cells, strict=True):
                key = (year, stage, area_of[team], team, outcome)
                current["stats_outcomes_by_team"][key] = decisions
        current["stats_headlines"][(year, f"stage{stage}_decisions")] = sum(
            data[f"stage{stage}_outcomes_total"]
        )
    for label, figure in data["issues"].items():
        current["stats_issues"][(year, label)] = figure["value"]
        quoted["stats_issues"][(prior, label)] = figure["prior"]
    current["stats_headlines"][(year, "learning_actions_agreed")] = sum(
        data["learning_actions_by_team"].values()
    )
    prior_percent = {}
    for measure, figure in data["timeliness"].items():
        current["stats_timeliness"][(year, measure)] = (figure["responses"], figure["within"])
        assert _percent(figure["within"], figure["responses"]) == figure["percent"]
        if figure["prior_percent"] is not None:
            prior_percent[(prior, measure)] = figure["prior_percent"]
    return current, quoted, prior_percent


def _by_label(stats: dict) -> dict:
    """stats_issues keyed (year, label), as the published report lists them."""
    return {(year, label): n for (year, _code, label), n in stats["stats_issues"].items()}


def test_reference_dataset_reproduces_the_published_report(pipeline):
    from csc_complaints_demo.reference_data import build_reference_dataset

    build_reference_dataset(pipeline.source)
    result = pipeline.run()
    assert {"2018/19", "2019/20"} <= set(result.changed_years)
    got = pipeline.stats()

    # Every figure of every year, as the oracle counts it from the source rows.
    assert _diff(expected_stats(pipeline.source_url), got) == {}

    current, quoted, prior_percent = _published_figures()
    # 2019/20: each published table in full (zeros dropped, as "a missing row means zero").
    for table in ("stats_headlines", "stats_received_by_team", "stats_outcomes_by_team"):
        want = {k: v for k, v in current[table].items() if v != 0}
        have = {k: v for k, v in got[table].items() if k[0] == "2019/20"}
        if table == "stats_headlines":  # the report does not print every measure
            have = {k: v for k, v in have.items() if k in current[table]}
        assert _diff({table: want}, {table: have}) == {}
    issues = _by_label(got)
    assert {k: v for k, v in issues.items() if k[0] == "2019/20"} == current["stats_issues"]
    assert {k: v for k, v in got["stats_timeliness"].items() if k[0] == "2019/20"} == current[
        "stats_timeliness"
    ]
    compliments = sum(
        n
        for (year, kind, *_), n in got["stats_feedback_by_team"].items()
        if (year, kind) == ("2019/20", "compliment")
    )
    assert compliments == current["stats_headlines"][("2019/20", "compliments_received")]

    # 2018/19: every figure the report quotes for comparison.
    for (year, measure), value in quoted["stats_headlines"].items():
        assert got["stats_headlines"].get((year, measure), 0) == value, measure
    for key, value in quoted["stats_received_by_team"].items():
        assert got["stats_received_by_team"].get(key, 0) == value, key
    for key, value in quoted["stats_issues"].items():
        assert issues.get(key, 0) == value, key
    for key, percent in prior_percent.items():
        responses, within = got["stats_timeliness"][key]
        assert _percent(within, responses) == percent, key


# --- synthetic datasets --------------------------------------------------------------------------


def _generate(pipeline, seed: int, **overrides) -> None:
    from csc_complaints_demo.synthetic import GeneratorConfig, generate

    config = {
        "seed": seed,
        # 2020 (VE Day moved), 2022 (jubilee, state funeral), 2023 (coronation)
        "first_year": "2019/20",
        "years": 5,
        "complaints_per_year": 600,
        "deletion_rate": 0.05,
        **overrides,
    }
    generate(pipeline.source, GeneratorConfig(**config), progress=False)


def _assert_the_data_is_not_tame(pipeline) -> None:
    """Guard against a test that cannot fail: the dataset has what the rules are about."""
    with pipeline.source.connect() as conn:
        deleted = conn.execute(
            select(func.count()).where(m.Complaint.__table__.c.deleted_at.is_not(None))
        ).scalar_one()
        stages = conn.execute(
            select(
                m.ComplaintStage.__table__.c.requested_date,
                m.ComplaintStage.__table__.c.response_date,
            ).where(m.ComplaintStage.__table__.c.response_date.is_not(None))
        ).all()
    assert deleted >= 10
    assert len(stages) >= 1000

    def weekdays(start, end):
        return sum(
            1 for n in range(1, (end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5
        )

    # Spans where bank holidays change the count: calendar weekdays differ from working days.
    spans = [(as_date(a), as_date(b)) for a, b in stages]
    touched = sum(1 for a, b in spans if weekdays(a, b) != working_days(a, b))
    assert touched >= 100


@pytest.mark.parametrize("seed", [7, 2024, 31337])
def test_synthetic_stats_equal_the_oracle(pipeline, seed):
    _generate(pipeline, seed)
    _assert_the_data_is_not_tame(pipeline)
    result = pipeline.run()
    assert len(result.changed_years) >= 5
    assert _diff(expected_stats(pipeline.source_url), pipeline.stats()) == {}


def test_second_build_changes_nothing_and_a_late_edit_rebuilds_only_its_year(pipeline):
    _generate(pipeline, 99, years=3)
    first = pipeline.run()
    before = pipeline.snapshot()

    again = pipeline.run()
    assert again.changed_years == () and again.removed_years == ()
    assert again.unchanged_years == first.financial_years
    assert pipeline.snapshot() == before  # same rows, fingerprints, build times and run ids

    # A late edit in a closed year: a 2019/20 compliment moves to another team.
    feedback = m.Feedback.__table__
    with pipeline.source.begin() as conn:
        row = conn.execute(
            select(feedback.c.feedback_id, feedback.c.team_id, feedback.c.updated_at)
            .where(
                feedback.c.deleted_at.is_(None),
                feedback.c.kind == "compliment",
                feedback.c.received_date.between(
                    datetime(2019, 4, 1).date(), datetime(2020, 3, 31).date()
                ),
            )
            .order_by(feedback.c.feedback_id)
            .limit(1)
        ).one()
        teams = sorted(conn.execute(select(m.Team.__table__.c.team_id)).scalars())
        new_team = next(t for t in teams if t != row.team_id)
        edited_at = datetime.now() - timedelta(minutes=1)
        conn.execute(
            update(feedback)
            .where(feedback.c.feedback_id == row.feedback_id)
            .values(team_id=new_team, updated_at=edited_at)
        )
    late = pipeline.run()
    assert late.changed_years == ("2019/20",)
    assert set(late.unchanged_years) == set(first.financial_years) - {"2019/20"}
    assert _diff(expected_stats(pipeline.source_url), pipeline.stats()) == {}
    after = pipeline.snapshot()
    for table in (t.name for t in wh.STATS_TABLES):
        other_years = [r for r in before[table] if r[1] != "2019/20"]
        assert other_years == [r for r in after[table] if r[1] != "2019/20"]
