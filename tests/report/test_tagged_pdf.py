"""The annual report's PDF is a tagged, accessible PDF (PDF/UA-1 in spirit): the 2019/20 and
2018/19 reports, draft and final, read back with an independent reader (``tagged_pdf``, on
pikepdf) and checked with an open-source PDF/UA-1 validator (``page``, from PyPI).

What is checked (see docs/report.md, "Accessibility"): every piece of text and graphics is
tagged content or an artefact; the structure tree reads in the order the pages are drawn and in
the order of the HTML version (the same document model); headings, lists, tables (header cells
with a scope), figures (the chart's text alternative and a bounding box), the Contents (links
to their headings' pages); the catalog (marked, language, title shown), XMP metadata; embedded
fonts, one family; byte-identical rebuilds.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pikepdf
import pytest

from csc_complaints.db import make_engine
from csc_complaints.report.build import build_report

from . import tagged_pdf
from .conftest import load_reference_warehouse, sign_off, write_reconciliation

YEARS = ("2019/20", "2018/19")
VERSIONS = [(year, final) for year in YEARS for final in (False, True)]
IDS = [f"{year.replace('/', '-')}-{'final' if final else 'draft'}" for year, final in VERSIONS]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The four reports, built once from the reference figures, each read back."""
    from csc_complaints.settings import load_settings

    settings = load_settings({})
    root = tmp_path_factory.mktemp("tagged")
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    load_reference_warehouse(url, settings.council_code)
    engine = make_engine(url)
    built = {}
    for year, final in VERSIONS:
        output = root / ("final" if final else "draft")
        write_reconciliation(output, settings.council_code, fy=year)
        approved = sign_off(settings) if final else None
        result = build_report(engine, settings, year, output, final=final, sign_off=approved)
        built[year, final] = {
            "result": result,
            "pdf": tagged_pdf.read(result.pdf),
            "html": result.html.read_text(encoding="utf-8"),
        }
    yield {"built": built, "engine": engine, "settings": settings, "root": root}
    engine.dispose()


@pytest.fixture(params=VERSIONS, ids=IDS)
def report(request, reports):
    year, final = request.param
    return {"year": year, "final": final, **reports["built"][year, final]}


def test_everything_drawn_is_tagged_or_an_artefact_and_the_tree_is_sound(report):
    """No text or graphics outside marked content; every MCID in one element and in the
    ParentTree; figures described; table headers scoped; headings in order; links tagged."""
    pdf = report["pdf"]
    assert pdf.problems == []
    assert pdf.root is not None and pdf.root.role == "Document"
    assert all(pdf.mcids[page] for page in range(pdf.pages)), "a page with no tagged content"


def test_catalog_metadata_and_fonts(report):
    pdf = report["pdf"]
    assert pdf.catalog == {
        "marked": True,
        "lang": "en-GB",
        "display_doc_title": True,
        "title": "Children's Social Care Complaints, Compliments and Comments Annual Report "
        + report["year"],
        "xmp_title": pdf.catalog["title"],
        "pdfuaid_part": "1",
    }
    # One family, embedded: subsets of Bitstream Vera Sans (whichever of its faces are used).
    faces = {re.sub(r"^[A-Z]{6}\+", "", font) for font in pdf.fonts}
    assert {"BitstreamVeraSans-Roman", "BitstreamVeraSans-Bold"} <= faces
    assert all(face.startswith("BitstreamVeraSans-") for face in faces), faces
    with pikepdf.open(report["result"].pdf) as raw:
        assert raw.pdf_version == "1.7"
        for page in raw.pages:
            for font in page.Resources.Font.values():
                assert "/FontFile2" in font.FontDescriptor
                assert b"<0000>" not in font.ToUnicode.read_bytes()


