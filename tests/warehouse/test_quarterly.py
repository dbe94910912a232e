"""The quarterly stats and the open cases against the oracle (tests/oracle.py), on the
reference dataset and random synthetic sources, SQLite and PostgreSQL (``new_database``).

Open cases are counted at the last day of each quarter before the day the latest extract
finished; the oracle is given that day and the years of the warehouse's calendar (its inputs,
not its results) and counts the rest from the source rows.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from csc_complaints.dates import FinancialQuarter, FinancialYear
from csc_complaints.warehouse import schema as wh
from csc_complaints_demo import models as m
from tests.oracle import expected_quarterly, quarterly_from_warehouse
from tests.warehouse.test_against_oracle import COUNCIL, Pipeline, _diff, _generate


@pytest.fixture
def pipeline(new_database):
    made = Pipeline(new_database)
    yield made
    made.dispose()


def _oracle_inputs(pipeline) -> tuple[set[str], date]:
    with pipeline.warehouse.connect() as conn:
        years = set(conn.execute(select(wh.dim_date.c.financial_year).distinct()).scalars())
        finished = conn.execute(select(func.max(wh.etl_extract_runs.c.finished_at))).scalar_one()
    return years, date.fromisoformat(str(finished)[:10])


def _check(pipeline) -> dict:
    years, as_of = _oracle_inputs(pipeline)
    expected = expected_quarterly(pipeline.source_url, years, as_of)
    got = quarterly_from_warehouse(pipeline.warehouse_url, COUNCIL)
    assert _diff(expected, got) == {}
    return got


def test_reference_dataset_quarters_and_overdue_cases_equal_the_oracle(pipeline):
    from csc_complaints_demo.reference_data import build_reference_dataset

    build_reference_dataset(pipeline.source)
    pipeline.run()
    got = _check(pipeline)
    # The quarters of 2019/20 add up to the year's published figures.
    stage1 = [got["stats_quarterly_stages"].get(("2019/20", q, 1), (0, 0)) for q in (1, 2, 3, 4)]
    assert sum(received for received, _ in stage1) == 57
    # Every quarter of 2019/20 is counted for open cases (zero rows included), and some
    # quarter has a case past its target: the annex is not empty by construction.
    with pipeline.warehouse.connect() as conn:
        counted = conn.execute(
            select(wh.stats_quarterly_open.c.quarter, wh.stats_quarterly_open.c.as_at).where(
                wh.stats_quarterly_open.c.financial_year == "2019/20"
            )
        ).all()
    assert {(q, a) for q, a in counted} == {
        (q.number, q.last_day.isoformat()) for q in FinancialYear(2019).quarters
    }
    assert any(k[0] == "2019/20" for k in got["overdue"])


@pytest.mark.parametrize("seed", [7, 2024])
def test_synthetic_quarters_and_overdue_cases_equal_the_oracle(pipeline, seed):
    _generate(pipeline, seed, years=3, complaints_per_year=400)
    pipeline.run()
    got = _check(pipeline)
    assert len(got["overdue"]) >= 4, "the data has overdue cases in several quarters"
    assert sum(len(v) for v in got["overdue"].values()) >= 20


def test_a_corrected_response_date_moves_the_case_out_of_the_quarter_end(pipeline):
    """A stage row open at the end of 2019/20 Q1 turns out to have been answered on that day:
    the rebuild no longer counts it open then, and the oracle agrees."""
    _generate(pipeline, 5, years=2, complaints_per_year=200)
    pipeline.run()
    stages = m.ComplaintStage.__table__
    quarter = FinancialQuarter.parse("2019/20 Q1")
    with pipeline.source.connect() as conn:
        row = conn.execute(
            select(stages.c.stage_id)
            .where(
                stages.c.deleted_at.is_(None),
                stages.c.stage.in_((1, 2)),
                stages.c.requested_date.between(quarter.start, quarter.last_day),
                stages.c.response_date > quarter.last_day,
            )
            .order_by(stages.c.stage_id)
            .limit(1)
        ).scalar_one()
    assert quarter.last_day.isoformat() in _open_at(pipeline, row)
    with pipeline.source.begin() as conn:
        conn.execute(
            update(stages)
            .where(stages.c.stage_id == row)
            .values(response_date=quarter.last_day, updated_at=func.current_timestamp())
        )
    pipeline.run()
    _check(pipeline)
    assert quarter.last_day.isoformat() not in _open_at(pipeline, row)


def _open_at(pipeline, stage_id: int) -> set[str]:
    with pipeline.warehouse.connect() as conn:
        return set(
            conn.execute(
                select(wh.fact_open_stages.c.as_at).where(
                    wh.fact_open_stages.c.stage_id == stage_id
                )
            ).scalars()
        )
