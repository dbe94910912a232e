"""Platypus pieces that let the report's PDF be laid out in one pass, fast at any size.

* ``PlainText``: a run of plain-text paragraphs in one style (the learning actions: thousands of
  them). Plain text needs no markup parser: lines are broken with cached word widths, drawn with
  one text object, and the run splits between lines so a long team section flows across pages.
* ``HeldPagesCanvas``: a canvas that writes its pages only when the document is saved, so text
  known only at the end of the layout (the Contents' page numbers) can still be put in its place
  on an earlier page, and bookmarks can point at pages that are not written yet.
* ``Contents``: the Contents, laid out from the headings the document model lists (known
  before layout, so its size is too), with dot leaders and page numbers filled in at save time.

Each piece tags its own content for the tagged PDF (``tagging``): a run of texts one ``P`` per
text, the Contents a ``TOC`` of ``TOCI`` entries, each a ``Link``.

Imported by the PDF renderer (``csc_complaints.report.pdf``) when a PDF is made, never when a DAG
file is parsed.

Why one file of over 400 lines: the page layout's flowables share the measured fonts, the
line breaking and the tagging calls, and are read together to see how a page is filled.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from html import unescape

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Spacer
from reportlab.platypus.flowables import Flowable

from csc_complaints.report.pdf.tagging import Tag, TaggedTable, marked

# Break lines where the markup parser would: at whitespace, but never at a no-break space.
_BREAKABLE_SPACE = re.compile(r"[^\S\u00a0\u2007\u202f]+")
_FUZZ = 1e-6  # reportlab's widths are floats: a line exactly as wide as the frame fits


class WordWidths:
    """Widths of words in one font and size, each measured once.

    Learning texts repeat the same few thousand words; measuring a word is the costly part of
    breaking lines (``stringWidth`` encodes it every time), so one cache is shared by every
    ``PlainText`` of a document.
    """

    def __init__(self, font_name: str, font_size: float) -> None:
        self.font_name = font_name
        self.font_size = font_size
        self.space = stringWidth(" ", font_name, font_size)
        self._widths: dict[str, float] = {}

    def __call__(self, word: str) -> float:
        width = self._widths.get(word)
        if width is None:
            width = self._widths[word] = stringWidth(word, self.font_name, self.font_size)
        return width


def break_lines(
    text: str, max_width: float, widths: WordWidths, space_shrinkage: float = 0.0
) -> list[str]:
    """``text`` as lines that fit ``max_width``, broken as a left-aligned platypus Paragraph
    breaks them, so a text looks the same either way: greedy, words joined by one space, a line
    allowed ``space_shrinkage`` of a space's width per word over the width (the style's
    ``spaceShrinkage``), and a word wider than a line cut into pieces (``splitLongWords``)."""
    lines: list[str] = []
    line: list[str] = []
    width = 0.0
    space = widths.space
    shrink = space_shrinkage * space
    for word in _BREAKABLE_SPACE.split(text.strip()):
        if not word:
            continue
        word_width = widths(word)
        used = width + space if line else 0.0
        if used + word_width <= max_width + shrink * len(line) + _FUZZ:
            line.append(word)
            width = used + word_width
        elif word_width <= max_width + _FUZZ:
            lines.append(" ".join(line))
            line, width = [word], word_width
        else:  # a word wider than a line: its first piece fills what is left of this line
            first, *middle, last = _cut_word(word, max_width - used, max_width, widths)
            if first:
                line.append(first)
            if line:
                lines.append(" ".join(line))
            lines.extend(middle)
            line, width = [last], widths(last)
    if line:
        lines.append(" ".join(line))
    return lines


def _cut_word(word: str, first: float, rest: float, widths: WordWidths) -> list[str]:
    """A word too wide for a line, in two or more pieces: the first no wider than ``first``
    (it may be empty), the others no wider than ``rest`` (at least one character each)."""
    pieces: list[str] = []
    piece, room = "", first
    for char in word:
        if widths(piece + char) > room + _FUZZ and (piece or not pieces):
            pieces.append(piece)
            piece, room = "", rest
        piece += char
    pieces.append(piece)
    return pieces


class _Lines:
    """The laid-out lines of a run of texts at one width, shared by all parts of a split run.

    ``top[i]`` is how far line ``i``'s top is below the run's top: lines are ``leading`` apart,
    and texts one paragraph gap apart (the space platypus leaves between two paragraphs of the
    style: the larger of space after and space before).
    """

    def __init__(
        self, texts: Sequence[str], width: float, style: ParagraphStyle, widths: WordWidths
    ) -> None:
        self.width = width
        self.lines: list[str] = []
        self.text_of: list[int] = []  # for each line, the index of its text among the texts
        self.text_start: list[int] = []  # ... the index of its text's first line
        self.text_end: list[int] = []  # ... and one past its text's last line
        self.top: list[float] = []
        leading = style.leading
        gap = max(style.spaceBefore, style.spaceAfter)
        line_width = width - style.leftIndent - style.rightIndent
        y = 0.0
        for index, text in enumerate(texts):
            lines = break_lines(text, line_width, widths, style.spaceShrinkage)
            if not lines:
                continue
            if self.lines:
                y += gap
            start = len(self.lines)
            end = start + len(lines)
            for line in lines:
                self.lines.append(line)
                self.text_of.append(index)
                self.text_start.append(start)
                self.text_end.append(end)
                self.top.append(y)
                y += leading
        self.leading = leading

    def height(self, start: int, end: int) -> float:
        if end <= start:
            return 0.0
        return self.top[end - 1] + self.leading - self.top[start]

    def fitting(self, start: int, end: int, height: float) -> int:
        """The end of the longest stretch of lines from ``start`` no taller than ``height``,
        moved back so no text leaves one line alone at the foot (an orphan) or at the head of
        the next page (a widow); ``start`` when nothing can go here."""
        # Line i fits when top[i] + leading <= top[start] + height.
        cut = bisect_right(self.top, self.top[start] + height - self.leading + _FUZZ, start, end)
        if cut >= end:
            return end
        first, last = self.text_start[cut], self.text_end[cut]
        if first < cut:  # the cut falls inside a text
            if last - cut == 1:  # its last line would be a widow: take one line over with it
                cut -= 1
            if cut - first == 1:  # its first line would be an orphan: the text goes over whole
                cut = first
        return max(cut, start)


class PlainText(Flowable):
    """Texts printed literally as paragraphs of one style, splittable between lines.

    Looks like a ``Paragraph`` per text in ``style`` (left aligned: font, size, leading, indents,
    colour, space before and after), but no text is parsed as markup, so ``<``, ``&`` and ``>``
    print as themselves and cost nothing to escape; and the whole run is one flowable, so
    thousands of texts are not thousands of wrap and split calls. Each text is its own text
    object, tagged with its own ``P`` (``text_tags``, one per text, kept by every part).
    """

    tags_own_content = True

    def __init__(
        self,
        texts: Sequence[str],
        style: ParagraphStyle,
        widths: WordWidths,
        _part: tuple[_Lines, int, int] | None = None,
        text_tags: Sequence[Tag] | None = None,
    ) -> None:
        super().__init__()
        self.texts = tuple(texts)
        self.style = style
        self.widths = widths
        self.text_tags = (
            tuple(text_tags) if text_tags is not None else tuple(Tag("P") for _ in texts)
        )
        # (lines, first line, end line). A whole run is laid out at the width it is offered; a
        # part of a split run keeps the width it was split at (the frame is the same on every
        # page of the report).
        self._part = _part
        self._whole = _part is None

    def _laid_out(self, width: float) -> tuple[_Lines, int, int]:
        if self._part is None or (self._whole and self._part[0].width != width):
            lines = _Lines(self.texts, width, self.style, self.widths)
            self._part = (lines, 0, len(lines.lines))
        return self._part

    def wrap(self, availWidth, availHeight):
        lines, start, end = self._laid_out(availWidth)
        self.width = availWidth
        self.height = lines.height(start, end)
        return self.width, self.height

    def split(self, availWidth, availHeight):
        lines, start, end = self._laid_out(availWidth)
        cut = lines.fitting(start, end, availHeight)
        if cut >= end:
            return [self]
        if cut <= start:
            return []
        return [
            PlainText(self.texts, self.style, self.widths, (lines, start, cut), self.text_tags),
            PlainText(self.texts, self.style, self.widths, (lines, cut, end), self.text_tags),
        ]

    def getSpaceBefore(self):
        return self.style.spaceBefore

    def getSpaceAfter(self):
        return self.style.spaceAfter

    def draw(self):
        lines, start, end = self._part
        style = self.style
        canvas = self.canv
        x = style.leftIndent
        # As a Paragraph: the first baseline one font size below the top.
        top = self.height - style.fontSize + lines.top[start]
        first = start
        while first < end:  # one text (or the part of it on this page) at a time
            last = min(lines.text_end[first], end)
            with marked(canvas, self.text_tags[lines.text_of[first]]):
                text = canvas.beginText(x, top - lines.top[first])
                text.setFont(style.fontName, style.fontSize, style.leading)
                text.setFillColor(style.textColor)
                for i in range(first, last):
                    text.textLine(lines.lines[i])
                canvas.drawText(text)
            first = last


class HeldPagesCanvas(Canvas):
    """A canvas that holds every finished page and writes them all when the document is saved.

    The report is laid out once, so when the Contents page is drawn the pages of the headings
    it lists are not known yet. A held page's content stream is still open: ``fill_in_later``
    keeps a place in it for drawing done at save time, when every page number is known, and
    ``when_written`` runs a call just before the page is written. Anything that records "the
    current page" in the PDF (``bookmarkPage``, ``bookmarkHorizontal``, a Paragraph's
    ``<a name>``) must be done through ``when_written``: until then no page has been written.
    Links to bookmarks (``linkRect``, ``<a href="#key">``) name them, and need no such care.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict] = []
        self._on_write: list[Callable[[Canvas], None]] = []

    def when_written(self, call: Callable[[Canvas], None]) -> None:
        """Call ``call(canvas)`` when the current page is written, before its content closes."""
        self._on_write.append(call)

    def fill_in_later(self, draw: Callable[[Canvas], None]) -> None:
        """Keep a place here in the page's content for what ``draw(canvas)`` draws at save time.

        ``draw`` works in the coordinates in force at this point of the page and is wrapped in
        its own graphics state, so it changes nothing drawn after it.
        """
        code = self._code
        place = len(code)
        code.append("")

        def fill(canvas: Canvas) -> None:
            # At save time the page's content list is the canvas's again (``save`` restores it).
            before = len(canvas._code)
            canvas.saveState()
            draw(canvas)
            canvas.restoreState()
            code[place] = "\n".join(canvas._code[before:])
            del canvas._code[before:]

        self._on_write.append(fill)

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._on_write = []
        self._startPage()

    def save(self) -> None:
        if self._code:
            self.showPage()
        held, self._held = self._held, []
        for state in held:
            self.__dict__.update(state)
            for call in state["_on_write"]:
                call(self)
            Canvas.showPage(self)
        self._held, self._on_write = [], []
        super().save()


