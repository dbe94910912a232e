"""Tagged PDF for reportlab: marked content, the structure tree, artefacts and PDF/UA metadata.

reportlab draws pages but knows nothing of a document's logical structure, which is what a
screen reader reads. This layer adds it beside the page layout, without changing what is drawn
where:

* A flowable carries a ``Tag`` (``tag(flowable, Tag("H2"))``): the structure element its
  drawing belongs to. Elements are made when their first content is drawn, so the structure
  tree is in drawing order: the reading order is the visual order across page breaks, and a
  flowable split over pages (a paragraph, a table) continues one element.
* ``TaggedFrame`` wraps the drawing of each flowable in a marked-content sequence
  (``/P <</MCID 3>> BDC ... EMC``) recorded for its element. A paragraph without a tag is a
  ``P``; any other flowable that draws must have a tag (a figure needs its text alternative).
  A list item (tag ``LI``) gets its bullet as ``Lbl`` and its text as ``LBody``; a ``Figure``
  gets its bounding box.
* Flowables made of parts tag the parts themselves: ``TaggedTable`` tags each cell through a
  ``cell_tag(row, column)`` function, and marks its rules and fills, and the header rows it
  repeats at the head of a continuation page, as artefacts; other such flowables use
  ``marked`` (and set ``tags_own_content``).
* What is not content (running headers and footers, a watermark) is drawn inside ``artifact``.
* ``TaggingCanvas`` (a canvas mixin) keeps each page's MCIDs, gives each page
  ``/StructParents`` and ``/Tabs /S``, puts every link annotation in a ``Link`` element (with
  ``/StructParent`` and ``/Contents``), and writes the ``/StructTreeRoot`` with its
  ``/ParentTree``, ``/MarkInfo << /Marked true >>`` and XMP metadata (``dc:title``,
  ``pdfuaid:part 1``, in step with the document information dictionary) at save time.

Marked content never nests: a sequence is either one element's content or an artefact, which
is what PDF/UA asks. On a canvas without ``TaggingCanvas`` every helper here draws untagged, so
the flowables work on any canvas. Nothing here is random or timed: the same drawing gives the
same bytes.

Imported by the PDF renderer when a PDF is made, never when a DAG file is parsed.

Why one file of over 400 lines: the structure tree, the marked content on every page and the
PDF objects written at the end must agree element by element, so they live together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFDictionary,
    PDFName,
    PDFObject,
    PDFObjectReference,
    PDFString,
    PDFtrue,
)
from reportlab.platypus import Frame, Paragraph, Spacer
from reportlab.platypus.flowables import NullDraw
from reportlab.platypus.tables import Table, TableRenderCB

TAG_ATTRIBUTE = "structure_tag"  # the attribute a flowable's Tag is kept in
PDF_VERSION = (1, 7)  # PDF/UA-1 is built on PDF 1.7


class TaggingError(Exception):
    """Content that cannot be tagged as it stands (a programming error, not a data error)."""


@dataclass(eq=False)
class Element:
    """A structure element: its type (``role``), its kids in reading order, its attributes."""

    role: str
    parent: Element | None
    alt: str | None = None  # /Alt: a figure's text alternative
    contents: str | None = None  # /Contents of the link annotations a Link element holds
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)  # owner -> name -> value
    kids: list[Element | MarkedContent | AnnotationRef] = field(default_factory=list)

    def add(self, role: str, **details) -> Element:
        child = Element(role, self, **details)
        self.kids.append(child)
        return child

    def child(self, role: str) -> Element:
        """The kid element of this type, made (last) if there is none yet."""
        for kid in self.kids:
            if isinstance(kid, Element) and kid.role == role:
                return kid
        return self.add(role)

    def walk(self) -> Iterator[Element]:
        yield self
        for kid in self.kids:
            if isinstance(kid, Element):
                yield from kid.walk()


class PageMarks:
    """One page's marked content: the element that owns each MCID, and what is open now."""

    def __init__(self) -> None:
        self.owners: list[Element] = []  # index = MCID
        self.key: int | None = None  # the page's /StructParents (its key in the ParentTree)
        self.ref: PDFObjectReference | None = None  # set when the page is written
        self.open: list[Element | None] = []  # None: an artefact


