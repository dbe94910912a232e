"""The measures registry (csc_complaints.measures) is the only list of measures: a measure added to
it is counted by the warehouse, given its zero rows, checked by RC06 and published in the CSV
open data, and a measure taken out of it leaves them, with no other file edited. On SQLite and
PostgreSQL (the ``pipeline`` fixture runs each test on both).
"""

from __future__ import annotations

import csv
import dataclasses

import pytest
from sqlalchemy import select

from csc_complaints import measures
from csc_complaints.report.build import write_stats_csv
from csc_complaints.report.open_data_tables import OPEN_DATA_BY_STATS_TABLE
from csc_complaints.warehouse import schema as wh
from tests import oracle
from tests.quality.dataset import execute

YEAR = "2019/20"
C = f"council_code = 'E06000005' AND financial_year = '{YEAR}'"

# Two timeliness measures no council publishes yet, each counted from its registry fields alone:
# Stage 1 within 15 working days (the Director's 15-day target setting reused), extending the
# 10-day measure; and a whole Stage 3, request to the Director's response, within 65 days.
STAGE1_15 = measures.TimelinessMeasure(
    "stage1_within_15wd",
    stage=1,
    start_date="requested_date",
    end_date="response_date",
    target_setting="stage3_director_wd",
    label="Stage 1 response, 15 days",
    decisions_measure="stage1_decisions",
    extends="stage1_within_10wd",
)
STAGE3_WHOLE = measures.TimelinessMeasure(
    "stage3_whole_within_65wd",
    stage=3,
    start_date="requested_date",
    end_date="response_date",
    target_setting="stage2_extended_wd",
    label="Stage 3, request to the Director's response",
    decisions_measure="stage3_decisions",
)
# A headline nothing counts yet: the registry alone gives it its zero rows.
ADVOCACY = measures.HeadlineMeasure("advocacy_referrals", "advocacy referrals made in the year")


@pytest.fixture
def extended_registry(monkeypatch):
    monkeypatch.setattr(
        measures, "TIMELINESS_MEASURES", (*measures.TIMELINESS_MEASURES, STAGE1_15, STAGE3_WHOLE)
    )
    monkeypatch.setattr(measures, "HEADLINE_MEASURES", (*measures.HEADLINE_MEASURES, ADVOCACY))
    # The oracle counts the new measures its own way, from the source rows.
    monkeypatch.setitem(
        oracle.TIMELINESS, STAGE1_15.name, (1, "requested_date", "response_date", 15)
    )
    monkeypatch.setitem(
        oracle.TIMELINESS, STAGE3_WHOLE.name, (3, "requested_date", "response_date", 65)
    )


