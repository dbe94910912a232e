"""Each block of the document model as PDF flowables, in units that keep together on a page.

A unit is kept together (KEEP), kept with the unit after it (GLUE: a heading, a paragraph that
introduces a table or chart), or free to split across pages (FLOWS: a long run of learning
texts after its first text). Each unit keeps the model block it renders, so a layer beside the
layout (tagging, for one) can tell what the flowables are. Every text from the model is
XML-escaped before it reaches a Paragraph, so ``<``, ``&`` and quotes print as themselves, and
made printable in the embedded font (``fonts.printable``).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Spacer
from reportlab.platypus import Paragraph as PdfParagraph

from csc_complaints.report.charts import drawing_for, split_to_fit
from csc_complaints.report.document import (
    Block,
    BlockRenderer,
    Bullets,
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    Texts,
)
from csc_complaints.report.pdf.fonts import printable
from csc_complaints.report.pdf.layout import PlainText, WordWidths
from csc_complaints.report.pdf.page import FRAME_HEIGHT, FRAME_WIDTH, Bookmark
from csc_complaints.report.pdf.styles import AREA_FILL, BLUE, GRID, LINK, TOTAL_FILL, Styles
from csc_complaints.report.pdf.tagging import TaggedTable

KEEP = "keep"  # kept together on one page
GLUE = "glue"  # kept together with the unit after it
FLOWS = "flows"  # free to split across pages

CHART_CAPTION_HEIGHT = 40  # about what a chart's caption and spacing take of the frame
NUMBER_PADDING = 4  # left and right in a number column (the table default is 6)


def markup(text: str) -> str:
    """Model text as Paragraph markup: every character printed literally."""
    return escape(printable(text), {'"': "&quot;", "'": "&#39;"})


def linked_markup(block: Paragraph, before_link: str = "") -> str:
    """A paragraph's text as markup, its links underlined in the link colour (each after
    ``before_link``: ``<br/>`` puts a long address on a line of its own)."""
    return "".join(
        f'{before_link}<a href="{markup(address)}" color="{LINK}"><u>{markup(text)}</u></a>'
        if address
        else markup(text)
        for text, address in block.segments()
    )


def _printable_chart(chart: Chart) -> Chart:
    """The chart with its drawn words printable (its text alternative is not drawn)."""
    return Chart(
        printable(chart.title),
        tuple(printable(c) for c in chart.categories),
        tuple((printable(label), values) for label, values in chart.series),
        chart.alt,
        chart.style,
        printable(chart.category_title),
        printable(chart.value_title),
        chart.value_format,
    )


@dataclass(frozen=True)
class Unit:
    flowables: list[Flowable]
    how: str  # KEEP | GLUE | FLOWS
    block: Block  # the model block the flowables render
    new_page: str = ""  # "before" or "after": the unit starts or ends a page of its own


def bookmark_keys(document: Document) -> dict[int, str]:
    """The bookmark key of each heading, by its position among the blocks."""
    headings = [p for p, block in enumerate(document.blocks) if isinstance(block, Heading)]
    return {position: f"section{n}" for n, position in enumerate(headings, start=1)}


class HeadingParagraph(PdfParagraph):
    """A heading; one that Contents lists carries its ``bookmark``."""

    def __init__(self, heading: Heading, key: str, styles: Styles) -> None:
        super().__init__(markup(heading.text), styles.heading(heading.level, heading.toc))
        self.bookmark = Bookmark(key, heading.text, heading.level - 1) if heading.toc else None


class BlockFlowables(BlockRenderer[list[Unit]]):
    """The units of each block of one document."""

    def __init__(self, document: Document, styles: Styles) -> None:
        super().__init__(document)
        self.styles = styles
        self.keys = bookmark_keys(document)
        self.widths = WordWidths(styles.body.fontName, styles.body.fontSize)

    def units(self) -> list[Unit]:
        return [unit for units in self.render_blocks() for unit in units]

    def heading(self, block: Heading, position: int) -> list[Unit]:
        """A section that holds the headline figures starts a new page."""
        paragraph = HeadingParagraph(block, self.keys[position], self.styles)
        new_page = "before" if self._section_has_headline(block, position) else ""
        return [Unit([paragraph], GLUE, block, new_page)]

    def _section_has_headline(self, heading: Heading, position: int) -> bool:
        for block in self.document.blocks[position + 1 :]:
            if isinstance(block, Heading) and block.level <= heading.level:
                return False
            if isinstance(block, Table) and block.style == "headline":
                return True
        return False

    def paragraph(self, block: Paragraph, position: int) -> list[Unit]:
        introduces = isinstance(self.following(position), Table | Chart)
        paragraph = PdfParagraph(linked_markup(block), self.styles.paragraph(block.style))
        return [Unit([paragraph], GLUE if introduces else KEEP, block)]

    def texts(self, block: Texts, position: int) -> list[Unit]:
        """The first text stays with what comes before it (its team's heading); the rest flow,
        splitting between lines wherever a page ends (a run can fill hundreds of pages)."""
        body = self.styles.body
        items = [printable(item) for item in block.items]
        units = [Unit([PlainText(items[:1], body, self.widths)], KEEP, block)]
        if len(items) > 1:
            units.append(Unit([PlainText(items[1:], body, self.widths)], FLOWS, block))
        return units

    def bullets(self, block: Bullets, position: int) -> list[Unit]:
        items = [
            PdfParagraph(markup(item), self.styles.bullet, bulletText="\u2022")
            for item in block.items
        ]
        return [Unit(items, KEEP, block)]

    def chart(self, block: Chart, position: int) -> list[Unit]:
        """One unit per part of a chart too tall for a page."""
        units = []
        font = self.styles.body.fontName
        chart = _printable_chart(block)
        for part in split_to_fit(chart, FRAME_WIDTH, FRAME_HEIGHT - CHART_CAPTION_HEIGHT, font):
            caption = PdfParagraph(markup(part.title), self.styles.caption)
            drawing = drawing_for(part, FRAME_WIDTH, font)
            units.append(Unit([caption, drawing, Spacer(1, 6)], KEEP, block))
        return units

    def table(self, block: Table, position: int) -> list[Unit]:
        """The headline figures' table is set large and ends its page."""
        caption = PdfParagraph(markup(block.caption), self.styles.caption)
        if block.style == "headline":
            table = _headline_table(block, FRAME_WIDTH, self.styles)
            return [Unit([caption, table], KEEP, block, "after")]
        table = _table(block, FRAME_WIDTH, self.styles)
        return [Unit([caption, table, Spacer(1, 8)], KEEP, block)]


def _column_widths(block: Table, width: float, styles: Styles) -> list[float]:
    """Number columns as wide as their longest word, in the header or a cell ("not
    measured": never broken mid-word), the first column gets the rest; other tables use their
    relative widths."""
    if block.numeric_from != 1:
        units = block.widths or (1.0,) * len(block.header)
        return [width * u / sum(units) for u in units]
    head, cell = styles.head_cell, styles.cell_bold
    numeric = []
    for column, header in enumerate(block.header[1:], start=1):
        words = [stringWidth(w, head.fontName, head.fontSize) for w in header.split()]
        for row in block.rows:
            if column < len(row.cells):
                words += [
                    stringWidth(w, cell.fontName, cell.fontSize) for w in row.cells[column].split()
                ]
        numeric.append(max(max(words, default=0) + 2 * NUMBER_PADDING + 2, 34.0))
    return [width - sum(numeric), *numeric]


def _number_cell(value: str, style) -> str | PdfParagraph:
    """A number column's cell: a number as it is; words ("no responses") a right-aligned
    paragraph, so they wrap inside the column instead of running over the next."""
    if " " not in value.strip():
        return printable(value)
    return PdfParagraph(markup(value), ParagraphStyle(f"{style.name}_right", style, alignment=2))


def _table(block: Table, width: float, styles: Styles) -> TaggedTable:
    """The table with its header row repeated on every page it runs over; service-area rows
    span the table, subtotal and total rows are bold, the total shaded."""
    header = [PdfParagraph(markup(h), styles.head_cell) for h in block.header]
    data: list[list] = [header]
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(BLUE)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor(GRID)),
        ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),
        ("FONTSIZE", (0, 1), (-1, -1), styles.cell.fontSize),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for number, row in enumerate(block.rows, start=1):
        bold = row.kind in {"area", "subtotal", "total"}
        style = styles.cell_bold if bold else styles.cell
        data.append(
            [
                _number_cell(value, style)
                if column >= block.numeric_from
                else PdfParagraph(markup(value), style)
                for column, value in enumerate(row.cells)
            ]
        )
        this_row = ((0, number), (-1, number))
        if row.kind == "area":
            commands += [
                ("SPAN", *this_row),
                ("BACKGROUND", *this_row, colors.HexColor(AREA_FILL)),
            ]
        elif row.kind == "row" and block.numeric_from == 1:
            commands.append(("LEFTPADDING", (0, number), (0, number), 14))
        if row.kind in {"subtotal", "total"}:
            commands.append(("FONTNAME", (1, number), (-1, number), styles.cell_bold.fontName))
        if row.kind == "total":
            commands.append(("BACKGROUND", *this_row, colors.HexColor(TOTAL_FILL)))
    if block.numeric_from < len(block.header):
        commands.append(("ALIGN", (block.numeric_from, 1), (-1, -1), "RIGHT"))
    if block.numeric_from == 1:
        commands += [
            ("LEFTPADDING", (1, 0), (-1, -1), NUMBER_PADDING),
            ("RIGHTPADDING", (1, 0), (-1, -1), NUMBER_PADDING),
        ]
    table = TaggedTable(data, colWidths=_column_widths(block, width, styles), repeatRows=1)
    table.setStyle(commands)
    return table