class Contents(Flowable):
    """The Contents: a table of ``(level, markup text, bookmark key)`` entries.

    Each entry links to its heading's bookmark, and ends with a dot leader and the page number
    from ``page_of`` (filled in as the pages are laid out), drawn when the canvas is saved: the
    canvas must be a ``HeldPagesCanvas``. Its size does not depend on the page numbers, so the
    document needs one layout pass. The table is made at the width offered, as wide as the
    frame, and splits between entries. Tagged as a ``TOC``: each entry a ``TOCI`` holding a
    ``Link`` (its text, leader, page number and link annotations).
    """

    tags_own_content = True

    def __init__(
        self,
        entries: Sequence[tuple[int, str, str]],
        level_styles: Sequence[ParagraphStyle],
        page_of: dict[str, int],
        table_style: list,
    ) -> None:
        super().__init__()
        self.entries = tuple(entries)
        self.level_styles = tuple(level_styles)
        self.page_of = page_of
        self.table_style = table_style
        self._table: TaggedTable | None = None
        self._table_width = 0.0
        toc = Tag("TOC")
        self._links = [
            Tag("Link", Tag("TOCI", toc), contents=unescape(text)) for _, text, _ in entries
        ]

    def _table_at(self, width: float) -> TaggedTable:
        if self._table is None or self._table_width != width:
            rows: list[list] = []
            links: dict[int, Tag] = {}  # row -> the Link of the entry in it
            for (level, text, key), link in zip(self.entries, self._links, strict=True):
                style = self.level_styles[level]
                if style.spaceBefore:
                    rows.append([Spacer(1, style.spaceBefore)])
                markup = f'<a href="#{key}">{text}</a>'
                links[len(rows)] = link
                rows.append([_ContentsEntry(markup, style, key, self.page_of)])
            self._table = TaggedTable(
                rows,
                colWidths=(width,),
                style=self.table_style,
                cell_tag=lambda row, _column: links.get(row),
            )
            self._table_width = width
        return self._table

    def wrap(self, availWidth, availHeight):
        self.width, self.height = self._table_at(availWidth).wrapOn(
            self.canv, availWidth, availHeight
        )
        return self.width, self.height

    def split(self, availWidth, availHeight):
        return self._table_at(availWidth).splitOn(self.canv, availWidth, availHeight)

    def drawOn(self, canvas, x, y, _sW=0):
        self._table.drawOn(canvas, x, y, _sW)


