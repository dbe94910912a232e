"""The report as an A4 PDF, built with reportlab's platypus in invariant mode.

Invariant mode fixes the creation date and document ID, so the same document model always
gives the same bytes. Cover, "Contents" with page numbers, bookmarks for every listed heading,
page numbers in the footer, title/author/subject/language in the metadata, and a DRAFT mark on
every page until the report is signed off. Every text from the model is XML-escaped before it
reaches a Paragraph, so ``<``, ``&`` and quotes print as themselves; learning-action texts are
not parsed as markup at all (``pdf_layout.PlainText``).

The document is laid out once (``build``, not ``multiBuild``): the Contents lists the headings
the model marks, so its size is known before layout, and its page numbers and the bookmarks are
filled in when the canvas is saved (``pdf_layout.HeldPagesCanvas``). Laying thousands of
learning actions out two or three times over was most of a big year's build time.
"""

from __future__ import annotations

from functools import partial
from xml.sax.saxutils import escape

from csc_complaints.report.document import (
    Bullets,
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    Texts,
)

BLUE = "#1d70b8"
DARK = "#0b0c0c"
AREA_FILL = "#dbe6f2"
TOTAL_FILL = "#b7cde6"
DRAFT_COLOUR = "#d4351c"

# How a unit of flowables sits in the story (render_pdf).
KEEP = "keep"  # kept together on one page
GLUE = "glue"  # kept together with the unit after it
FLOWS = "flows"  # free to split across pages


def _text(value: str) -> str:
    """Model text as Paragraph markup: every character printed literally."""
    return escape(value, {'"': "&quot;", "'": "&#39;"})


def _styles():
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet

    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body",
        parent=base["BodyText"],
        fontName="Helvetica",
        fontSize=10.5,
        leading=14,
        spaceAfter=6,
        textColor=colors.HexColor(DARK),
    )
    return {
        "body": body,
        "note": ParagraphStyle("note", parent=body, fontName="Helvetica-Oblique"),
        "bullet": ParagraphStyle("bullet", parent=body, leftIndent=14, bulletIndent=2),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10, spaceAfter=0),
        "cell_bold": ParagraphStyle(
            "cell_bold",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=8.5,
            leading=10,
            spaceAfter=0,
        ),
        "head_cell": ParagraphStyle(
            "head_cell",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=8,
            leading=9.5,
            spaceAfter=0,
            textColor=colors.white,
        ),
        "caption": ParagraphStyle(
            "caption",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=9.5,
            spaceBefore=4,
            spaceAfter=4,
            keepWithNext=1,
        ),
        1: ParagraphStyle(
            "h1",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=16,
            leading=20,
            spaceBefore=14,
            spaceAfter=8,
            textColor=colors.HexColor(BLUE),
            keepWithNext=1,
        ),
        2: ParagraphStyle(
            "h2",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=13,
            leading=16,
            spaceBefore=10,
            spaceAfter=6,
            keepWithNext=1,
        ),
        3: ParagraphStyle(
            "h3",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=11,
            leading=14,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "toc0": ParagraphStyle(
            "toc0",
            parent=body,
            fontSize=10.5,
            leading=13,
            leftIndent=0,
            spaceBefore=3,
            spaceAfter=0,
        ),
        "toc1": ParagraphStyle(
            "toc1",
            parent=body,
            fontSize=10,
            leading=12,
            leftIndent=16,
            spaceAfter=0,
        ),
        "toc2": ParagraphStyle(
            "toc2",
            parent=body,
            fontSize=9.5,
            leading=11.5,
            leftIndent=32,
            spaceAfter=0,
        ),
        "cover_title": ParagraphStyle(
            "cover_title",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=30,
            leading=36,
            textColor=colors.HexColor(BLUE),
            spaceAfter=24,
        ),
        "cover_sub": ParagraphStyle(
            "cover_sub",
            parent=body,
            fontName="Helvetica",
            fontSize=16,
            leading=22,
        ),
    }