def _rows(engine, table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def _csv(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_measure_added_to_the_registry_is_counted_zero_filled_reconciled_and_published(
    pipeline, extended_registry, tmp_path
):
    p = pipeline()
    p.extract("run-1")
    assert not p.row_checks("run-1").failed_rules
    build = p.build("run-1")
    assert build.financial_years == (YEAR,)

    # dim_measure, which the SQL and RC06 read, is the extended registry.
    stored = {row["measure"]: row for row in _rows(p.warehouse, wh.dim_measure)}
    assert set(stored) == {m.name for m in measures.HEADLINE_MEASURES} | {
        m.name for m in measures.TIMELINESS_MEASURES
    }
    assert stored["stage1_within_15wd"]["extends_measure"] == "stage1_within_10wd"
    assert stored["advocacy_referrals"]["stats_table"] == "stats_headlines"

    # Counted: the new measures' figures are the oracle's, from the source rows.
    source_url = p.source.url.render_as_string(hide_password=False)
    expected = oracle.expected_stats(source_url)["stats_timeliness"]
    timeliness = {
        r["measure"]: (r["responses"], r["within_target"])
        for r in _rows(p.warehouse, wh.stats_timeliness)
        if r["financial_year"] == YEAR
    }
    assert timeliness["stage1_within_15wd"] == expected[(YEAR, "stage1_within_15wd")] == (4, 4)
    assert timeliness["stage3_whole_within_65wd"] == expected[(YEAR, "stage3_whole_within_65wd")]
    assert timeliness["stage3_whole_within_65wd"] == (1, 1)
    # Zero-filled: every registered measure has its row, the uncounted headline a zero.
    assert set(timeliness) == {m.name for m in measures.TIMELINESS_MEASURES}
    headlines = {
        r["measure"]: r["value"]
        for r in _rows(p.warehouse, wh.stats_headlines)
        if r["financial_year"] == YEAR
    }
    assert set(headlines) == set(measures.HEADLINE_NAMES) | {"advocacy_referrals"}
    assert headlines["advocacy_referrals"] == 0

    # Reconciled: RC06 holds, then catches each new measure's own break.
    assert not p.reconcile("run-1", build.changed_years).years[YEAR].failed_rules
    execute(
        p.warehouse,
        f"UPDATE stats_timeliness SET within_target = 0 WHERE {C}"
        " AND measure = 'stage1_within_15wd'",
        f"UPDATE stats_timeliness SET responses = responses + 1 WHERE {C}"
        " AND measure = 'stage3_whole_within_65wd'",
    )
    year = p.reconcile("run-2", [YEAR]).years[YEAR]
    # (RC13 too: the year's timeliness no longer equals the sum of its quarters.)
    assert [r.code for r in year.failed_rules] == ["RC06", "RC13"]
    assert sorted(d["message"] for d in year.failed_rules[0].discrepancies) == [
        "RC06 2019/20 stage3_whole_within_65wd: responses 2, stage3_decisions 1",
        "RC06 2019/20: stage1_within_10wd within target 3 is more than stage1_within_15wd"
        " within target 0",
    ]

    # Published: the open data lists every registered measure of the year.
    paths = write_stats_csv(p.warehouse, p.settings, YEAR, tmp_path / "csv")
    assert [path.name for path in paths[: len(wh.PUBLISHED_STATS_TABLES)]] == [
        OPEN_DATA_BY_STATS_TABLE[table.name].file_name for table in wh.PUBLISHED_STATS_TABLES
    ]
    published = _csv(tmp_path / "csv" / OPEN_DATA_BY_STATS_TABLE["stats_timeliness"].file_name)
    assert {row["measure"] for row in published} == {m.name for m in measures.TIMELINESS_MEASURES}
    published_headlines = {r["measure"]: r["value"] for r in _csv(paths[0])}
    assert published_headlines["advocacy_referrals"] == "0"


def test_a_measure_taken_out_of_the_registry_leaves_the_warehouse_and_the_open_data(
    pipeline, monkeypatch, tmp_path
):
    p = pipeline()
    p.extract("run-1")
    assert p.build("run-1").changed_years == (YEAR,)
    kept = tuple(m for m in measures.TIMELINESS_MEASURES if m.name != "stage1_within_10wd")
    # stage1_within_20wd extends the measure taken out: it extends nothing any more.
    kept = tuple(
        dataclasses.replace(m, extends=None) if m.extends == "stage1_within_10wd" else m
        for m in kept
    )
    monkeypatch.setattr(measures, "TIMELINESS_MEASURES", kept)

    rebuilt = p.build("run-2")
    assert rebuilt.changed_years == (YEAR,)  # the year's rows changed: one measure fewer
    assert "stage1_within_10wd" not in {r["measure"] for r in _rows(p.warehouse, wh.dim_measure)}
    assert {r["measure"] for r in _rows(p.warehouse, wh.stats_timeliness)} == {m.name for m in kept}
    assert not p.reconcile("run-2", [YEAR]).years[YEAR].failed_rules
    write_stats_csv(p.warehouse, p.settings, YEAR, tmp_path)
    timeliness = OPEN_DATA_BY_STATS_TABLE["stats_timeliness"].file_name
    assert "stage1_within_10wd" not in (tmp_path / timeliness).read_text(encoding="utf-8")
