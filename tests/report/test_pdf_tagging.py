"""The tagging layer (report/pdf/tagging.py) on what a big council's report brings: a table over
several pages, a chart in parts, thousands of texts, links; and the mistakes it refuses.

Read back with the independent reader in ``tagged_pdf``.
"""

from __future__ import annotations

import typing

import pytest
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import BaseDocTemplate, PageTemplate, Paragraph

from csc_complaints.report.charts import split_to_fit
from csc_complaints.report.document import Block, Document, Heading, Table, TableRow
from csc_complaints.report.document import Paragraph as Para
from csc_complaints.report.pdf import fonts, render_pdf, structure
from csc_complaints.report.pdf.page import ReportCanvas
from csc_complaints.report.pdf.tagging import DECORATION, Tag, TaggedFrame, TaggingError, tag

from . import tagged_pdf
from .test_rendering import _chart, _learning_document


def _document(*blocks) -> Document:
    return Document(("Report",), "A Council", "2019/20", "Report 2019/20", list(blocks))


def test_a_table_over_several_pages_is_one_table_with_its_header_once(tmp_path):
    rows = tuple(TableRow((f"Team {n}", str(n), str(2 * n)), "row") for n in range(120))
    path = tmp_path / "table.pdf"
    render_pdf(
        _document(Heading(1, "Teams"), Table("Big table", ("Team", "Now", "Total"), rows)),
        path,
        draft=False,
    )
    pdf = tagged_pdf.read(path)
    assert pdf.problems == []
    (table,) = pdf.elements("Table")
    pages = sorted({page for page, _ in table.content()})
    assert len(pages) >= 3
    assert len(list(table.elements("TR"))) == 1 + len(rows)
    columns = [th for th in table.elements("TH") if th.attributes("Table")["Scope"] == "/Column"]
    assert [th.text(pdf) for th in columns] == ["Team", "Now", "Total"]
    assert [c.text(pdf) for c in list(table.elements("TR"))[-1].kids] == ["Team 119", "119", "238"]
    for page in pages[1:]:  # the header row drawn again at the head of each page: artefacts
        assert {"Team", "Now", "Total"} <= set(pdf.artifact_text[page])


def test_each_part_of_a_split_chart_is_a_figure_with_the_charts_alternative(tmp_path):
    chart = _chart(90)
    path = tmp_path / "chart.pdf"
    render_pdf(_document(Heading(1, "Teams"), chart), path, draft=True)
    pdf = tagged_pdf.read(path)
    assert pdf.problems == []
    figures = pdf.elements("Figure")
    assert len(figures) == len(split_to_fit(chart, 450, 700, fonts.register_fonts())) > 1
    assert all(f.alt == chart.alt for f in figures)
    assert len({f.content()[0][0] for f in figures}) == len(figures), "one part a page"


def test_every_learning_text_is_a_paragraph_and_one_split_over_pages_continues_it(tmp_path):
    path = tmp_path / "learning.pdf"
    document = _learning_document()
    render_pdf(document, path, draft=False)
    pdf = tagged_pdf.read(path)
    assert pdf.problems == []
    texts = [t for block in document.blocks if block.kind == "texts" for t in block.items]
    actions = [p for p in pdf.elements("P") if p.text(pdf).startswith("Action ")]
    assert [p.text(pdf) for p in actions] == [" ".join(t.split()) for t in texts]
    assert any(len({page for page, _ in p.content()}) == 2 for p in actions)


def _build(story, path) -> None:
    """A one-frame document on the report's tagging canvas."""
    template = BaseDocTemplate(
        str(path),
        pagesize=A4,
        invariant=1,
        lang="en-GB",
        title="Links",
        displayDocTitle=1,
        initialFontName=fonts.register_fonts(),
    )
    frame = TaggedFrame(50, 50, 495, 742)
    template.addPageTemplates([PageTemplate("page", [frame])])
    template.build(story, canvasmaker=ReportCanvas)


STYLE = ParagraphStyle("p", fontName=fonts.register_fonts(), fontSize=10, leading=12)