class _ContentsEntry(Paragraph):
    """A Contents entry: its text, then (at save time) a dot leader and its page number."""

    CALLBACK = "contents_entry_end"

    def __init__(self, markup: str, style: ParagraphStyle, key: str, page_of: dict[str, int]):
        super().__init__(f'{markup}<onDraw name="{self.CALLBACK}" label="{key}"/>', style)
        self.key = key
        self.page_of = page_of

    def draw(self):
        # The callback is looked up by name on the canvas when the text's end is drawn.
        self.canv.setNamedCB(self.CALLBACK, self._entry_end)
        super().draw()
        # After the text, so the leader and page number follow it in the content stream too
        # (which is the order the entry is read in).
        canvas, key, style = self.canv, self.key, self.style
        x, y = self._end
        right = self.width
        canvas.linkRect("", key, (x, y, right, y + style.leading), relative=1)
        page_of = self.page_of
        canvas.fill_in_later(lambda c: _leader(c, style, x, y, right, str(page_of[key])))

    def _entry_end(self, canvas: HeldPagesCanvas, _kind, key: str) -> None:
        # Where the text ends, in this paragraph's coordinates (reportlab's own Contents reads
        # the same attribute): the leader runs from there to the right edge.
        self._end = (canvas._curr_tx_info["cur_x"], canvas._curr_tx_info["cur_y"])


def _leader(canvas: Canvas, style: ParagraphStyle, x: float, y: float, right: float, page: str):
    """Dots from ``x`` to the page number, which ends at ``right`` on the baseline ``y``."""
    font, size = style.fontName, style.fontSize
    number_width = stringWidth(page, font, size)
    dot = " . "
    dots = max(int((right - x - number_width) / stringWidth(dot, font, size)), 0)
    canvas.setFont(font, size)
    canvas.setFillColor(style.textColor)
    canvas.drawRightString(right, y, dot * dots + page)
