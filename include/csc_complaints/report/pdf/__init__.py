"""The report as an A4 PDF, built with reportlab's platypus in invariant mode.

Invariant mode fixes the creation date and document ID, so the same document model always
gives the same bytes. Cover, "Contents" with page numbers, bookmarks for every listed heading,
page numbers in the footer, title/author/subject/language in the metadata, and a DRAFT mark on
every page until the report is signed off.

The parts: ``styles`` (paragraph styles, colours), ``fonts`` (the one embedded typeface),
``page`` (geometry, canvas, document template and metadata, page decoration, bookmarks),
``blocks`` (each model block as flowables), ``story`` (cover, Contents, keeping units together)
and ``layout`` (the one-pass layout pieces).

The PDF is tagged (PDF/UA-1 in spirit): ``tagging`` is the layer that marks what is drawn and
writes the structure tree, ``structure`` says which element each block's flowables are.

The document is laid out once (``build``, not ``multiBuild``): the Contents lists the headings
the model marks, so its size is known before layout, and its page numbers and the bookmarks are
filled in when the canvas is saved (``layout.HeldPagesCanvas``). Laying thousands of learning
actions out two or three times over was most of a big year's build time.

Imported when a PDF is made, never when a DAG file is parsed (it imports reportlab).
"""

from __future__ import annotations

from csc_complaints.report.document import Document
from csc_complaints.report.pdf.blocks import BlockFlowables
from csc_complaints.report.pdf.page import ReportCanvas, report_template
from csc_complaints.report.pdf.story import contents, cover, kept_together
from csc_complaints.report.pdf.structure import tag_units
from csc_complaints.report.pdf.styles import report_styles


def render_pdf(document: Document, path, draft: bool) -> None:
    """Write ``document`` to ``path`` (the caller renames it into place)."""
    styles = report_styles()
    page_of: dict[str, int] = {}  # bookmark key of a listed heading -> its page
    template = report_template(document, path, draft, page_of)
    story = [
        *cover(document, draft, styles),
        *contents(document, styles, page_of),
        *kept_together(tag_units(BlockFlowables(document, styles).units())),
    ]
    template.build(story, canvasmaker=ReportCanvas)