def _headline_style(column: int, value: str, cell_styles: tuple) -> ParagraphStyle:
    """Each column's style; words where a figure would be ("not measured") are set small."""
    if column in (1, 2) and not value[:1].isdigit():
        return cell_styles[-1]
    return cell_styles[min(column, len(cell_styles) - 1)]


def _headline_table(block: Table, width: float, styles: Styles) -> TaggedTable:
    """The headline figures, large and plain: this year's figure in large bold blue, last
    year's beside it, then the direction of change, with generous space round each row."""
    header = [PdfParagraph(markup(h), styles.glance_head) for h in block.header]
    cell_styles = (
        styles.glance_label,
        styles.glance_figure,
        styles.glance_prior,
        styles.glance_change,
    )
    data: list[list] = [header]
    for row in block.rows:
        data.append(
            [
                PdfParagraph(markup(value), _headline_style(column, value, cell_styles))
                for column, value in enumerate(row.cells)
            ]
        )
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(BLUE)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.6, colors.HexColor(GRID)),
        ("FONTNAME", (0, 0), (-1, -1), styles.cell.fontName),  # (a table sets its cells' font)
        ("TOPPADDING", (0, 0), (-1, 0), 6),
        ("BOTTOMPADDING", (0, 0), (-1, 0), 6),
        ("TOPPADDING", (0, 1), (-1, -1), 12),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 12),
    ]
    units = block.widths or (1.0,) * len(block.header)
    widths = [width * u / sum(units) for u in units]
    table = TaggedTable(data, colWidths=widths, repeatRows=1)
    table.setStyle(commands)
    return table
