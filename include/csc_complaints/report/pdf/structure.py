"""The report's logical structure in the tagged PDF: the element each block's flowables become.

Read by the tagging layer (``tagging``) as the pages are drawn. By block type, not by wording,
so new or reworded blocks need nothing here:

* a heading: ``H2`` to ``H4`` (its model level plus one), under the cover title's ``H1``, as
  the HTML's ``h2``-``h4`` under its ``h1``;
* a paragraph: ``P``; a run of texts: a ``P`` per text (``layout.PlainText``);
* bullets: an ``L`` of ``LI`` items, each a bullet (``Lbl``) and its text (``LBody``);
* a chart: its title a ``P``, the drawing a ``Figure`` whose ``/Alt`` is the chart's text
  alternative from the model (each part of a chart split over pages is a Figure of its own);
* a table: ``Table`` with its ``Caption``, a ``THead`` row of ``TH`` cells (``/Scope
  /Column``) and ``TBody`` rows, a new ``TBody`` at each service-area row; the area's name and
  each row's first cell are ``TH`` (``/Scope /Row``; an area's spans the table), the rest
  ``TD`` (the HTML's ``th scope="col"``, ``th scope="row"`` and ``td``).

The cover and the Contents tag themselves (``story``, ``layout.Contents``).
"""

from __future__ import annotations

from reportlab.graphics.shapes import Drawing
from reportlab.platypus import Paragraph as PdfParagraph

from csc_complaints.report.document import Table
from csc_complaints.report.pdf.blocks import Unit
from csc_complaints.report.pdf.tagging import CellTag, Tag, TaggedTable, tag

TITLE_LEVEL = 1  # the cover's title is the H1; the model's headings are one level down


def heading_role(level: int) -> str:
    """The structure type of a model heading of ``level`` (1 a section)."""
    return f"H{level + TITLE_LEVEL}"


def tag_units(units: list[Unit]) -> list[Unit]:
    """Give every flowable of ``units`` its tag (in place); returns the units."""
    for unit in units:
        _TAGGERS[unit.block.kind](unit)
    return units


def _heading(unit: Unit) -> None:
    for flowable in unit.flowables:
        tag(flowable, Tag(heading_role(unit.block.level)))


def _paragraph(unit: Unit) -> None:
    for flowable in unit.flowables:
        tag(flowable, Tag("P"))


def _texts(unit: Unit) -> None:
    """A run of texts tags each text as a ``P`` itself."""


def _bullets(unit: Unit) -> None:
    items = Tag("L")
    for flowable in unit.flowables:
        tag(flowable, Tag("LI", items))


def _chart(unit: Unit) -> None:
    for flowable in unit.flowables:
        if isinstance(flowable, Drawing):
            tag(flowable, Tag("Figure", alt=unit.block.alt))
        elif isinstance(flowable, PdfParagraph):
            tag(flowable, Tag("P"))


def _table(unit: Unit) -> None:
    table = Tag("Table")
    for flowable in unit.flowables:
        if isinstance(flowable, TaggedTable):
            flowable.cell_tag = table_cells(unit.block, table)
        elif isinstance(flowable, PdfParagraph):
            tag(flowable, Tag("Caption", table))


def table_cells(block: Table, table: Tag) -> CellTag:
    """The tag of each cell of ``block`` drawn as a table (row 0 the header row)."""
    head = Tag("THead", table)
    sections: list[Tag] = [head]  # by row
    body: Tag | None = None
    for row in block.rows:
        if body is None or row.kind == "area":
            body = Tag("TBody", table)
        sections.append(body)
    rows = [Tag("TR", section) for section in sections]
    cells: dict[tuple[int, int], Tag] = {}

    def cell_tag(row: int, column: int) -> Tag:
        if (row, column) not in cells:
            if row == 0:
                role, scope = "TH", {"Scope": "Column"}
            elif block.rows[row - 1].kind == "area":
                role, scope = "TH", {"Scope": "Row", "ColSpan": len(block.header)}
            elif column == 0:
                role, scope = "TH", {"Scope": "Row"}
            else:
                role, scope = "TD", None
            attributes = {"Table": scope} if scope else None
            cells[row, column] = Tag(role, rows[row], attributes=attributes)
        return cells[row, column]

    return cell_tag


_TAGGERS = {
    "heading": _heading,
    "paragraph": _paragraph,
    "texts": _texts,
    "bullets": _bullets,
    "chart": _chart,
    "table": _table,
}
