"""The regional benchmark of 2019/20 over four councils in one warehouse (SQLite and
PostgreSQL; ``benchmark_region``): every figure is the oracle's count of that council's own
source; one council is final (published), one draft, one draft with rows rejected, one has no
data, and none is left out; the CSV is long format with safe cells; the PDF is tagged, never
DRAFT-marked as a whole, says it is management information, and rebuilds byte for byte."""

from __future__ import annotations

import csv
import io
import statistics
from decimal import ROUND_HALF_UP, Decimal
from html import unescape

import pytest

from csc_complaints.report.benchmark import (
    BENCHMARK_MEASURES,
    CSV_COLUMNS,
    build_benchmark,
)

from . import tagged_pdf
from .benchmark_region import COUNCILS, DRAFT, EMPTY, PUBLISHED, REJECTED, YEAR, build_region
from .test_tagged_pdf import _Html, _pdf_body

TENTH = Decimal("0.1")


@pytest.fixture
def region(new_database, new_sqlite_database, tmp_path):
    built = build_region(new_database, new_sqlite_database, tmp_path)
    yield built
    built.dispose()


def _ratio(part: int, whole: int | None, per: int = 100) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part * per) / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def expected_figures(stats: dict, population: int | None) -> dict[str, object]:
    """The benchmark's figures of one council, from tests/oracle.py's stats of its source."""
    headlines = stats["stats_headlines"]
    timeliness = stats["stats_timeliness"]
    received = headlines.get((YEAR, "complaints_received"), 0)
    figures = {
        "complaints_received": received,
        "complaints_per_10000_children": _ratio(received, population, 10_000),
        "ombudsman_maladministration": headlines.get((YEAR, "ombudsman_maladministration"), 0),
    }
    for name in ("stage1_within_10wd", "stage1_within_20wd", "stage2_within_25wd"):
        responses, within = timeliness.get((YEAR, name), (0, 0))
        figures[f"{name}_percent"] = _ratio(within, responses)
    responses, within = timeliness.get((YEAR, "stage2_within_65wd"), (0, 0))
    figures["stage2_within_65wd_percent"] = _ratio(within, responses)
    began, escalated = stats["stats_escalation"].get((YEAR, 1), (0, 0))
    figures["stage1_escalated_percent"] = _ratio(escalated, began)
    upheld = sum(
        n
        for (fy, stage, _area, _team, outcome), n in stats["stats_outcomes_by_team"].items()
        if fy == YEAR and stage == 1 and outcome in ("upheld", "partially_upheld")
    )
    figures["stage1_upheld_percent"] = _ratio(upheld, headlines.get((YEAR, "stage1_decisions")))
    return figures


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_every_council_is_listed_with_the_oracles_figures_and_its_status(region):
    result = build_benchmark(region.warehouse, COUNCILS, YEAR, region.output, region.settings)
    assert result.directory == region.output / "benchmark" / "2019-20"
    assert [p.name for p in result.paths] == [
        "benchmark-2019-20.pdf",
        "benchmark-2019-20.html",
        "benchmark-2019-20.csv",
    ]
    by_code = {c.code: c for c in result.councils}
    assert set(by_code) == {c.code for c in COUNCILS}, "no council is left out"
    assert {code: c.status for code, c in by_code.items()} == {
        PUBLISHED.code: "final",
        DRAFT.code: "draft",
        REJECTED.code: "draft",
        EMPTY.code: "no_data",
    }
    assert by_code[REJECTED.code].rejected_rows == 1
    assert by_code[PUBLISHED.code].rejected_rows == by_code[DRAFT.code].rejected_rows == 0

    expected = {
        council.code: expected_figures(region.oracle[council.code], council.population_0_17)
        for council in (PUBLISHED, DRAFT, REJECTED)
    }
    for code, figures in expected.items():
        assert by_code[code].values == figures, code
    assert expected[DRAFT.code]["complaints_per_10000_children"] is None  # no population given
    assert all(v is not None for v in expected[PUBLISHED.code].values())
    assert by_code[EMPTY.code].values == {}

    # The CSV: long format, one row per council and measure (and rows rejected), safe cells.
    text = result.csv.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = _rows(text)
    names = [m.name for m in BENCHMARK_MEASURES] + ["rejected_rows"]
    assert len(rows) == len(COUNCILS) * len(names)
    for council in COUNCILS:
        own = [r for r in rows if r["council_code"] == council.code]
        assert [r["measure"] for r in own] == names
        assert {r["financial_year"] for r in own} == {YEAR}
        assert {r["status"] for r in own} == {by_code[council.code].status}
        want = expected.get(council.code, {})
        for row in own[:-1]:
            value = want.get(row["measure"])
            assert row["value"] == ("" if value is None else str(value)), (council, row)
        assert own[-1]["value"] == str(by_code[council.code].rejected_rows)
    assert {r["council_name"] for r in rows if r["council_code"] == EMPTY.code} == {
        "'=Westmarch Council"
    }

    # The region's figures: totals of counts, medians of percentages and rates.
    html = unescape(result.html.read_text(encoding="utf-8"))
    total = sum(f["complaints_received"] for f in expected.values())
    assert "Region total</th>" in html and f">{total}</td>" in html
    ten = [f["stage1_within_10wd_percent"] for f in expected.values()]
    median = Decimal(statistics.median(ten)).quantize(TENTH, rounding=ROUND_HALF_UP)
    assert f"The region's median, over the three councils with a figure, is {median}%." in html


