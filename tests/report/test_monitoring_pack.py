"""The quarterly monitoring pack of each quarter of 2019/20, built from the reference dataset
through the extract and the warehouse build, on SQLite and PostgreSQL: its annex is the oracle's
list of overdue cases, its figures the oracle's year to date; it is tagged, never DRAFT, says it
is not for publication, rebuilds byte for byte, and is refused before its quarter is counted."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from csc_complaints.dates import FinancialQuarter, FinancialYear
from csc_complaints.report.monitoring import QuarterNotReady, build_monitoring_pack
from csc_complaints.warehouse import schema as wh
from tests.oracle import expected_quarterly
from tests.warehouse.test_against_oracle import SETTINGS, Pipeline

from . import tagged_pdf

YEAR = FinancialYear(2019)


@pytest.fixture
def built(new_database, tmp_path):
    from csc_complaints_demo.reference_data import build_reference_dataset

    pipeline = Pipeline(new_database)
    build_reference_dataset(pipeline.source)
    pipeline.run()
    with pipeline.warehouse.connect() as conn:
        years = set(conn.execute(select(wh.dim_date.c.financial_year).distinct()).scalars())
        finished = conn.execute(select(func.max(wh.etl_extract_runs.c.finished_at))).scalar_one()
    oracle = expected_quarterly(pipeline.source_url, years, date.fromisoformat(str(finished)[:10]))
    yield pipeline, oracle, tmp_path / "output"
    pipeline.dispose()


def _csv(path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_each_quarters_pack_matches_the_oracle(built):
    pipeline, oracle, output = built
    for quarter in YEAR.quarters:
        pack = build_monitoring_pack(pipeline.warehouse, SETTINGS, quarter.label, output)
        assert pack.directory == output / "2019-20"
        assert pack.pdf.name == f"monitoring-2019-20-q{quarter.number}.pdf"
        listed = [
            (r["reference"], int(r["stage"]), r["team"], int(r["working_days_open"]))
            for r in _csv(pack.csv[1])
        ]
        assert sorted(listed) == oracle["overdue"].get((YEAR.label, quarter.number), [])
        assert [r[3] for r in listed] == sorted((r[3] for r in listed), reverse=True)
        figures = {(r["figure"], r["stage_or_measure"]): r for r in _csv(pack.csv[0])}
        for stage in (1, 2, 3):
            for kind, index in (("received", 0), ("decided", 1)):
                for year, column in ((YEAR, "year_to_date"), (YEAR.prior, "prior_year_to_date")):
                    want = sum(
                        oracle["stats_quarterly_stages"].get((year.label, q, stage), (0, 0))[index]
                        for q in range(1, quarter.number + 1)
                    )
                    assert int(figures[(kind, str(stage))][column]) == want, (kind, stage, year)
            open_cases, past = oracle["stats_quarterly_open"].get(
                (YEAR.label, quarter.number, stage), (0, 0)
            )
            assert int(figures[("open_at_quarter_end", str(stage))]["year_to_date"]) == open_cases
            assert int(figures[("past_target_at_quarter_end", str(stage))]["year_to_date"]) == past
        assert pack.overdue == len(listed)
    # The year's last pack: the year to date is the whole year, as the annual report has it.
    assert int(figures[("received", "1")]["year_to_date"]) == 57
    assert listed, "the reference dataset has cases past target at the end of the year"


def test_the_pack_is_tagged_unmarked_not_for_publication_and_rebuilt_byte_for_byte(built):
    pipeline, _oracle, output = built
    first = build_monitoring_pack(pipeline.warehouse, SETTINGS, "2019/20 Q2", output)
    html = first.html.read_text(encoding="utf-8")
    before = {path: path.read_bytes() for path in first.paths}
    again = build_monitoring_pack(pipeline.warehouse, SETTINGS, "2019/20 Q2", output)
    assert {path: path.read_bytes() for path in again.paths} == before
    assert again.pdf_sha256 == first.pdf_sha256

    assert "Management information, not for publication" in html
    assert "needs no sign-off" in html and "DRAFT" not in html
    assert '<html lang="en-GB">' in html
    pdf = tagged_pdf.read(first.pdf)
    assert pdf.problems == []
    headings = [(e.role, e.text(pdf)) for e in pdf.elements() if e.role in ("H1", "H2")]
    assert headings[:2] == [
        ("H1", "Children's Social Care Complaints Quarterly Monitoring Pack 2019/20 Quarter 2"),
        ("H2", "Contents"),
    ]
    assert ("H2", "Annex: open cases past their target date") in headings
    cover = " ".join(pdf.texts[key] for key in sorted(pdf.texts) if key[0] == 0)
    assert "Management information, not for publication" in cover
    assert not any("DRAFT" in text for page in pdf.artifact_text for text in page)
    assert any("not for publication" in text for page in pdf.artifact_text[1:] for text in page), (
        "every page's footer says it"
    )


def test_a_quarter_not_ended_or_not_counted_is_refused(built, new_database, tmp_path):
    pipeline, _oracle, output = built
    quarter = FinancialQuarter.parse("2019/20 Q3")
    during = datetime(2019, 12, 31, 12, tzinfo=UTC)
    with pytest.raises(QuarterNotReady, match="has not ended yet"):
        build_monitoring_pack(pipeline.warehouse, SETTINGS, quarter, output, now=during)
    # A warehouse never built: not counted, and nothing is written.
    empty = Pipeline(new_database)
    try:
        with pytest.raises(QuarterNotReady, match="run complaints_extract and complaints_wareh"):
            build_monitoring_pack(empty.warehouse, SETTINGS, quarter, tmp_path / "empty")
    finally:
        empty.dispose()
    assert not (tmp_path / "empty").exists()
