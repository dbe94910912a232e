"""An independent reader of a tagged PDF, for the tests: what a checker would look at.

Written against the PDF specification (ISO 32000-1 section 14.7-14.8) and PDF/UA-1, with
pikepdf, and without the code under test: it walks each page's content stream (is every piece
of text and graphics inside marked content that is real content with an MCID, or an artefact?)
and the structure tree (is every MCID claimed once, through the ParentTree too; are figures
described, table headers scoped, headings in order, links tagged?), and reads the catalog, the
metadata and the fonts. ``read`` returns what it found and a list of problems.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

# Operators that put marks on the page (ISO 32000-1 tables 59, 61, 77, 87, 92).
PAINTING = {
    "Tj", "TJ", "'", '"',  # text
    "S", "s", "f", "F", "f*", "B", "B*", "b", "b*",  # paths
    "sh", "Do", "INLINE IMAGE",
}  # fmt: skip
BASE_14 = {
    "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique",
    "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique",
    "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic", "Symbol", "ZapfDingbats",
}  # fmt: skip
STANDARD_TYPES = {
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index",
    "NonStruct", "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl",
    "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note",
    "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "Warichu", "Figure", "Formula",
    "Form",
}  # fmt: skip
PARENTS = {  # a kid of this type must sit in one of these
    "LI": {"L"},
    "Lbl": {"LI"},
    "LBody": {"LI"},
    "TR": {"Table", "THead", "TBody", "TFoot"},
    "TH": {"TR"},
    "TD": {"TR"},
    "THead": {"Table"},
    "TBody": {"Table"},
    "TFoot": {"Table"},
    "TOCI": {"TOC"},
}
XMP_PDFUAID = "{http://www.aiim.org/pdfua/ns/id/}part"
XMP_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"


@dataclass(eq=False)
class Element:
    """A structure element as read: plain Python values (the file is closed after reading)."""

    role: str
    objgen: tuple[int, int]
    parent: Element | None
    alt: str | None = None
    attributes_by_owner: dict[str, dict] = field(default_factory=dict)
    kids: list = field(default_factory=list)  # Element | ("mc", page, mcid) | ("annot", objgen)

    def attributes(self, owner: str) -> dict:
        """The element's attributes of ``owner`` (e.g. Table, Layout)."""
        return self.attributes_by_owner.get(owner, {})

    def elements(self, role: str | None = None):
        for kid in self.kids:
            if isinstance(kid, Element):
                if role is None or kid.role == role:
                    yield kid
                yield from kid.elements(role)

    def text(self, pdf: TaggedPdf) -> str:
        """The element's text: its marked content and its kids', in reading order."""
        return " ".join(" ".join(pdf.texts.get(key, "") for key in self.content()).split())

    def content(self) -> list[tuple[int, int]]:
        """(page, MCID) of this element's marked content and its kids', in reading order."""
        found = []
        for kid in self.kids:
            if isinstance(kid, Element):
                found += kid.content()
            elif kid[0] == "mc":
                found.append((kid[1], kid[2]))
        return found


@dataclass
class TaggedPdf:
    path: Path
    problems: list[str]
    root: Element | None
    pages: int
    mcids: list[list[int]]  # per page, the MCIDs in content-stream order
    artifact_text: list[list[str]]  # per page, the strings shown inside artefacts
    texts: dict[tuple[int, int], str]  # (page, MCID) -> the text shown in it
    roles: Counter
    headings: list[str]
    fonts: set[str]
    catalog: dict

    def elements(self, role: str | None = None) -> list[Element]:
        if self.root is None:
            return []
        found = list(self.root.elements(role))
        return ([self.root] if role in (None, self.root.role) else []) + found


def read(path: Path) -> TaggedPdf:
    with pikepdf.open(path) as pdf:
        return _Reader(pdf, path).read()


