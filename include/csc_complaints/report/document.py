"""The annual report as a document model: headings, paragraphs, bullets, texts, tables, charts.

The sections (``csc_complaints.report.sections``) build it once from the figures and the wording
templates; the PDF (``report.pdf``) and the HTML (``report.html``) are two renderings of the same
blocks, so they always say the same thing. Every text here is final, plain text: each renderer
escapes it for its own format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar, Generic, TypeVar


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
    # Links inside the text: (the words linked, as they appear in ``text``, web address), in
    # the order they appear.
    links: tuple[tuple[str, str], ...] = ()

    def segments(self) -> list[tuple[str, str | None]]:
        """The text in runs, each with the address it links to (None: not a link)."""
        runs: list[tuple[str, str | None]] = []
        rest = self.text
        for words, address in self.links:
            before, found, rest = rest.partition(words)
            if not found:
                raise ValueError(f"the link text {words!r} is not in the paragraph {self.text!r}")
            runs += [(before, None), (words, address)]
        runs.append((rest, None))
        return [(text, address) for text, address in runs if text]


def linked_paragraph(text: str, style: str = "body") -> Paragraph:
    """A paragraph from a text of the settings, whose links are written ``[words](address)``."""
    from csc_complaints.settings import LINK

    links = tuple((words, address) for words, address in LINK.findall(text))
    return Paragraph(LINK.sub(lambda m: m.group(1), text), style, links)


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
    # grid | headline: the year's headline figures (At a glance), set large; in the PDF the
    # section they end is a page of its own, in the HTML a block that stands out
    style: str = "grid"


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart (one bar per series for each category), or with ``style`` "line"
    a line chart (one line per series across the categories, e.g. years)."""

    kind: ClassVar[str] = "chart"
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (legend label, values); a line chart's
    # values may be percentages, and None where a year has nothing to measure
    alt: str  # the text alternative, with every number of the chart
    style: str = "bar"  # bar | line
    # The axes' titles: what the categories are (``Team``) and what is counted.
    category_title: str = ""
    value_title: str = ""
    # How each bar's value is printed beside it: whole numbers (counts), or ``%.1f`` for a
    # figure to one decimal place (the regional benchmark's percentages and rates). A value of
    # None draws no bar (the benchmark's council with no figure, named in its category).
    value_format: str = "%d"


Block = Heading | Paragraph | Bullets | Texts | Table | Chart


@dataclass
class Document:
    title_lines: tuple[str, ...]
    council_name: str
    year_label: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    # The cover's line of who approved the report and when (None: not signed off), and the
    # date of that approval (the PDF's creation date; None: reportlab's fixed invariant date).
    approved: str | None = None
    approved_at: datetime | None = None
    approved_on: date | None = None  # the approval's day in the council's time zone
    # The cover's sentence saying where the accessible HTML and the open data are published,
    # with its link (None: the setting publication_url is empty).
    published_at: Paragraph | None = None
    # The wording template of the PDF's furniture (footer, metadata, Contents heading): the
    # annual report's ``pdf``; the quarterly monitoring pack's ``monitoring_pdf``.
    furniture: str = "pdf"
    # Printed under the title on the PDF's cover and the HTML page's header, if any (the
    # monitoring pack: "management information, not for publication").
    cover_note: str | None = None

    def listed_headings(self) -> list[tuple[int, Heading]]:
        """(position among the blocks, heading) of each heading the Contents lists."""
        return [
            (position, block)
            for position, block in enumerate(self.blocks)
            if isinstance(block, Heading) and block.toc
        ]


Rendered = TypeVar("Rendered")


class BlockRenderer(ABC, Generic[Rendered]):
    """Walks a document's blocks in order, one method per block type (named by its ``kind``).

    The PDF and the HTML renderers are both one of these, so each must handle every block type:
    a new type of block is an abstract method here, and a renderer without it cannot be made.
    """

    def __init__(self, document: Document) -> None:
        self.document = document

    def render_blocks(self) -> list[Rendered]:
        return [
            getattr(self, block.kind)(block, position)
            for position, block in enumerate(self.document.blocks)
        ]

    def following(self, position: int) -> Block | None:
        """The block after the one at ``position``, if any."""
        blocks = self.document.blocks
        return blocks[position + 1] if position + 1 < len(blocks) else None

    @abstractmethod
    def heading(self, block: Heading, position: int) -> Rendered: ...

    @abstractmethod
    def paragraph(self, block: Paragraph, position: int) -> Rendered: ...

    @abstractmethod
    def bullets(self, block: Bullets, position: int) -> Rendered: ...

    @abstractmethod
    def texts(self, block: Texts, position: int) -> Rendered: ...

    @abstractmethod
    def table(self, block: Table, position: int) -> Rendered: ...

    @abstractmethod
    def chart(self, block: Chart, position: int) -> Rendered: ...