def render_pdf(document: Document, path, draft: bool) -> None:
    """Write ``document`` to ``path`` (the caller renames it into place)."""
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        KeepTogether,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Spacer,
    )
    from reportlab.platypus import Paragraph as RLParagraph
    from reportlab.platypus import Table as RLTable

    from csc_complaints.report.charts import drawing_for, split_to_fit
    from csc_complaints.report.pdf_layout import (
        Contents,
        HeldPagesCanvas,
        PlainText,
        WordWidths,
    )

    styles = _styles()
    page_width, page_height = A4
    margin = 2.2 * cm
    frame_width = page_width - 2 * margin

    class HeadingParagraph(RLParagraph):
        """A heading that knows its outline level and whether Contents lists it."""

        def __init__(self, heading: Heading, key: str) -> None:
            # A heading left out of Contents (a team, a service area) is printed a size down.
            size = heading.level if heading.toc or heading.level == 1 else heading.level + 1
            super().__init__(_text(heading.text), styles[min(size, 3)])
            self.outline_level = heading.level - 1
            self.listed = heading.toc
            self.plain_text = heading.text
            self.key = key

    page_of: dict[str, int] = {}  # bookmark key of a listed heading -> its page

    class ReportTemplate(BaseDocTemplate):
        def afterFlowable(self, flowable) -> None:
            if isinstance(flowable, HeadingParagraph) and flowable.listed:
                page_of[flowable.key] = self.page
                # The canvas holds its pages until the end: a bookmark is made as its page is
                # written, so that it points at that page.
                self.canv.when_written(
                    partial(_bookmark, flowable.key, flowable.plain_text, flowable.outline_level)
                )

    def decorate(canvas, doc, cover: bool) -> None:
        canvas.saveState()
        if draft:
            canvas.setFillColor(colors.HexColor(DRAFT_COLOUR), alpha=0.18)
            canvas.setFont("Helvetica-Bold", 110)
            canvas.translate(page_width / 2, page_height / 2)
            canvas.rotate(50)
            canvas.drawCentredString(0, -35, "DRAFT")
            canvas.rotate(-50)
            canvas.translate(-page_width / 2, -page_height / 2)
            canvas.setFillColor(colors.HexColor(DRAFT_COLOUR), alpha=1)
            canvas.setFont("Helvetica-Bold", 9)
            canvas.drawRightString(
                page_width - margin, page_height - 1.3 * cm, "DRAFT - not signed off"
            )
        if not cover:
            canvas.setFillColor(colors.HexColor("#505a5f"))
            canvas.setFont("Helvetica", 8.5)
            canvas.drawString(
                margin,
                1.2 * cm,
                f"{document.council_name} - Children's Social Care complaints annual report "
                f"{document.year_label}",
            )
            canvas.drawRightString(page_width - margin, 1.2 * cm, f"Page {doc.page}")
        canvas.restoreState()

    frame_height = page_height - 2 * margin
    frame = Frame(margin, margin, frame_width, frame_height, id="body")
    doc = ReportTemplate(
        str(path),
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=document.title,
        author=document.council_name,
        subject=f"Children's Social Care complaints, compliments and comments, "
        f"{document.year_label}" + (" (DRAFT)" if draft else ""),
        creator="csc_complaints annual report pipeline",
        producer="ReportLab",
        keywords=["complaints", "children's social care", "annual report", document.year_label],
        lang="en-GB",
        invariant=1,
        displayDocTitle=1,
    )
    doc.addPageTemplates(
        [
            PageTemplate("cover", [frame], onPage=lambda c, d: decorate(c, d, True)),
            PageTemplate("body", [frame], onPage=lambda c, d: decorate(c, d, False)),
        ]
    )

    story: list = [Spacer(1, 5 * cm)]
    story.append(
        RLParagraph(
            "<br/>".join(_text(t) for t in document.title_lines)
            + f"<br/>{_text(document.year_label)}",
            styles["cover_title"],
        )
    )
    story.append(RLParagraph(_text(document.council_name), styles["cover_sub"]))
    if draft:
        story.append(Spacer(1, 1 * cm))
        story.append(RLParagraph("DRAFT - not signed off", styles["cover_sub"]))
    story += [NextPageTemplate("body"), PageBreak()]
    story.append(RLParagraph("Contents", styles[1]))
    keys = _heading_keys(document)
    entries = [
        (block.level - 1, _text(block.text), keys[position])
        for position, block in enumerate(document.blocks)
        if isinstance(block, Heading) and block.toc
    ]
    contents = Contents(
        entries,
        [styles["toc0"], styles["toc1"], styles["toc2"]],
        page_of,
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ],
    )
    story += [contents, PageBreak()]

    # Each block becomes a unit of flowables, kept together on a page (KEEP). A heading is
    # kept with the unit after it, and a paragraph introducing a table or chart with that table
    # or chart (GLUE), so no heading or introduction is left alone at the foot of a page. A run
    # of learning texts keeps its first text with the heading; the rest FLOWS, splitting between
    # lines wherever a page ends (it can run over hundreds of pages).
    units: list[tuple[list, str]] = []  # (flowables, KEEP | GLUE | FLOWS)
    widths = WordWidths(styles["body"].fontName, styles["body"].fontSize)
    for position, block in enumerate(document.blocks):
        following = document.blocks[position + 1] if position + 1 < len(document.blocks) else None
        if isinstance(block, Heading):
            units.append(([HeadingParagraph(block, keys[position])], GLUE))
        elif isinstance(block, Paragraph):
            glue = isinstance(following, Table | Chart)
            paragraph = RLParagraph(_text(block.text), styles[block.style])
            units.append(([paragraph], GLUE if glue else KEEP))
        elif isinstance(block, Texts):
            units.append(([PlainText(block.items[:1], styles["body"], widths)], KEEP))
            if len(block.items) > 1:
                units.append(([PlainText(block.items[1:], styles["body"], widths)], FLOWS))
        elif isinstance(block, Bullets):
            items = [
                RLParagraph(_text(item), styles["bullet"], bulletText="\u2022")
                for item in block.items
            ]
            units.append((items, KEEP))
        elif isinstance(block, Chart):
            # The caption and spacing take about 40 points of the frame.
            for part in split_to_fit(block, frame_width, frame_height - 40):
                drawing: Drawing = drawing_for(part, frame_width)
                caption = RLParagraph(_text(part.title), styles["caption"])
                units.append(([caption, drawing, Spacer(1, 6)], KEEP))
        elif isinstance(block, Table):
            caption = RLParagraph(_text(block.caption), styles["caption"])
            table = _table(block, frame_width, styles, RLParagraph, RLTable, colors)
            units.append(([caption, table, Spacer(1, 8)], KEEP))
    group: list = []
    for flowables, how in units:
        if how == FLOWS and not group:
            story += flowables
            continue
        group += flowables  # (flowing text glued to a unit before it is kept with it)
        if how != GLUE:
            story.append(KeepTogether(group))
            group = []
    if group:
        story.append(KeepTogether(group))
    doc.build(story, canvasmaker=HeldPagesCanvas)