class _Reader:
    def __init__(self, pdf: pikepdf.Pdf, path: Path) -> None:
        self.pdf = pdf
        self.path = path
        self.problems: list[str] = []
        self.page_of = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        self.fonts: set[str] = set()

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def read(self) -> TaggedPdf:
        pdf = self.pdf
        catalog = self._catalog()
        mcids, artifact_text, texts = [], [], {}
        for number, page in enumerate(pdf.pages):
            found, shown, page_texts = self._page_content(number, page)
            mcids.append(found)
            artifact_text.append(shown)
            texts.update({(number, mcid): text for mcid, text in page_texts.items()})
            self._fonts(number, page.obj.get("/Resources"))
        root = self._structure(mcids)
        roles = Counter(e.role for e in (list(root.elements()) + [root])) if root else Counter()
        headings = [
            e.role
            for e in ([root, *root.elements()] if root else [])
            if e.role in {"H1", "H2", "H3", "H4", "H5", "H6"}
        ]
        self._headings(headings)
        return TaggedPdf(
            self.path,
            self.problems,
            root,
            len(pdf.pages),
            mcids,
            artifact_text,
            texts,
            roles,
            headings,
            self.fonts,
            catalog,
        )

    # --- catalog, metadata ----------------------------------------------------------------

    def _catalog(self) -> dict:
        root = self.pdf.Root
        mark_info = root.get("/MarkInfo")
        marked = bool(mark_info is not None and mark_info.get("/Marked") is True)
        lang = str(root.get("/Lang", ""))
        preferences = root.get("/ViewerPreferences")
        display_title = bool(
            preferences is not None and preferences.get("/DisplayDocTitle") is True
        )
        title = str(self.pdf.docinfo.get("/Title", ""))
        with self.pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            xmp_title = str(meta.get(XMP_DC_TITLE, ""))
            ua_part = str(meta.get(XMP_PDFUAID, ""))
        if not marked:
            self.problem("catalog: no /MarkInfo << /Marked true >>")
        if not lang:
            self.problem("catalog: no /Lang")
        if not display_title:
            self.problem("catalog: no /ViewerPreferences << /DisplayDocTitle true >>")
        if not title.strip():
            self.problem("info: no /Title")
        if xmp_title != title:
            self.problem(f"XMP dc:title {xmp_title!r} is not the /Title {title!r}")
        if ua_part != "1":
            self.problem(f"XMP pdfuaid:part is {ua_part!r}, not 1")
        return {
            "marked": marked,
            "lang": lang,
            "display_doc_title": display_title,
            "title": title,
            "xmp_title": xmp_title,
            "pdfuaid_part": ua_part,
        }

    # --- fonts ------------------------------------------------------------------------------

    def _fonts(self, number: int, resources) -> None:
        if resources is None:
            return
        for name, font in resources.get("/Font", {}).items():
            base = str(font.get("/BaseFont", ""))[1:]
            self.fonts.add(base)
            if base.split("+")[-1] in BASE_14:
                self.problem(f"page {number + 1}: font {name} is the base-14 {base}")
            described = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = described.get("/FontDescriptor")
            if descriptor is None or not any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                self.problem(f"page {number + 1}: font {base} is not embedded")
        for xobject in resources.get("/XObject", {}).values():
            self._fonts(number, xobject.get("/Resources"))

    # --- content streams --------------------------------------------------------------------

    def _page_content(self, number: int, page) -> tuple[list[int], list[str], dict[int, str]]:
        """The page's MCIDs in stream order, the text of each artefact and of each MCID;
        problems for unmarked or wrongly nested marks."""
        where = f"page {number + 1}"
        stack: list[tuple[str, int | None]] = []  # (tag, MCID) of each open sequence
        found: list[int] = []
        shown: list[str] = []
        texts: dict[int, list[str]] = {}
        unicode = _to_unicode_maps(page)
        font: dict[int, str] = {}
        unmarked = Counter()
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            inside = [t for t in stack if t[0] == "Artifact" or t[1] is not None]
            if op in {"BDC", "BMC"}:
                tag = str(operands[0])[1:]
                mcid = None
                if op == "BDC":
                    properties = operands[1]
                    if isinstance(properties, pikepdf.Name):
                        properties = page.Resources.Properties[properties]
                    if "/MCID" in properties:
                        mcid = int(properties.MCID)
                if (tag == "Artifact" or mcid is not None) and inside:
                    self.problem(f"{where}: {tag} sequence nested inside {inside[-1][0]}")
                if mcid is not None:
                    if mcid in found:
                        self.problem(f"{where}: MCID {mcid} used twice")
                    found.append(mcid)
                    texts[mcid] = []
                stack.append((tag, mcid))
            elif op == "EMC":
                if not stack:
                    self.problem(f"{where}: EMC without BDC")
                else:
                    stack.pop()
            elif op == "Tf":
                font = unicode.get(str(operands[0]), {})
            elif op in {"Td", "TD", "Tm", "T*", "'", '"'} and inside and inside[-1][1] is not None:
                texts[inside[-1][1]].append(" ")  # a new line or place: a word break
            if op in PAINTING:
                if not inside:
                    unmarked[op] += 1
                    continue
                text = _shown(op, operands, font)
                if inside[-1][0] == "Artifact":
                    if text:
                        shown.append(text)
                else:
                    texts[inside[-1][1]].append(text)
        if stack:
            self.problem(f"{where}: {len(stack)} marked-content sequences left open")
        for op, count in sorted(unmarked.items()):
            self.problem(f"{where}: {count} '{op}' outside marked content")
        return found, shown, {mcid: "".join(parts) for mcid, parts in texts.items()}

    # --- the structure tree -----------------------------------------------------------------

    def _structure(self, mcids: list[list[int]]) -> Element | None:
        root = self.pdf.Root.get("/StructTreeRoot")
        if root is None:
            self.problem("catalog: no /StructTreeRoot")
            return None
        kids = root.K
        if isinstance(kids, pikepdf.Array):
            if len(kids) != 1:
                self.problem("StructTreeRoot: not one root element")
            kids = kids[0]
        document = self._element(kids, None)
        if document.role != "Document":
            self.problem(f"the root element is {document.role}, not Document")
        claimed: dict[tuple[int, int], Element] = {}
        annotations: dict[tuple, Element] = {}
        order: list[tuple[int, int]] = []
        for element in [document, *document.elements()]:
            self._check_element(element)
            for kid in element.kids:
                if isinstance(kid, Element):
                    continue
                if kid[0] == "mc":
                    key = (kid[1], kid[2])
                    if key in claimed:
                        self.problem(f"page {kid[1] + 1} MCID {kid[2]} claimed twice")
                    claimed[key] = element
                    order.append(key)
                else:
                    annotations[kid[1]] = element
        for number, found in enumerate(mcids):
            for mcid in found:
                if (number, mcid) not in claimed:
                    self.problem(f"page {number + 1}: MCID {mcid} belongs to no element")
        for number, mcid in claimed:
            if mcid not in mcids[number]:
                self.problem(f"page {number + 1}: MCID {mcid} is claimed but not drawn")
        self._reading_order(order, mcids)
        self._parent_tree(root, claimed, annotations)
        return document

    def _element(self, obj, parent: Element | None) -> Element:
        role = str(obj.get("/S", ""))[1:]
        attributes: dict[str, dict] = {}
        entries = obj.get("/A")
        for entry in [entries] if isinstance(entries, pikepdf.Dictionary) else entries or []:
            owner = str(entry.get("/O", ""))[1:]
            attributes[owner] = {
                key[1:]: (
                    [float(v) for v in value]
                    if isinstance(value, pikepdf.Array)
                    else str(value)
                    if isinstance(value, pikepdf.Name)
                    else int(value)
                    if isinstance(value, int)
                    else float(value)
                )
                for key, value in entry.items()
                if key != "/O"
            }
        alt = str(obj.Alt) if "/Alt" in obj else None
        element = Element(role, obj.objgen, parent, alt, attributes)
        page = self.page_of.get(obj.Pg.objgen) if "/Pg" in obj else None
        kids = obj.get("/K")
        if kids is None:
            kids = []
        elif not isinstance(kids, pikepdf.Array):
            kids = [kids]
        for kid in kids:
            if isinstance(kid, int):
                if page is None:
                    self.problem(f"{role}: an MCID kid without /Pg")
                element.kids.append(("mc", page, int(kid)))
            elif kid.get("/Type") == "/MCR":
                element.kids.append(("mc", self.page_of[kid.Pg.objgen], int(kid.MCID)))
            elif kid.get("/Type") == "/OBJR":
                element.kids.append(("annot", kid.Obj.objgen))
            else:
                if kid.get("/P") is None or kid.P.objgen != obj.objgen:
                    self.problem(f"{role}: a kid's /P is not its parent")
                element.kids.append(self._element(kid, element))
        return element

    def _check_element(self, element: Element) -> None:
        role = element.role
        if role not in STANDARD_TYPES:
            self.problem(f"non-standard structure type {role}")
        allowed = PARENTS.get(role)
        if allowed and (element.parent is None or element.parent.role not in allowed):
            parent = element.parent.role if element.parent else None
            self.problem(f"{role} inside {parent}, not {sorted(allowed)}")
        if role == "Figure":
            if not (element.alt or "").strip():
                self.problem("a Figure without /Alt")
            bbox = element.attributes("Layout").get("BBox")
            if bbox is None or len(bbox) != 4:
                self.problem("a Figure without a /BBox")
        if role == "TH":
            scope = str(element.attributes("Table").get("Scope", ""))
            if scope not in {"/Row", "/Column", "/Both"}:
                self.problem(f"a TH without /Scope ({scope!r})")
        if role == "Table":
            if not list(element.elements("TH")):
                self.problem("a Table without TH cells")
            captions = [
                n
                for n, k in enumerate(element.kids)
                if isinstance(k, Element) and k.role == "Caption"
            ]
            if captions and captions != [0] and captions != [len(element.kids) - 1]:
                self.problem("a Table's Caption is not its first or last kid")
        if role == "LI" and not any(
            isinstance(k, Element) and k.role in {"Lbl", "LBody"} for k in element.kids
        ):
            self.problem("an LI without Lbl or LBody")
        if role == "Link" and not any(
            not isinstance(k, Element) and k[0] == "annot" for k in element.kids
        ):
            self.problem("a Link without its annotation (OBJR)")

    def _reading_order(self, order: list[tuple[int, int]], mcids: list[list[int]]) -> None:
        """Reading the tree in order must visit the content in the order it is drawn."""
        position = {
            (page, mcid): (page, index)
            for page, found in enumerate(mcids)
            for index, mcid in enumerate(found)
        }
        drawn = [position[key] for key in order if key in position]
        for before, after in zip(drawn, drawn[1:], strict=False):
            if after <= before:
                self.problem(
                    f"reading order: page {after[0] + 1} content #{after[1]} is read after "
                    f"page {before[0] + 1} content #{before[1]}, which is drawn later"
                )
                break

    def _parent_tree(self, root, claimed: dict, annotations: dict) -> None:
        nums: dict[int, object] = {}

        def collect(node) -> None:
            if "/Nums" in node:
                values = list(node.Nums)
                for key, value in zip(values[::2], values[1::2], strict=True):
                    nums[int(key)] = value
            for kid in node.get("/Kids", []):
                collect(kid)

        if "/ParentTree" not in root:
            self.problem("StructTreeRoot: no /ParentTree")
            return
        collect(root.ParentTree)
        next_key = int(root.get("/ParentTreeNextKey", 0))
        if nums and next_key <= max(nums):
            self.problem("StructTreeRoot: /ParentTreeNextKey is not above every key")
        for number, page in enumerate(self.pdf.pages):
            has_content = any(p == number for p, _ in claimed)
            if "/StructParents" not in page.obj:
                if has_content:
                    self.problem(f"page {number + 1}: tagged content but no /StructParents")
                continue
            parents = nums.get(int(page.obj.StructParents))
            if parents is None:
                self.problem(f"page {number + 1}: /StructParents not in the ParentTree")
                continue
            for (p, mcid), element in claimed.items():
                if p != number:
                    continue
                if mcid >= len(parents) or parents[mcid].objgen != element.objgen:
                    self.problem(f"page {number + 1}: ParentTree entry for MCID {mcid} is wrong")
            annots = page.obj.get("/Annots", [])
            if annots and str(page.obj.get("/Tabs", "")) != "/S":
                self.problem(f"page {number + 1}: annotations but no /Tabs /S")
            for annot in annots:
                if annot.get("/Subtype") != "/Link":
                    continue
                if not str(annot.get("/Contents", "")).strip():
                    self.problem(f"page {number + 1}: a link annotation without /Contents")
                element = annotations.get(annot.objgen)
                if element is None or element.role != "Link":
                    self.problem(f"page {number + 1}: a link annotation not in a Link element")
                    continue
                key = annot.get("/StructParent")
                if key is None or nums.get(int(key)) is None:
                    self.problem(f"page {number + 1}: a link annotation without /StructParent")
                elif nums[int(key)].objgen != element.objgen:
                    self.problem(f"page {number + 1}: a link's ParentTree entry is not its Link")

    def _headings(self, headings: list[str]) -> None:
        levels = [int(h[1]) for h in headings]
        if levels and levels[0] != 1:
            self.problem(f"the first heading is H{levels[0]}, not H1")
        for before, after in zip(levels, levels[1:], strict=False):
            if after > before + 1:
                self.problem(f"heading level jumps from H{before} to H{after}")
                break


