"""The one-pass layout pieces: plain-text runs, the held-pages canvas, the Contents."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph

from csc_complaints.report.pdf.layout import (
    Contents,
    HeldPagesCanvas,
    PlainText,
    WordWidths,
    _Lines,
    break_lines,
)

STYLE = ParagraphStyle(
    "body", fontName="Helvetica", fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=6
)
WIDTH = 458.55  # the report's frame, less its padding

SAMPLES = [
    "After a Stage 1 investigation for Children's Access Point, it was agreed the Council would "
    "review its training in respect of PREVENT and the Channel Panel.",
    'Letters now say "<b>when</b> payments end" & why; <script>alert(1)</script> isn\'t run.',
    "Short.",
    "  Spaces   and\ttabs\nand new lines are one space each.  ",
    " ".join(f"word{n}" for n in range(120)),
    "Following a further complaint for Safeguarding Team C, it was agreed that cases open for "
    "> 12 months without a review would be escalated to the Team Manager. Progress will be "
    "monitored by the Complaints Manager.",
]


def _widths() -> WordWidths:
    return WordWidths(STYLE.fontName, STYLE.fontSize)


@pytest.mark.parametrize("text", SAMPLES)
def test_lines_break_where_a_paragraph_breaks_them(text):
    """Same lines as reportlab's Paragraph (its markup escaped), so the report looks the same."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paragraph = Paragraph(escaped, STYLE)
    paragraph.wrap(WIDTH, 10_000)
    if paragraph.blPara.kind == 0:  # one run of text: (spare width, words) per line
        expected = [" ".join(words) for _, words in paragraph.blPara.lines]
    else:  # entities make fragments, each holding its own spaces
        expected = ["".join(f.text for f in line.words) for line in paragraph.blPara.lines]
    assert break_lines(text, WIDTH, _widths(), STYLE.spaceShrinkage) == expected


def test_every_word_is_kept_in_order_and_every_line_fits():
    text = " ".join(SAMPLES)
    lines = break_lines(text, 200, _widths())
    assert " ".join(lines) == " ".join(text.split())
    assert all(stringWidth(line, "Helvetica", 10.5) <= 200 for line in lines)


def test_a_word_wider_than_a_line_is_cut_into_pieces_that_fit():
    word = "x" * 300
    lines = break_lines(f"before {word} after", 200, _widths())
    assert "".join(lines).replace(" ", "") == f"before{word}after"
    assert all(stringWidth(line, "Helvetica", 10.5) <= 200 for line in lines)
    assert lines[0].startswith("before x")  # the first piece fills the first line


def test_a_no_break_space_is_not_a_line_break():
    lines = break_lines("aaaa\u00a0bbbb " * 30, 100, _widths())
    assert all(line.count("aaaa") == line.count("bbbb") for line in lines)


def _run(counts: list[int]) -> _Lines:
    """A run of texts of ``counts[i]`` lines each (one word per line at this width)."""
    texts = [" ".join(["mmmmmmmmmm"] * n) for n in counts]
    return _Lines(texts, stringWidth("mmmmmmmmmm", "Helvetica", 10.5) + 1, STYLE, _widths())


def test_a_split_leaves_no_single_line_of_a_text_at_a_page_foot_or_head():
    lines = _run([5, 5])  # lines 0-4, then 5-9 (a 6 pt gap between the texts)
    # Room for one line of the second text: it would be an orphan, so the break is before it.
    assert lines.fitting(0, 10, 5 * 14 + 6 + 14) == 5
    # Room for all but the last line: it would be a widow, so one more line goes with it.
    assert lines.fitting(0, 10, 5 * 14 + 6 + 4 * 14) == 8
    # A text of three lines can neither be split 1/2 nor 2/1: it goes over whole.
    short = _run([3, 3])
    assert short.fitting(0, 6, 3 * 14 + 6 + 2 * 14) == 3
    assert lines.fitting(0, 10, 13) == 0  # not even a line
    assert lines.fitting(0, 10, 1000) == 10


def test_a_long_run_splits_into_parts_that_fit_and_keep_every_line():
    texts = [f"Text {n}: " + "a few words " * (n % 9 + 1) for n in range(300)]
    run = PlainText(texts, STYLE, _widths())
    _, height = run.wrap(WIDTH, 700)
    assert height > 700
    parts, rest = [], run
    while True:
        _, h = rest.wrap(WIDTH, 700)
        if h <= 700:
            parts.append(rest)
            break
        first, rest = rest.split(WIDTH, 700)
        assert first.wrap(WIDTH, 700)[1] <= 700
        parts.append(first)
    assert len(parts) > 3
    laid_out = run._part[0]
    shown = [line for part in parts for line in laid_out.lines[part._part[1] : part._part[2]]]
    assert shown == laid_out.lines
    assert " ".join(shown) == " ".join(" ".join(texts).split())


def test_nothing_fits_in_less_than_a_line():
    assert PlainText(["Some words."], STYLE, _widths()).split(WIDTH, 10) == []


def _page_texts(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_held_pages_get_late_drawing_in_place_and_bookmarks_on_their_page():
    buffer = io.BytesIO()
    canvas = HeldPagesCanvas(buffer, invariant=1)
    pages = {}
    for number in (1, 2, 3):
        canvas.drawString(72, 700, f"Start of page {number}")
        if number == 1:
            # Drawn at save time, into page 1's content between its two lines.
            canvas.fill_in_later(
                lambda c: c.drawString(72, 650, f"Chapter is on page {pages['chapter']}")
            )
        if number == 3:
            pages["chapter"] = 3
            canvas.when_written(lambda c: c.bookmarkPage("chapter"))
            canvas.when_written(lambda c: c.addOutlineEntry("Chapter", "chapter"))
        canvas.drawString(72, 600, f"End of page {number}")
        canvas.showPage()
    canvas.save()
    texts = _page_texts(buffer.getvalue())
    assert texts[0] == "Start of page 1 Chapter is on page 3 End of page 1"
    assert texts[1:] == ["Start of page 2 End of page 2", "Start of page 3 End of page 3"]
    reader = pypdf.PdfReader(io.BytesIO(buffer.getvalue()))
    assert [reader.get_destination_page_number(o) for o in reader.outline] == [2]


def test_contents_is_sized_before_the_page_numbers_are_known():
    entries = [(0, "Introduction", "s1"), (1, "A subsection &amp; more", "s2")]
    styles = [STYLE, ParagraphStyle("toc1", parent=STYLE, leftIndent=16)]
    page_of: dict[str, int] = {}
    contents = Contents(entries, styles, page_of, [])
    buffer = io.BytesIO()
    canvas = HeldPagesCanvas(buffer, invariant=1)
    _, before = contents.wrapOn(canvas, WIDTH, 700)
    page_of.update(s1=3, s2=120)
    assert contents.wrapOn(canvas, WIDTH, 700)[1] == before
    contents.drawOn(canvas, 72, 500)
    canvas.bookmarkPage("s1")
    canvas.bookmarkPage("s2")
    canvas.showPage()
    canvas.save()
    text = (
        pypdf.PdfReader(io.BytesIO(buffer.getvalue()))
        .pages[0]
        .extract_text(extraction_mode="layout")
    )
    found = dict(re.findall(r"^\s*(\S.*?)\s+(?:\.\s+)+(\d+)\s*$", text, flags=re.M))
    assert found == {"Introduction": "3", "A subsection & more": "120"}