def _heading_keys(document: Document) -> dict[int, str]:
    """The bookmark key of each heading, by its position among the blocks."""
    keys, count = {}, 0
    for position, block in enumerate(document.blocks):
        if isinstance(block, Heading):
            count += 1
            keys[position] = f"section{count}"
    return keys


def _bookmark(key: str, title: str, level: int, canvas) -> None:
    """A bookmark on the page being written, and its entry in the PDF outline."""
    canvas.bookmarkPage(key)
    canvas.addOutlineEntry(title, key, level=level, closed=True)


def _column_widths(block: Table, width: float, styles) -> list[float]:
    """Number columns as wide as their longest header word (never broken mid-word), the
    first column gets the rest; other tables use their relative widths."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if block.numeric_from != 1:
        units = block.widths or (1.0,) * len(block.header)
        return [width * u / sum(units) for u in units]
    style = styles["head_cell"]
    numeric = []
    for header in block.header[1:]:
        longest = max(stringWidth(w, style.fontName, style.fontSize) for w in header.split())
        numeric.append(max(longest + 14, 34.0))
    return [width - sum(numeric), *numeric]


def _table(block: Table, width: float, styles, RLParagraph, RLTable, colors):
    col_widths = _column_widths(block, width, styles)
    header = [RLParagraph(_text(h), styles["head_cell"]) for h in block.header]
    data = [header]
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(BLUE)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b1b4b6")),
        ("FONTNAME", (0, 1), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 1), (-1, -1), 8.5),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for row_number, row in enumerate(block.rows, start=1):
        bold = row.kind in {"area", "subtotal", "total"}
        style = styles["cell_bold"] if bold else styles["cell"]
        cells = []
        for col, value in enumerate(row.cells):
            if col >= block.numeric_from:
                cells.append(value)
            else:
                cells.append(RLParagraph(_text(value), style))
        data.append(cells)
        if row.kind == "area":
            commands += [
                ("SPAN", (0, row_number), (-1, row_number)),
                ("BACKGROUND", (0, row_number), (-1, row_number), colors.HexColor(AREA_FILL)),
            ]
        elif row.kind == "row" and block.numeric_from == 1:
            commands.append(("LEFTPADDING", (0, row_number), (0, row_number), 14))
        if row.kind in {"subtotal", "total"}:
            commands.append(("FONTNAME", (1, row_number), (-1, row_number), "Helvetica-Bold"))
        if row.kind == "total":
            commands.append(
                ("BACKGROUND", (0, row_number), (-1, row_number), colors.HexColor(TOTAL_FILL))
            )
    if block.numeric_from < len(block.header):
        commands.append(("ALIGN", (block.numeric_from, 1), (-1, -1), "RIGHT"))
    table = RLTable(data, colWidths=col_widths, repeatRows=1)
    table.setStyle(commands)
    return table
