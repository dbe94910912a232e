"""The annual report as a document model: headings, paragraphs, bullets, texts, tables, charts.

The sections (``csc_complaints.report.sections``) build it once from the figures and the wording
templates; the PDF (``report.pdf``) and the HTML (``report.html``) are two renderings of the same
blocks, so they always say the same thing. Every text here is final, plain text: each renderer
escapes it for its own format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"
    level: int  # 1 section, 2 subsection, 3 sub-subsection (HTML h2, h3, h4)
    text: str
    toc: bool = True  # listed in Contents and the PDF bookmarks; if not, printed smaller


@dataclass(frozen=True)
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: str
    style: str = "body"  # body | note


@dataclass(frozen=True)
class Bullets:
    kind: ClassVar[str] = "bullets"
    items: tuple[str, ...]


@dataclass(frozen=True)
class Texts:
    """Free texts from the source (one team's learning actions), one body paragraph each.

    A block of its own because there can be thousands: the PDF lays the run out as plain text
    (no markup to parse) that flows across pages, and the HTML prints one ``<p>`` per text.
    """

    kind: ClassVar[str] = "texts"
    items: tuple[str, ...]


@dataclass(frozen=True)
class TableRow:
    cells: tuple[str, ...]
    kind: str = "row"  # area | row | subtotal | total


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    caption: str
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    numeric_from: int = 1  # columns from here on are right-aligned numbers
    widths: tuple[float, ...] = ()  # relative column widths (empty = even)


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: one bar per series for each category."""

    kind: ClassVar[str] = "chart"
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (legend label, values)
    alt: str  # the text alternative, with every number of the chart


Block = Heading | Paragraph | Bullets | Texts | Table | Chart
BLOCK_TYPES: tuple[type, ...] = (Heading, Paragraph, Bullets, Texts, Table, Chart)


@dataclass
class Document:
    title_lines: tuple[str, ...]
    council_name: str
    year_label: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def listed_headings(self) -> list[tuple[int, Heading]]:
        """(position among the blocks, heading) of each heading the Contents lists."""
        return [
            (position, block)
            for position, block in enumerate(self.blocks)
            if isinstance(block, Heading) and block.toc
        ]


Rendered = TypeVar("Rendered")


def walk(
    document: Document, renderers: Mapping[type, Callable[[Block, int], Rendered]]
) -> Iterator[Rendered]:
    """Each block of ``document`` in order, through the renderer for its type.

    Both renderers walk the model this way, and each must handle every block type: a type a
    renderer lacks is an error here rather than a block silently missing from one format.
    """
    missing = [t.__name__ for t in BLOCK_TYPES if t not in renderers]
    if missing:
        raise TypeError(f"the renderer has no case for {', '.join(missing)} blocks")
    for position, block in enumerate(document.blocks):
        yield renderers[type(block)](block, position)
