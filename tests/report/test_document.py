"""The document model's walk: both renderers handle every block type, in the model's order."""

from __future__ import annotations

import pytest

from csc_complaints.report.document import (
    BlockRenderer,
    Bullets,
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    Texts,
)
from csc_complaints.report.html import BlockViews
from csc_complaints.report.pdf.blocks import BlockFlowables
from csc_complaints.report.pdf.styles import report_styles

BLOCKS = [
    Heading(1, "Section"),
    Paragraph("Introduces the table."),
    Table("Caption", ("Team", "Count"), ()),
    Bullets(("one", "two")),
    Texts(("a text",)),
    Chart("Chart", ("Team",), (("2019/20", (1,)),), "alt"),
]


def _document() -> Document:
    return Document(("Report",), "A Council", "2019/20", "Report 2019/20", list(BLOCKS))


class Kinds(BlockRenderer[str]):
    """Says which method rendered each block, at which position."""

    def heading(self, block, position):
        return f"heading@{position}"

    def paragraph(self, block, position):
        return f"paragraph@{position}->{type(self.following(position)).__name__}"

    def bullets(self, block, position):
        return f"bullets@{position}"

    def texts(self, block, position):
        return f"texts@{position}"

    def table(self, block, position):
        return f"table@{position}"

    def chart(self, block, position):
        return f"chart@{position}->{self.following(position)}"


def test_blocks_are_rendered_in_order_each_by_the_method_for_its_type():
    assert Kinds(_document()).render_blocks() == [
        "heading@0",
        "paragraph@1->Table",
        "table@2",
        "bullets@3",
        "texts@4",
        "chart@5->None",
    ]


def test_a_renderer_without_a_case_for_a_block_type_cannot_be_made():
    class NoCharts(BlockRenderer[str]):
        heading = paragraph = bullets = texts = table = Kinds.heading

    with pytest.raises(TypeError, match="chart"):
        NoCharts(_document())


def test_the_pdf_and_the_html_render_every_block_of_the_model():
    document = _document()
    views = BlockViews(document).render_blocks()
    assert [v["kind"] for v in views] == [b.kind for b in BLOCKS]
    units = BlockFlowables(document, report_styles()).units()
    assert [u.block for u in units] == BLOCKS  # (a chart this small is not split)
