"""Rendering limits a bigger council reaches: long charts and tables still lay out."""

from __future__ import annotations

import re

import pypdf
import pytest

from csc_complaints.report.charts import drawing_for, split_to_fit
from csc_complaints.report.document import (
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    TableRow,
    Texts,
)
from csc_complaints.report.pdf import render_pdf


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


# --- learning texts in bulk, Contents in one layout pass ----------------------------------------

TEAMS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]
FOOTER = "A Council - Children's Social Care complaints annual report 2019/20"


def _action(team: str, n: int) -> str:
    """A unique text of one to eight lines, some with markup characters to print literally."""
    words = " ".join(["it was agreed that letters would be reviewed"] * (n % 8 * 2 + 1))
    markup = ' <b>bold</b> & "quoted" <i>' if n % 5 == 0 else ""
    return f"Action {team[0]}-{n:03d}:{markup} {words}."


def _learning_document() -> Document:
    blocks: list = [
        Heading(1, "Introduction"),
        Paragraph("The year's figures."),
        Heading(1, "Organisational Learning"),
        Paragraph("Learning agreed during the year, by team."),
    ]
    for size, team in zip((1, 2, 40, 90, 150, 60), TEAMS, strict=True):
        blocks.append(Heading(2, f"Team {team}", toc=False))
        blocks.append(Texts(tuple(_action(team, n) for n in range(size))))
    blocks += [
        Heading(1, "Performance"),
        Heading(2, "Timescales"),
        Paragraph("Timescales met."),
        Heading(1, "Annex"),
        Paragraph("How the figures were checked."),
    ]
    return Document(
        title_lines=("Report",),
        council_name="A Council",
        year_label="2019/20",
        title="Report 2019/20",
        blocks=blocks,
    )


@pytest.fixture(scope="module")
def learning_pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("learning") / "learning.pdf"
    render_pdf(_learning_document(), path, draft=False)
    reader = pypdf.PdfReader(path)
    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    return {"path": path, "reader": reader, "pages": pages}


def _without_furniture(page: str) -> str:
    return re.sub(r"Page \d+", "", page.replace(FOOTER, "")).strip()


def test_every_learning_text_is_printed_once_literally_and_long_runs_flow(learning_pdf):
    pages = [_without_furniture(p) for p in learning_pdf["pages"]]
    body = " ".join(" ".join(pages).split())
    texts = [t for b in _learning_document().blocks if isinstance(b, Texts) for t in b.items]
    for text in texts:
        assert body.count(" ".join(text.split())) == 1, text
    assert len(pages) > 20
    assert '<b>bold</b> & "quoted" <i>' in body
    # Runs split between lines: some texts start on one page and end on the next.
    whole_on_a_page = [t for t in texts if any(" ".join(t.split()) in p for p in pages)]
    assert len(whole_on_a_page) < len(texts)


def test_a_team_heading_is_on_the_page_of_its_first_text(learning_pdf):
    pages = learning_pdf["pages"]
    for team in TEAMS:
        [page] = [p for p in pages if re.search(rf"Team {team} Action {team[0]}-000:", p)]
        assert page.index(f"Team {team}") < page.index(f"Action {team[0]}-000:")


def test_contents_page_numbers_are_the_pages_of_the_headings(learning_pdf):
    reader, pages = learning_pdf["reader"], learning_pdf["pages"]
    layout = reader.pages[1].extract_text(extraction_mode="layout")
    contents = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^\s*(\S.*?)\s+(?:\.\s+)+(\d+)\s*$", layout, flags=re.M)
    }
    assert list(contents) == [
        "Introduction",
        "Organisational Learning",
        "Performance",
        "Timescales",
        "Annex",
    ]
    assert contents["Performance"] > 20  # laid out once, yet numbered after the learning pages
    outline = [o for item in reader.outline for o in (item if isinstance(item, list) else [item])]
    bookmarks = {o.title: reader.get_destination_page_number(o) + 1 for o in outline}
    for title, page in contents.items():
        assert bookmarks[title] == page, title
        first = next(n for n, text in enumerate(pages[2:], start=3) if title in text)
        assert first == page, title


def test_a_learning_heavy_report_is_byte_identical_when_built_again(learning_pdf, tmp_path):
    again = tmp_path / "again.pdf"
    render_pdf(_learning_document(), again, draft=False)
    assert again.read_bytes() == learning_pdf["path"].read_bytes()


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_two_series_are_told_apart_in_greyscale_and_on_white():
    """Issue 13.6: at least 3:1 between this year's and last year's bars, and each at least
    3:1 against the white page (WCAG 1.4.11); the same colours in the PDF and the SVG."""
    from csc_complaints.report.charts import SERIES_COLOURS, svg_for

    this_year, last_year = SERIES_COLOURS
    assert _contrast(this_year, last_year) >= 3
    assert min(_contrast(c, "#ffffff") for c in SERIES_COLOURS) >= 3
    # The PDF and the SVG draw the same reportlab drawing: its bars are in these colours.
    bars = drawing_for(_chart(3), 480).contents[0]
    fills = {bars.bars[i].fillColor.hexval().lower().replace("0x", "#") for i in (0, 1)}
    assert fills == {c.lower() for c in SERIES_COLOURS}
    assert svg_for(_chart(3)).count("rgb(0%,18%,47%)") >= 3  # #003078 in the SVG's bars


def test_charts_have_axis_titles_in_both_renderings(tmp_path):
    chart = Chart(
        "Stage 1 complaints received by team",
        ("Team One", "Team Two"),
        (("2019/20", (3, 4)), ("2018/19", (2, 5))),
        "alt",
        category_title="Team",
        value_title="Number of complaints received",
    )
    from csc_complaints.report.charts import svg_for

    assert "Number of complaints received" in svg_for(chart) and ">Team<" in svg_for(chart)
    document = Document(("Report",), "A Council", "2019/20", "Report", [Heading(1, "S"), chart])
    render_pdf(document, tmp_path / "chart.pdf", draft=False)
    text = pypdf.PdfReader(tmp_path / "chart.pdf").pages[2].extract_text()  # after Contents
    assert "Number of complaints received" in text and "Team" in text