class _Html(HTMLParser):
    """The HTML report's reading sequence: what the PDF's structure must say, in order."""

    KINDS = {"p": "P", "li": "LI", "caption": "Caption"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.headings: list[tuple[str, str]] = []  # (H1..H6, text), the whole page
        self.body: list[tuple[str, str]] = []  # in <main>: headings, P, LI, Figure, Caption
        self.contents: list[str] = []  # the Contents' entries
        self.tables: list[list[str]] = []  # each table's column headers
        self._tag: str | None = None
        self._text: list[str] = []
        self._in_main = self._in_nav = self._in_thead = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "ol" and self._in_nav and self._tag == "li":
            self.handle_endtag("li")  # a Contents entry's own text ends where its sub-list starts
        if tag in {"main", "nav", "thead"}:
            setattr(self, f"_in_{tag}", True)
        elif tag == "table":
            self.tables.append([])
        elif tag == "img" and self._in_main:
            self.body.append(("Figure", dict(attrs)["alt"]))
        if re.fullmatch(r"h[1-6]|p|li|caption|th", tag):
            self._tag, self._text = tag, []

    def handle_data(self, data):
        if self._tag:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag in {"main", "nav", "thead"}:
            setattr(self, f"_in_{tag}", False)
        if tag != self._tag:
            return
        self._tag = None
        text = " ".join(unescape("".join(self._text)).replace("\xa0", " ").split())
        if tag == "th":
            if self._in_thead:
                self.tables[-1].append(text)
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append((tag.upper(), text))
            if self._in_main:
                self.body.append((tag.upper(), text))
        elif tag == "li" and self._in_nav:
            self.contents.append(text)
        elif self._in_main:
            self.body.append((self.KINDS[tag], text))


def _pdf_body(pdf) -> list[tuple[str, str]]:
    """The PDF's reading sequence after the Contents, as the HTML's: headings, paragraphs (a
    chart's title, the HTML's figcaption, left out), list items, figures, table captions."""
    sequence = []
    contents_seen = False
    for element in pdf.elements():
        if element.role == "TOC":
            contents_seen = True
            continue
        if not contents_seen:
            continue
        role = element.role
        if role in {"H2", "H3", "H4", "H5", "H6", "Caption"}:
            sequence.append((role, element.text(pdf)))
        elif role == "P" and element.parent.role == "Document":
            siblings = [k for k in element.parent.kids if isinstance(k, tagged_pdf.Element)]
            after = siblings[siblings.index(element) + 1 :]
            if not (after and after[0].role == "Figure"):
                sequence.append(("P", element.text(pdf)))
        elif role == "LI":
            body = [k for k in element.kids if isinstance(k, tagged_pdf.Element)]
            assert [k.role for k in body] == ["Lbl", "LBody"]
            assert body[0].text(pdf) == "\u2022"
            sequence.append(("LI", body[1].text(pdf)))
        elif role == "Figure":
            sequence.append(("Figure", element.alt))
    return sequence


def test_reading_order_is_the_documents_order_across_pages(report):
    """Headings, paragraphs, list items, figures and tables in the structure tree in the order
    of the HTML version (the same model), across every page break."""
    html = _Html(report["html"])
    assert _pdf_body(report["pdf"]) == html.body
    headings = [(e.role, e.text(report["pdf"])) for e in report["pdf"].elements()]
    headings = [h for h in headings if re.fullmatch(r"H[1-6]", h[0])]
    assert headings == html.headings  # the title (H1), "Contents" (H2), then the sections


def test_figures_carry_the_charts_text_alternatives_and_their_box(report):
    pdf = report["pdf"]
    html = _Html(report["html"])
    figures = pdf.elements("Figure")
    assert [f.alt for f in figures] == [alt for kind, alt in html.body if kind == "Figure"]
    # The seed's six bar charts, and the five-year trends' four line charts when the warehouse
    # holds an earlier year (2018/19 is its first: the trends say so in a sentence instead).
    lines = 4 if report["year"] == "2019/20" else 0
    assert len(figures) == 6 + lines
    assert sum(f.alt.startswith("Line chart: ") for f in figures) == lines
    for figure in figures:
        left, bottom, right, top = (float(v) for v in figure.attributes("Layout")["BBox"])
        assert 0 <= left < right <= 595.3 and 0 <= bottom < top <= 841.9
        assert {page for page, _ in figure.content()} == {figure.content()[0][0]}


def test_tables_have_scoped_header_cells_and_one_row_per_model_row(report):
    pdf = report["pdf"]
    html = _Html(report["html"])
    tables = pdf.elements("Table")
    assert len(tables) == len(html.tables) >= 2
    for table, columns in zip(tables, html.tables, strict=True):
        kids = [k.role for k in table.kids]
        assert kids[:2] == ["Caption", "THead"] and set(kids[2:]) == {"TBody"}
        (head,) = [k for k in table.kids if k.role == "THead"]
        header = list(head.elements("TH"))
        assert [th.text(pdf) for th in header] == columns
        assert all(th.attributes("Table")["Scope"] == "/Column" for th in header)
        for row in table.elements("TR"):
            cells = [k for k in row.kids if isinstance(k, tagged_pdf.Element)]
            first = cells[0]
            if row.parent.role == "TBody":
                assert first.role == "TH"
                assert first.attributes("Table")["Scope"] == "/Row"
                if len(cells) == 1:  # a service area's row spans the table
                    assert int(first.attributes("Table")["ColSpan"]) == len(columns)
                else:
                    assert len(cells) == len(columns)
                    assert {c.role for c in cells[1:]} == {"TD"}


def test_contents_is_a_list_of_links_to_the_headings_pages(report):
    pdf = report["pdf"]
    html = _Html(report["html"])
    (toc,) = pdf.elements("TOC")
    entries = list(toc.elements("TOCI"))
    assert len(entries) == len(html.contents)
    heading_page = {}
    for element in pdf.elements():
        if re.fullmatch(r"H[2-6]", element.role):
            heading_page.setdefault(element.text(pdf), element.content()[0][0] + 1)
    with pikepdf.open(report["result"].pdf) as raw:
        page_number = {page.obj.objgen: n + 1 for n, page in enumerate(raw.pages)}
        for entry, text in zip(entries, html.contents, strict=True):
            (link,) = entry.elements("Link")
            shown = link.text(pdf)
            match = re.fullmatch(r"(.*?)[ .]+(\d+)", shown)
            assert match and " ".join(match[1].split()) == text
            assert int(match[2]) == heading_page[text]
            annotations = [
                k[1] for k in link.kids if not isinstance(k, tagged_pdf.Element) and k[0] == "annot"
            ]
            assert annotations
            for objgen in annotations:
                annotation = raw.get_object(objgen)
                assert str(annotation.Contents) == text
                assert page_number[annotation.Dest[0].objgen] == heading_page[text]


def test_page_furniture_and_the_draft_mark_are_artefacts(report):
    pdf = report["pdf"]
    for page, shown in enumerate(pdf.artifact_text, start=1):
        text = " ".join(shown)
        assert ("DRAFT" in text) is not report["final"]
        if page > 1:
            assert f"Page {page}" in text and "complaints annual report" in text
    content = " ".join(pdf.texts.values())
    assert not re.search(r"Page \d+", content), "a page number tagged as content"
    # The cover tells a screen reader it is a draft, as content.
    assert ("DRAFT - not signed off" in content) is not report["final"]


def test_pdf_ua_validator_finds_no_failure(report):
    """page (the Rust PDF/A and PDF/UA validator from PyPI) with its PDF/UA-1 profile."""
    import page

    result = page.validate_pdf(str(report["result"].pdf), profile="ua1")
    failures = [f"{f.rule_id}: {f.message}" for f in result.failures]
    assert failures == []
    assert result.is_compliant and result.rules.total > 100


def test_a_final_rebuild_is_byte_identical(reports, tmp_path):
    year = "2019/20"
    first = reports["built"][year, True]["result"]
    write_reconciliation(tmp_path, reports["settings"].council_code, fy=year)
    again = build_report(
        reports["engine"],
        reports["settings"],
        year,
        tmp_path,
        final=True,
        sign_off=sign_off(reports["settings"]),
    )
    assert again.pdf.read_bytes() == first.pdf.read_bytes()