class MarkedContent(NamedTuple):
    page: PageMarks
    mcid: int


class AnnotationRef(NamedTuple):
    page: PageMarks
    annotation: PDFObjectReference


class Tag:
    """A structure element to be: made, under its parent's element, when it is first drawn.

    ``parent`` is another Tag (a table for its rows, a list for its items) or None for the
    document. ``attributes`` are by owner, e.g. ``{"Table": {"Scope": "Column"}}``; strings are
    written as PDF names. ``contents`` is the description given to link annotations in a
    ``Link`` element.
    """

    def __init__(
        self,
        role: str,
        parent: Tag | None = None,
        *,
        alt: str | None = None,
        contents: str | None = None,
        attributes: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        if role == "Figure" and not (alt and alt.strip()):
            raise TaggingError("a Figure needs a text alternative (alt)")
        self.role = role
        self.parent = parent
        self.alt = alt
        self.contents = contents
        self.attributes = attributes or {}
        self._made: tuple[Element, Element] | None = None  # (root it was made under, element)

    def element(self, root: Element) -> Element:
        if self._made is None or self._made[0] is not root:
            parent = self.parent.element(root) if self.parent is not None else root
            element = parent.add(
                self.role,
                alt=self.alt,
                contents=self.contents,
                attributes={owner: dict(a) for owner, a in self.attributes.items()},
            )
            self._made = (root, element)
        return self._made[1]


# A flowable drawn as decoration, not content: tag(flowable, DECORATION).
DECORATION = Tag("Artifact")


def tag(flowable, structure_tag: Tag):
    """Give ``flowable`` its structure tag; returns the flowable."""
    # Straight into the instance's dictionary: a graphics Drawing refuses unknown attributes.
    vars(flowable)[TAG_ATTRIBUTE] = structure_tag
    return flowable


def _tagging(canvas) -> bool:
    return isinstance(canvas, TaggingCanvas)


@contextmanager
def marked(canvas, structure_tag: Tag) -> Iterator[None]:
    """Draw the block's content as content of ``structure_tag``'s element."""
    if not _tagging(canvas):
        yield
        return
    with marked_element(canvas, structure_tag.element(canvas.structure.root)):
        yield


@contextmanager
def marked_element(canvas, element: Element) -> Iterator[None]:
    """Draw the block's content as content of ``element``."""
    if not _tagging(canvas):
        yield
        return
    canvas.begin_marked(element)
    yield
    canvas.end_marked()


@contextmanager
def artifact(canvas, subtype: str | None = None, kind: str = "Pagination") -> Iterator[None]:
    """Draw the block's content as an artefact: ``kind`` Pagination (with ``subtype`` Header,
    Footer or Watermark), Layout or Page."""
    if not _tagging(canvas):
        yield
        return
    canvas.begin_artifact(kind, subtype)
    yield
    canvas.end_artifact()


class TaggingCanvas:
    """A canvas mixin (before the canvas class) that writes a tagged PDF. See the module."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("pdfVersion", PDF_VERSION)
        self._marks = PageMarks()
        self._list_item: _ListItemText | None = None
        super().__init__(*args, **kwargs)
        self.structure = StructureTree()
        catalog = self._doc.Catalog
        catalog.StructTreeRoot = _StructTreeRoot(self.structure)
        catalog.MarkInfo = PDFDictionary({"Marked": PDFtrue})
        catalog.Metadata = _XmpMetadata()

    # --- marking -----------------------------------------------------------------------------

    def begin_marked(self, element: Element) -> None:
        marks = self._begin()
        if marks.key is None:
            marks.key = self.structure.new_key()
        mcid = len(marks.owners)
        marks.owners.append(element)
        element.kids.append(MarkedContent(marks, mcid))
        marks.open.append(element)
        self._code.append(f"/{element.role} <</MCID {mcid}>> BDC")

    def begin_artifact(self, kind: str = "Pagination", subtype: str | None = None) -> None:
        self._begin().open.append(None)
        properties = f"/Type /{kind}" + (f" /Subtype /{subtype}" if subtype else "")
        self._code.append(f"/Artifact <<{properties}>> BDC")

    def end_marked(self) -> None:
        self._marks.open.pop()
        self._code.append("EMC")

    end_artifact = end_marked

    def _begin(self) -> PageMarks:
        marks = self._marks
        if marks.open:
            raise TaggingError(
                "marked content may not nest (content inside content or an artefact)"
            )
        return marks

    @contextmanager
    def list_item_text(self, item: Element) -> Iterator[None]:
        """While drawing a list item's paragraph: its first text object (the bullet) is the
        item's ``Lbl``, every later one its ``LBody``."""
        self._list_item = _ListItemText(item)
        yield
        self._list_item = None

    def drawText(self, textobject) -> None:
        item = self._list_item
        if item is None:
            return super().drawText(textobject)
        self.begin_marked(item.next_part())
        super().drawText(textobject)
        self.end_marked()

    # --- pages and annotations ---------------------------------------------------------------

    def _startPage(self) -> None:
        super()._startPage()
        self._marks = PageMarks()

    def _setAnnotations(self, page) -> None:
        # The last call reportlab makes on a page before it is added to the document.
        super()._setAnnotations(page)
        marks = self._marks
        if marks.open:
            raise TaggingError(f"marked content left open at the end of a page: {marks.open}")
        marks.ref = self._doc.thisPageRef()
        page.__NoDefault__ = [*page.__NoDefault__, "StructParents", "Tabs"]
        page.Tabs = PDFName("S")  # tab order follows the structure
        page.StructParents = marks.key  # None (left out) on a page of artefacts only

    def _addAnnotation(self, annotation, name=None, addtopage=1) -> None:
        """Every annotation (reportlab makes only links here) goes in a ``Link`` element: the
        open one, or a new one in the element being drawn (the document if none is)."""
        name = name or f"NUMBER{self._annotationCount + 1}"  # as reportlab names it
        open_elements = self._marks.open
        element = open_elements[-1] if open_elements else None
        if element is None or element.role != "Link":
            element = (element or self.structure.root).add("Link")
        key = self.structure.new_key()
        self.structure.annotations.append((key, element))
        description = element.contents or _annotation_target(annotation)
        super()._addAnnotation(
            _StructParentAnnotation(annotation, key, description), name, addtopage
        )
        element.kids.append(AnnotationRef(self._marks, self._doc.refAnnotation(name)))


class _ListItemText:
    def __init__(self, item: Element) -> None:
        self.item = item
        self.parts = 0

    def next_part(self) -> Element:
        self.parts += 1
        return self.item.child("Lbl" if self.parts == 1 else "LBody")


class StructureTree:
    """The document's structure elements, ParentTree keys and annotations, as drawn."""

    def __init__(self) -> None:
        self.root = Element("Document", None)
        self.annotations: list[tuple[int, Element]] = []
        self._next_key = 0

    def new_key(self) -> int:
        key = self._next_key
        self._next_key += 1
        return key

    def objects(self, document, tree_root) -> PDFDictionary:
        """The /StructTreeRoot dictionary; every element and the ParentTree become objects of
        ``document``. Called when the document is written, after every page."""
        elements = list(self.root.walk())
        objects = {id(e): _StructElem(e.role, e.alt, e.attributes) for e in elements}
        refs = {id(e): document.Reference(objects[id(e)]) for e in elements}
        pages: dict[int, PageMarks] = {}
        for element in elements:
            page = _first_page(element)
            objects[id(element)].place(
                refs[id(element.parent)] if element.parent else tree_root,
                page.ref if page is not None else None,
                [_kid(kid, page, refs) for kid in element.kids],
            )
            for kid in element.kids:
                if isinstance(kid, MarkedContent):
                    pages[kid.page.key] = kid.page
        nums: list = []
        parents = {key: PDFArray([refs[id(e)] for e in page.owners]) for key, page in pages.items()}
        parents.update({key: refs[id(element)] for key, element in self.annotations})
        for key in sorted(parents):
            nums += [key, parents[key]]
        parent_tree = PDFDictionary({"Nums": PDFArray(nums)})
        return PDFDictionary(
            {
                "Type": PDFName("StructTreeRoot"),
                "K": refs[id(self.root)],
                "ParentTree": document.Reference(parent_tree),
                "ParentTreeNextKey": self._next_key,
            }
        )


def _first_page(element: Element) -> PageMarks | None:
    for kid in element.kids:
        if isinstance(kid, MarkedContent | AnnotationRef):
            return kid.page
    return None


def _kid(kid, page: PageMarks | None, refs: dict):
    if isinstance(kid, Element):
        return refs[id(kid)]
    if isinstance(kid, AnnotationRef):
        return PDFDictionary({"Type": PDFName("OBJR"), "Obj": kid.annotation, "Pg": kid.page.ref})
    if kid.page is page:
        return kid.mcid
    return PDFDictionary({"Type": PDFName("MCR"), "Pg": kid.page.ref, "MCID": kid.mcid})


def _pdf_value(value):
    if isinstance(value, str):
        return PDFName(value)
    if isinstance(value, tuple | list):
        return PDFArray([_pdf_value(v) for v in value])
    return value


def _attributes(owner: str, attributes: dict[str, Any]) -> PDFDictionary:
    entries = {"O": PDFName(owner)}
    entries.update({name: _pdf_value(value) for name, value in attributes.items()})
    return PDFDictionary(entries)


class _StructElem(PDFObject):
    """One structure element's dictionary, written straight to bytes: a big report has tens of
    thousands, and reportlab's general dictionary formatting was most of their cost."""

    def __init__(self, role: str, alt: str | None, attributes: dict) -> None:
        self.role = role
        self.alt = alt
        self.attributes = attributes
        self.parent = self.page = None
        self.kids: list = []

    def place(self, parent, page, kids: list) -> None:
        self.parent, self.page, self.kids = parent, page, kids

    def format(self, document):
        from reportlab.pdfbase.pdfdoc import format as pdf_format

        parts = [b"<< /Type /StructElem /S ", pdf_format(PDFName(self.role), document)]
        parts += [b" /P ", self.parent.format(document)]
        if self.page is not None:
            parts += [b" /Pg ", self.page.format(document)]
        kids = [
            str(k).encode() if isinstance(k, int) else pdf_format(k, document) for k in self.kids
        ]
        parts += [b" /K [", b" ".join(kids), b"]"]
        if self.alt:
            parts += [b" /Alt ", pdf_format(PDFString(self.alt), document)]
        if self.attributes:
            owners = [_attributes(o, a) for o, a in sorted(self.attributes.items())]
            parts += [b" /A ", pdf_format(PDFArray(owners), document)]
        return b"".join(parts) + b" >>"


class _StructTreeRoot(PDFObject):
    """The catalog's /StructTreeRoot, made when the document is written."""

    __RefOnly__ = 1

    def __init__(self, structure: StructureTree) -> None:
        self.structure = structure

    def format(self, document):
        from reportlab.pdfbase.pdfdoc import format as pdf_format

        return pdf_format(self.structure.objects(document, document.Reference(self)), document)


class _StructParentAnnotation(PDFObject):
    """A reportlab annotation with its /StructParent key and a description (/Contents)."""

    def __init__(self, annotation, key: int, description: str) -> None:
        self.annotation = annotation
        self.key = key
        self.description = description

    def format(self, document):
        annotation = self.annotation
        if isinstance(annotation, PDFDictionary):  # linkURL makes a dictionary
            dictionary = PDFDictionary(dict(annotation.dict))
        else:
            dictionary = annotation.Dict()
        dictionary.dict["StructParent"] = self.key
        dictionary.dict["Contents"] = PDFString(self.description)
        return dictionary.format(document)


def _annotation_target(annotation) -> str:
    """What a link with no description of its own points at, in words."""
    if isinstance(annotation, PDFDictionary):
        action = annotation.dict.get("A")
        uri = action.dict.get("URI") if isinstance(action, PDFDictionary) else None
        if isinstance(uri, PDFString):
            return f"Link to {uri.s}"
    return "Link"


class _XmpMetadata(PDFObject):
    """The catalog's XMP metadata stream, written from the document information dictionary
    (title, author, subject, keywords, creator, producer, date), so the two always agree."""

    __RefOnly__ = 1

    def format(self, document):
        info = document.info
        language = getattr(document.Catalog, "Lang", None)  # a PDFString, if set
        stamp = document._timeStamp
        year, month, day, hour, minute, second = stamp.YMDhms
        date = (
            f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
            f"{stamp.dhh:+03d}:{stamp.dmm:02d}"
        )
        packet = _XMP.format(
            title=escape(info.title),
            author=escape(info.author),
            subject=escape(info.subject),
            keywords=escape(info.keywords),
            creator=escape(info.creator),
            producer=escape(info.producer),
            language=escape(str(getattr(language, "s", None) or "x-default")),
            date=date,
        ).encode("utf-8")
        data = document.encrypt.encode(packet)
        header = f"<< /Type /Metadata /Subtype /XML /Length {len(data)} >>\nstream\n"
        return header.encode("ascii") + data + b"\nendstream\n"


_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{subject}</rdf:li></rdf:Alt>
   </dc:description>
   <dc:language><rdf:Bag><rdf:li>{language}</rdf:li></rdf:Bag></dc:language>
   <pdf:Keywords>{keywords}</pdf:Keywords>
   <pdf:Producer>{producer}</pdf:Producer>
   <xmp:CreatorTool>{creator}</xmp:CreatorTool>
   <xmp:CreateDate>{date}</xmp:CreateDate>
   <xmp:ModifyDate>{date}</xmp:ModifyDate>
   <pdfuaid:part>1</pdfuaid:part>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""


# --- frames: tagging each flowable as it is drawn ----------------------------------------------

_DRAWS_NOTHING = (Spacer, NullDraw)


def _tag_of(flowable) -> Tag | None:
    """The flowable's tag; an untagged paragraph is given a ``P``."""
    structure_tag = getattr(flowable, TAG_ATTRIBUTE, None)
    if structure_tag is None and isinstance(flowable, Paragraph):
        structure_tag = Tag("P")
        tag(flowable, structure_tag)
    return structure_tag


class TaggedFrame(Frame):
    """A frame that draws each flowable inside the marked content of its tag."""

    def add(self, flowable, canv, trySplit=0):  # (reportlab's Frame.add is its _add)
        if (
            not _tagging(canv)
            or isinstance(flowable, _DRAWS_NOTHING)
            or getattr(flowable, "tags_own_content", False)
        ):
            return super().add(flowable, canv, trySplit)
        structure_tag = _tag_of(flowable)
        draw_on = type(flowable).drawOn

        def tagged_draw_on(canvas, x, y, _sW=0):
            if structure_tag is None:  # (a container that splits before it draws never gets here)
                raise TaggingError(
                    f"{type(flowable).__name__} draws on the page but has no structure tag: "
                    "give it one with tagging.tag (DECORATION if it is not content)"
                )
            with _marking(canvas, structure_tag, flowable, x, y, _sW):
                draw_on(flowable, canvas, x, y, _sW)

        # Only this drawing is wrapped: the instance attribute goes again straight after.
        vars(flowable)["drawOn"] = tagged_draw_on
        try:
            return super().add(flowable, canv, trySplit)
        finally:
            del vars(flowable)["drawOn"]

    def split(self, flowable, canv):
        """The parts of a split flowable continue its element."""
        structure_tag = _tag_of(flowable)
        parts = super().split(flowable, canv)
        if structure_tag is not None:
            for part in parts:
                if getattr(part, TAG_ATTRIBUTE, None) is None:
                    tag(part, structure_tag)
        return parts


@contextmanager
def _marking(canvas, structure_tag: Tag, flowable, x: float, y: float, _sW: float):
    if structure_tag is DECORATION:
        with artifact(canvas, kind="Layout"):
            yield
        return
    element = structure_tag.element(canvas.structure.root)
    if element.role == "Figure" and "Layout" not in element.attributes:
        left = flowable._hAlignAdjust(x, _sW)
        bbox = (left, y, left + flowable.width, y + flowable.height)
        element.attributes["Layout"] = {"BBox": [round(v, 3) for v in bbox], "Placement": "Block"}
    if element.role == "LI":
        if getattr(flowable, "bulletText", None):
            with canvas.list_item_text(element):
                yield
            return
        element = element.child("LBody")  # an item without a bullet, or an item's second page
    with marked_element(canvas, element):
        yield


# --- tables ------------------------------------------------------------------------------------

CellTag = Callable[[int, int], Tag | None]  # (row in the table as made, column) -> its tag


class TaggedTable(Table):
    """A Table whose cells are tagged by ``cell_tag(row, column)`` (None: an artefact).

    Rows keep their number in the table as made through any split; the header rows repeated at
    the head of a continuation page are artefacts (their cells were tagged where first drawn),
    and so are the table's fills and rules.
    """

    tags_own_content = True

    def __init__(self, data, *args, cell_tag: CellTag | None = None, **kwargs) -> None:
        kwargs.setdefault("renderCB", _TABLE_MARKS)
        super().__init__(data, *args, **kwargs)
        self.cell_tag = cell_tag
        self.row_ids: list[int | None] = list(range(len(self._cellvalues)))

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        if not parts:
            return parts
        if len(parts) != 2:
            raise TaggingError(f"a table split into {len(parts)} parts, not 2")
        first, rest = parts
        rows, repeated = len(first._cellvalues), rest.repeatRows
        repeated = repeated if isinstance(repeated, int) else len(repeated)
        if rows + len(rest._cellvalues) - repeated != len(self._cellvalues):
            raise TaggingError("a table split whose rows cannot be followed")
        first.row_ids = self.row_ids[:rows]
        rest.row_ids = [None] * repeated + self.row_ids[rows:]
        for part in parts:
            part.cell_tag = self.cell_tag
            if getattr(self, TAG_ATTRIBUTE, None) is not None:
                tag(part, getattr(self, TAG_ATTRIBUTE))
        return parts


class _TableMarks(TableRenderCB):
    """Marks a TaggedTable's drawing: fills and rules are artefacts, each cell its tag."""

    def startTable(self, T): ...

    def endTable(self, T): ...

    def startRow(self, T, rowNo): ...

    def endRow(self, T): ...

    def startBG(self, T):
        _begin_artifact(T.canv)

    def endBG(self, T):
        _end(T.canv)

    def startLines(self, T):
        _begin_artifact(T.canv)

    def endLines(self, T):
        _end(T.canv)

    def startCell(self, T, rowNo, colNo, cellval, cellstyle, pos, size):
        canvas = T.canv
        if not _tagging(canvas):
            return
        row = T.row_ids[rowNo] if hasattr(T, "row_ids") else rowNo
        cell_tag = getattr(T, "cell_tag", None)
        structure_tag = cell_tag(row, colNo) if row is not None and cell_tag else None
        if structure_tag is None:
            canvas.begin_artifact("Layout")
        else:
            canvas.begin_marked(structure_tag.element(canvas.structure.root))

    def endCell(self, T):
        _end(T.canv)


def _begin_artifact(canvas) -> None:
    if _tagging(canvas):
        canvas.begin_artifact("Layout")


def _end(canvas) -> None:
    if _tagging(canvas):
        canvas.end_marked()


_TABLE_MARKS = _TableMarks()