def test_the_pdf_and_html_mark_each_council_and_say_it_is_management_information(region):
    first = build_benchmark(region.warehouse, COUNCILS, YEAR, region.output, region.settings)
    before = {path: path.read_bytes() for path in first.paths}
    again = build_benchmark(
        region.warehouse, list(reversed(COUNCILS)), YEAR, region.output, region.settings
    )
    assert {path: path.read_bytes() for path in again.paths} == before, "byte-identical"

    html = unescape(first.html.read_text(encoding="utf-8"))
    assert '<html lang="en-GB">' in html and 'class="is-draft"' not in html
    note = "Management information for the councils in this deployment."
    assert note in html and "Whether to publish it is their decision." in html
    marks = ("Eastmoor (draft)", "Southvale (draft, rows rejected)", "Westmarch (no data)")
    for marked in (*marks, "Eastmoor (draft, children not given)", "Northbridge:"):
        assert marked in html
    assert "Draft, one row rejected" in html and "No data" in html
    assert "'=Westmarch" not in html and "=Westmarch Council" in html  # quoted in the CSV only

    pdf = tagged_pdf.read(first.pdf)
    assert pdf.problems == []
    headings = [(e.role, e.text(pdf)) for e in pdf.elements() if e.role in ("H1", "H2")]
    assert headings[:2] == [
        ("H1", "Children's Social Care Complaints Regional Benchmark 2019/20"),
        ("H2", "Contents"),
    ]
    assert ("H2", "Stage 1 responses within 10 working days") in headings
    assert ("H2", "Ombudsman decisions finding maladministration") in headings
    figures = [e for e in pdf.elements() if e.role == "Figure"]
    assert len(figures) == len(BENCHMARK_MEASURES)
    cover = " ".join(pdf.texts[key] for key in sorted(pdf.texts) if key[0] == 0)
    assert note in cover
    assert not any("DRAFT" in text for page in pdf.artifact_text for text in page)
    assert any("management information" in t for page in pdf.artifact_text[1:] for t in page)

    # As the annual report's (test_tagged_pdf): the structure tree reads as the HTML page, the
    # figures carry the charts' text alternatives, and the PDF/UA-1 validator finds nothing.
    page = _Html(first.html.read_text(encoding="utf-8"))
    assert _pdf_body(pdf) == page.body
    assert [f.alt for f in figures] == [alt for kind, alt in page.body if kind == "Figure"]
    assert (
        "Bar chart: Complaints received, 2019/20, councils ranked. Northbridge: " in figures[0].alt
    )
    assert "Westmarch (no data): no figure." in figures[0].alt
    import page as validator

    result = validator.validate_pdf(str(first.pdf), profile="ua1")
    assert [f"{f.rule_id}: {f.message}" for f in result.failures] == []
    assert result.is_compliant


