"""The PDF's story: the cover, the Contents, then the blocks' units grouped to keep together.

The cover's title is the document's ``H1`` and "Contents" an ``H2`` in the tagged PDF; the rest
of the cover is paragraphs (``P``, the tagging layer's default).
"""

from __future__ import annotations

from reportlab.lib.units import cm
from reportlab.platypus import Flowable, KeepTogether, NextPageTemplate, PageBreak, Spacer
from reportlab.platypus import Paragraph as PdfParagraph
from reportlab.platypus.flowables import PageBreakIfNotEmpty

from csc_complaints.report.document import Document
from csc_complaints.report.pdf import fonts
from csc_complaints.report.pdf.blocks import (
    FLOWS,
    GLUE,
    Unit,
    bookmark_keys,
    linked_markup,
    markup,
)
from csc_complaints.report.pdf.layout import Contents
from csc_complaints.report.pdf.page import BODY
from csc_complaints.report.pdf.structure import heading_role
from csc_complaints.report.pdf.styles import Styles
from csc_complaints.report.pdf.tagging import Tag, tag
from csc_complaints.report.wording import wording

CONTENTS_TABLE_STYLE = [
    ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),  # (a table sets its cells' font)
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ("TOPPADDING", (0, 0), (-1, -1), 1),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
]


def cover(document: Document, draft: bool, styles: Styles) -> list[Flowable]:
    """Title, council and year; the cover note (the monitoring pack's); "DRAFT - not signed
    off" or who approved it and when; where the accessible HTML and the open data are published;
    then on to the body pages."""
    title = "<br/>".join(markup(line) for line in (*document.title_lines, document.year_label))
    story: list[Flowable] = [
        Spacer(1, 5 * cm),
        tag(PdfParagraph(title, styles.cover_title), Tag("H1")),
        PdfParagraph(markup(document.council_name), styles.cover_subtitle),
    ]
    if document.cover_note:
        story += [
            Spacer(1, 1 * cm),
            PdfParagraph(markup(document.cover_note), styles.cover_subtitle),
        ]
    status = wording(document.furniture).text("draft_banner") if draft else document.approved
    if status:
        story += [Spacer(1, 1 * cm), PdfParagraph(markup(status), styles.cover_subtitle)]
    if document.published_at is not None:  # the address on a line of its own
        story += [
            Spacer(1, 1 * cm),
            PdfParagraph(linked_markup(document.published_at, "<br/>"), styles.body),
        ]
    return story + [NextPageTemplate(BODY), PageBreak()]


def contents(document: Document, styles: Styles, page_of: dict[str, int]) -> list[Flowable]:
    """The Contents page: each listed heading, linked to its bookmark, with its page number
    (filled in from ``page_of`` when the pages are written)."""
    keys = bookmark_keys(document)
    entries = [
        (heading.level - 1, markup(heading.text), keys[position])
        for position, heading in document.listed_headings()
    ]
    heading = wording(document.furniture).text("contents_heading")
    return [
        tag(PdfParagraph(markup(heading), styles.headings[1]), Tag(heading_role(1))),
        Contents(entries, styles.contents, page_of, CONTENTS_TABLE_STYLE),
        PageBreak(),
    ]


def kept_together(units: list[Unit]) -> list[Flowable]:
    """Each unit in a ``KeepTogether``, glued units with the unit after them; a flowing unit
    that follows a kept one is on its own, free to split. A unit that starts (ends) a page of
    its own has a page break before (after) it, unless the page is empty already."""
    story: list[Flowable] = []
    group: list[Flowable] = []
    for unit in units:
        if unit.new_page == "before" and not group:
            story.append(PageBreakIfNotEmpty())
        if unit.how == FLOWS and not group:
            story += unit.flowables
            continue
        group += unit.flowables  # (flowing text glued to a unit before it is kept with it)
        if unit.how != GLUE:
            story.append(KeepTogether(group))
            group = []
            if unit.new_page == "after":
                story.append(PageBreakIfNotEmpty())
    if group:
        story.append(KeepTogether(group))
    return story
