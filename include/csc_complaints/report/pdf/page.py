"""The PDF's pages: A4 geometry, the document template with its metadata, the canvas, and what
every page carries besides its content (the DRAFT mark, the footer with the page number).

The template records the page of each heading that carries a bookmark, for the Contents, and
makes the bookmark as that page is written (``layout.HeldPagesCanvas``). The canvas writes a
tagged PDF (``tagging.TaggingCanvas``); the frame tags what it draws (``tagging.TaggedFrame``),
and the page furniture is drawn as artefacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, PageTemplate

from csc_complaints.report.document import Document
from csc_complaints.report.pdf import fonts
from csc_complaints.report.pdf.layout import HeldPagesCanvas
from csc_complaints.report.pdf.styles import DRAFT_COLOUR, GREY
from csc_complaints.report.pdf.tagging import TaggedFrame, TaggingCanvas, artifact
from csc_complaints.report.wording import wording

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 2.2 * cm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN
FRAME_HEIGHT = PAGE_HEIGHT - 2 * MARGIN
COVER, BODY = "cover", "body"  # the page templates: the cover has no footer


class ReportCanvas(TaggingCanvas, HeldPagesCanvas):
    """The report's canvas: pages held until the end (``HeldPagesCanvas``), written tagged."""


@dataclass(frozen=True)
class Bookmark:
    """A heading's place in the PDF outline (and the Contents' link target)."""

    key: str
    title: str
    level: int  # outline level: 0 for a section


class ReportDocTemplate(BaseDocTemplate):
    """Notes the page of every flowable that carries a ``bookmark``, and bookmarks it there."""

    def __init__(
        self,
        filename: str,
        page_of: dict[str, int],
        created_at: datetime | None = None,
        **kwargs,
    ) -> None:
        super().__init__(filename, **kwargs)
        self.page_of = page_of  # bookmark key -> page, read by the Contents at save time
        self.created_at = created_at  # None: invariant mode's fixed date

    def _makeCanvas(self, *args, **kwargs):
        """The canvas; a signed-off report's creation and modification dates are its approval's
        (UTC, to the second), so two builds of one approval are still the same bytes."""
        canvas = super()._makeCanvas(*args, **kwargs)
        if self.created_at is not None:
            canvas._doc._timeStamp = _time_stamp(self.created_at)
        return canvas

    def afterFlowable(self, flowable) -> None:
        bookmark: Bookmark | None = getattr(flowable, "bookmark", None)
        if bookmark is not None:
            self.page_of[bookmark.key] = self.page
            # The canvas holds its pages until the end: a bookmark is made as its page is
            # written, so that it points at that page.
            self.canv.when_written(partial(_bookmark, bookmark))


def _time_stamp(moment: datetime) -> TimeStamp:
    """reportlab's document time stamp, set to ``moment`` (its invariant one, moved)."""
    moment = moment.astimezone(UTC)
    stamp = TimeStamp(invariant=1)
    stamp.t = moment.timestamp()
    stamp.lt = moment.timetuple()
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    return stamp


def _bookmark(bookmark: Bookmark, canvas: Canvas) -> None:
    """A bookmark on the page being written, and its entry in the PDF outline."""
    canvas.bookmarkPage(bookmark.key)
    canvas.addOutlineEntry(bookmark.title, bookmark.key, level=bookmark.level, closed=True)


class PageDecoration:
    """Drawn on every page: the DRAFT mark until sign-off; after the cover, the footer."""

    def __init__(self, document: Document, draft: bool) -> None:
        self.words = wording(document.furniture)
        self.draft = draft
        footer = self.words.text("footer", document.council_name, document.year_label)
        self.footer = fonts.printable(footer)

    def cover(self, canvas: Canvas, doc) -> None:
        self._decorate(canvas, doc, footer=False)

    def body(self, canvas: Canvas, doc) -> None:
        self._decorate(canvas, doc, footer=True)

    def _decorate(self, canvas: Canvas, doc, footer: bool) -> None:
        # Artefacts, not content: a screen reader skips them (the cover says DRAFT in its text).
        canvas.saveState()
        if self.draft:
            self._draft_mark(canvas)
        if footer:
            self._footer(canvas, doc.page)
        canvas.restoreState()

    def _draft_mark(self, canvas: Canvas) -> None:
        """A large pale DRAFT across the page, and a small one at its head."""
        with artifact(canvas, "Watermark"):
            canvas.saveState()
            canvas.setFillColor(colors.HexColor(DRAFT_COLOUR), alpha=0.18)
            canvas.setFont(fonts.BOLD, 110)
            canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
            canvas.rotate(50)
            canvas.drawCentredString(0, -35, self.words.text("draft_mark"))
            canvas.restoreState()
        with artifact(canvas, "Header"):
            canvas.setFillColor(colors.HexColor(DRAFT_COLOUR), alpha=1)
            canvas.setFont(fonts.BOLD, 9)
            canvas.drawRightString(
                PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 1.3 * cm, self.words.text("draft_banner")
            )

    def _footer(self, canvas: Canvas, page: int) -> None:
        with artifact(canvas, "Footer"):
            canvas.setFillColor(colors.HexColor(GREY))
            canvas.setFont(fonts.REGULAR, 8.5)
            canvas.drawString(MARGIN, 1.2 * cm, self.footer)
            canvas.drawRightString(
                PAGE_WIDTH - MARGIN, 1.2 * cm, self.words.text("page_number", page)
            )


def report_template(
    document: Document, path, draft: bool, page_of: dict[str, int]
) -> ReportDocTemplate:
    """The A4 document template: metadata (title, author, subject with the approval, language),
    invariant mode (fixed ID, and a fixed creation date for a draft; a signed-off report's is
    its approval's, so the same model gives the same bytes), and the cover and body page
    templates."""
    words = wording(document.furniture)
    template = ReportDocTemplate(
        str(path),
        page_of,
        document.approved_at if not draft else None,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=document.title,
        author=document.council_name,
        subject=words.text("subject", document.year_label, draft, document.approved),
        creator=words.text("creator"),
        producer="ReportLab",
        keywords=words.text("keywords", document.year_label),
        lang="en-GB",
        invariant=1,
        displayDocTitle=1,
        initialFontName=fonts.register_fonts(),  # else every page names Helvetica
    )
    frame = TaggedFrame(MARGIN, MARGIN, FRAME_WIDTH, FRAME_HEIGHT, id="body")
    decoration = PageDecoration(document, draft)
    template.addPageTemplates(
        [
            PageTemplate(COVER, [frame], onPage=decoration.cover),
            PageTemplate(BODY, [frame], onPage=decoration.body),
        ]
    )
    return template
