"""Rendering limits a bigger council reaches: long charts and tables still lay out."""

from __future__ import annotations

import re

import pypdf

from csc_complaints.report.charts import drawing_for, split_to_fit
from csc_complaints.report.content import Chart, Document, Heading, Paragraph, Table, TableRow
from csc_complaints.report.render_pdf import render_pdf


def _chart(teams: int) -> Chart:
    names = tuple(f"Locality Team {n:02d} with a long name" for n in range(teams))
    return Chart(
        "Stage 1 complaints received by team",
        names,
        (("2019/20", tuple(range(teams))), ("2018/19", tuple(reversed(range(teams))))),
        "alt",
    )


def test_a_chart_taller_than_a_page_is_split_keeping_every_category():
    chart = _chart(90)
    parts = split_to_fit(chart, 480, 700)
    assert len(parts) > 1
    assert all(drawing_for(p, 480).height <= 700 for p in parts)
    assert sum((p.categories for p in parts), ()) == chart.categories
    assert parts[0].title.endswith(f"(1 of {len(parts)})")


def test_many_teams_lay_out_over_several_pages(tmp_path):
    rows = tuple(TableRow((f"Team {n}", str(n), str(n)), "row") for n in range(120))
    document = Document(
        title_lines=("Report",),
        council_name="A Council",
        year_label="2019/20",
        title="Report 2019/20",
        blocks=[
            Heading(1, "Big section"),
            Paragraph("Introduction & <things>."),
            _chart(90),
            Table("Big table", ("Team", "Now", "Total"), rows),
        ],
    )
    path = tmp_path / "big.pdf"
    render_pdf(document, path, draft=True)
    reader = pypdf.PdfReader(path)
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert len(reader.pages) > 5
    assert "Team 119 119 119" in text and "Introduction & <things>." in text
    # The header row repeats on every page the table runs over.
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    table_pages = [p for p in pages if re.search(r"(?<!Locality )Team \d+ \d+ \d+", p)]
    assert len(table_pages) >= 2
    assert all("Team Now Total" in p for p in table_pages)