def test_a_warehouse_with_nothing_lists_every_council_as_no_data(new_sqlite_database, tmp_path):
    from csc_complaints.db import make_engine
    from csc_complaints.settings import load_settings

    engine = make_engine(new_sqlite_database())
    try:
        result = build_benchmark(engine, COUNCILS, YEAR, tmp_path, load_settings({}))
    finally:
        engine.dispose()
    assert [c.status for c in result.councils] == ["no_data"] * len(COUNCILS)
    rows = _rows(result.csv.read_text(encoding="utf-8"))
    assert {r["value"] for r in rows if r["measure"] != "rejected_rows"} == {""}
    with pytest.raises(ValueError, match="E09000002 repeated"):
        build_benchmark(engine, [PUBLISHED, PUBLISHED], YEAR, tmp_path, load_settings({}))


def test_a_council_counted_against_its_own_target_or_restated_is_marked():
    """A council whose registry settings set another target than the deployment's was counted
    against it (its build's settings): its cell and its bar say so. A final year restated since
    publication is marked too."""
    import dataclasses

    from csc_complaints.dates import FinancialYear
    from csc_complaints.report.benchmark import CouncilYear, measure_section
    from csc_complaints.settings import load_settings

    settings = load_settings({})
    measure = next(m for m in BENCHMARK_MEASURES if m.name == "stage1_within_10wd_percent")
    own = {"stage1_within_10wd_percent": 15}
    councils = [
        CouncilYear("E09000002", "Northbridge", "Northbridge", None, "final", 0, {}, {}, {}),
        CouncilYear(
            "E09000003", "Eastmoor", "Eastmoor", None, "draft", 0,
            {measure.name: Decimal("50.0")}, {measure.name: 10}, own,
        ),
    ]  # fmt: skip
    councils[0] = dataclasses.replace(councils[0], restated=True)
    blocks = measure_section(FinancialYear(2019), councils, measure, settings)
    chart = next(b for b in blocks if b.kind == "chart")
    assert chart.categories == (
        "Eastmoor (draft, target 15 working days)",
        "Northbridge (restated, not measured)",
    )
    table = blocks[-1]
    assert table.rows[0].cells == (
        "Eastmoor",
        "Draft; its target is 15 working days",
        "50.0%",
        "10",
    )
    assert table.rows[1].cells == (
        "Northbridge",
        "Final, restated since publication",
        "not measured",
        "",
    )


def test_a_published_year_whose_figures_changed_is_final_and_marked_restated(
    new_sqlite_database, tmp_path
):
    """After publication a complaint of the year is deleted in the source; the next extract,
    build and reconciliation find the year restated (RC07): still final, marked restated."""
    from datetime import UTC, datetime

    from sqlalchemy import select, update

    from csc_complaints.extract import run_extract
    from csc_complaints.quality import run_reconciliation
    from csc_complaints.warehouse.build import build_warehouse
    from csc_complaints_demo import models as m

    region = build_region(new_sqlite_database, new_sqlite_database, tmp_path, row_checks=False)
    try:
        source = region.sources[PUBLISHED.code]
        settings = region.council_settings[PUBLISHED.code]
        complaints = m.Complaint.__table__
        edited = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # after the first extract
        with source.begin() as conn:
            first = conn.execute(
                select(complaints.c.complaint_id)
                .where(complaints.c.received_date >= "2019-04-01")
                .where(complaints.c.received_date <= "2020-03-31")
                .where(complaints.c.deleted_at.is_(None))
                .order_by(complaints.c.complaint_id)
            ).first()
            conn.execute(
                update(complaints)
                .where(complaints.c.complaint_id == first.complaint_id)
                .values(deleted_at=edited, updated_at=edited)
            )
        run_extract(source, region.warehouse, settings, "restate")
        build_warehouse(region.warehouse, settings, "restate")
        run_reconciliation(region.warehouse, settings, "restate", [YEAR], settings.output_path)
        result = build_benchmark(region.warehouse, COUNCILS, YEAR, region.output, region.settings)
    finally:
        region.dispose()
    (published,) = [c for c in result.councils if c.code == PUBLISHED.code]
    assert published.status == "final" and published.restated
    assert (
        published.values["complaints_received"]
        == expected_figures(region.oracle[PUBLISHED.code], PUBLISHED.population_0_17)[
            "complaints_received"
        ]
        - 1
    )
    html = unescape(result.html.read_text(encoding="utf-8"))
    assert "Final, restated since publication" in html and "Northbridge (restated)" in html
    assert {c.code for c in result.councils if c.restated} == {PUBLISHED.code}