def test_a_link_in_a_paragraph_gets_a_link_element_and_a_description(tmp_path):
    path = tmp_path / "link.pdf"
    url = "https://www.example.org/complaints"
    _build(
        [
            tag(Paragraph("Title", STYLE), Tag("H1")),
            Paragraph(f'See <a href="{url}">the complaints page</a> for more.', STYLE),
        ],
        path,
    )
    pdf = tagged_pdf.read(path)
    assert pdf.problems == []
    (paragraph,) = pdf.elements("P")  # untagged paragraphs are paragraphs
    (link,) = paragraph.elements("Link")
    assert [k[0] for k in link.kids] == ["annot"]
    import pikepdf

    with pikepdf.open(path) as raw:
        assert str(raw.get_object(link.kids[0][1]).Contents) == f"Link to {url}"


def test_a_drawing_without_a_tag_is_refused(tmp_path):
    drawing = Drawing(100, 50)
    drawing.add(Rect(0, 0, 100, 50))
    with pytest.raises(TaggingError, match="Drawing draws on the page but has no structure tag"):
        _build([drawing], tmp_path / "no.pdf")


def test_a_decoration_is_an_artefact(tmp_path):
    drawing = Drawing(100, 50, initialFontName=fonts.register_fonts())
    drawing.add(Rect(0, 0, 100, 50))
    path = tmp_path / "decoration.pdf"
    _build([tag(Paragraph("Title", STYLE), Tag("H1")), tag(drawing, DECORATION)], path)
    pdf = tagged_pdf.read(path)
    assert pdf.problems == []
    assert pdf.roles == {"Document": 1, "H1": 1}


def test_a_figure_needs_its_alternative():
    with pytest.raises(TaggingError, match="text alternative"):
        Tag("Figure", alt=" ")


def test_marked_content_does_not_nest(tmp_path):
    canvas = ReportCanvas(str(tmp_path / "nest.pdf"))
    element = Tag("P").element(canvas.structure.root)
    canvas.begin_marked(element)
    with pytest.raises(TaggingError, match="may not nest"):
        canvas.begin_artifact()


def test_every_kind_of_block_has_its_structure():
    kinds = {block.kind for block in typing.get_args(Block)}
    assert set(structure._TAGGERS) == kinds


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("Plain ASCII & <markup>", "Plain ASCII & <markup>"),
        ("Café – “quoted” • £5 €6", "Café – “quoted” • £5 €6"),
        ("Łódź and Kraków", "Łódz and Kraków"),  # ź has no glyph: its letter z
        ("Arrow → and emoji \U0001f600", "Arrow ? and emoji ?"),
        ("tabs\tand\nlines", "tabs\tand\nlines"),
    ],
)
def test_characters_without_a_glyph_print_as_their_letter_or_a_question_mark(text, printed):
    assert fonts.printable(text) == printed


def test_text_without_a_glyph_is_printed_and_tagged_without_empty_boxes(tmp_path):
    path = tmp_path / "glyphs.pdf"
    team = "Équipe Łódź → Nord"
    render_pdf(_document(Heading(1, team), Para(f"{team} received one complaint.")), path, False)
    pdf = tagged_pdf.read(path)
    assert pdf.problems == []
    texts = [e.text(pdf) for e in pdf.elements() if e.role in {"H2", "P"}]
    assert "Équipe Łódz ? Nord" in texts
    assert "Équipe Łódz ? Nord received one complaint." in texts


def test_the_fonts_fast_encoding_gives_reportlabs_bytes():
    """EmbeddedFont encodes a line whose characters are coded already with one translate; the
    bytes and subsets must be reportlab's own, whatever order characters first appear in."""
    import random

    from reportlab.pdfbase.pdfdoc import PDFDocument
    from reportlab.pdfbase.pdfmetrics import getFont
    from reportlab.pdfbase.ttfonts import TTFont

    ours = getFont(fonts.register_fonts())
    theirs = TTFont("VeraPlain", ours.face.filename)
    alphabet = "abc XYZ 0123 .,;:'\"&<>\u00a0éàüÉß–—“”‘’•£€…ŁłŒœ\u2192"  # (→ has no glyph)
    chance = random.Random(7)
    lines = [
        "".join(chance.choice(alphabet) for _ in range(chance.randint(0, 40))) for _ in range(400)
    ]
    lines += [bytes(range(32, 127)).decode(), "".join(chr(c) for c in range(0xA0, 0x180))]
    our_doc, their_doc = PDFDocument(), PDFDocument()
    for line in lines:
        assert ours.splitString(line, our_doc) == theirs.splitString(line, their_doc), line