def _to_unicode_maps(page) -> dict[str, dict[int, str]]:
    """For each font of the page (by resource name), its ToUnicode map of one-byte codes."""
    maps: dict[str, dict[int, str]] = {}
    for name, font in page.obj.get("/Resources", {}).get("/Font", {}).items():
        mapping: dict[int, str] = {}
        if "/ToUnicode" in font:
            cmap = font.ToUnicode.read_bytes().decode("latin-1")
            for section in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                for code, value in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
                    mapping[int(code, 16)] = bytes.fromhex(value).decode("utf-16-be")
            for section in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
                for low, high, value in re.findall(
                    r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section
                ):
                    for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                        mapping[code] = chr(int(value, 16) + offset)
        maps[str(name)] = mapping
    return maps


def _shown(op: str, operands, font: dict[int, str]) -> str:
    """The text a text-showing operator shows (decoded with the font's ToUnicode)."""
    if op in {"Tj", "'", '"'}:
        return _decode(operands[-1], font)
    if op == "TJ":
        parts = []
        for item in operands[0]:
            if isinstance(item, pikepdf.String):
                parts.append(_decode(item, font))
            elif float(item) < -200:  # a gap as wide as a space
                parts.append(" ")
        return "".join(parts)
    return ""


def _decode(string, font: dict[int, str]) -> str:
    data = bytes(string)
    if not font:
        return data.decode("latin-1")
    return "".join(font.get(code, chr(code)) for code in data)
