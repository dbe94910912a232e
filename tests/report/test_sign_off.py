"""The signed-off report says who signed it off and when (issue 13.5).

A final report's cover, PDF metadata (information dictionary and XMP) and HTML head say
"Approved by <name>, <role> on <date>", the name and time from Airflow's approval response and
the role from the settings; a draft says "DRAFT - not signed off". A draft keeps the fixed
creation date; a final report's is its approval's, so two builds of one approval are the same
bytes and another approval gives another file.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pikepdf
import pypdf
import pytest

from csc_complaints.db import make_engine
from csc_complaints.report.build import build_report
from csc_complaints.report.sign_off import SignOff, SignOffMissing

from .conftest import APPROVAL, load_reference_warehouse, sign_off, write_reconciliation

FY = "2019/20"
APPROVED = "Approved by Jane Smith, Complaints and Information Governance Manager on 20 April 2020"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from csc_complaints.settings import load_settings

    settings = load_settings({})
    root = tmp_path_factory.mktemp("sign-off")
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    load_reference_warehouse(url, settings.council_code)
    engine = make_engine(url)
    yield {"engine": engine, "settings": settings}
    engine.dispose()


def _build(warehouse, output, approval=None):
    write_reconciliation(output, warehouse["settings"].council_code)
    return build_report(
        warehouse["engine"],
        warehouse["settings"],
        FY,
        output,
        final=approval is not None,
        sign_off=approval,
    )


def _cover(path) -> str:
    return " ".join(pypdf.PdfReader(path).pages[0].extract_text().split())


def _xmp(path) -> str:
    with pikepdf.open(path) as pdf:
        return bytes(pdf.Root.Metadata.read_bytes()).decode("utf-8")


def test_the_final_report_says_who_approved_it_and_when(warehouse, tmp_path):
    result = _build(warehouse, tmp_path, sign_off(warehouse["settings"]))
    assert APPROVED in _cover(result.pdf)
    assert "DRAFT" not in _cover(result.pdf)
    info = pypdf.PdfReader(result.pdf).metadata
    assert info.subject.endswith(f". {APPROVED}")
    # The approval's time, to the second, in UTC: creation, modification and XMP dates.
    assert info["/CreationDate"] == info["/ModDate"] == "D:20200420093015+00'00'"
    xmp = _xmp(result.pdf)
    assert APPROVED in xmp
    assert "<xmp:CreateDate>2020-04-20T09:30:15+00:00</xmp:CreateDate>" in xmp
    html = result.html.read_text(encoding="utf-8")
    header = html[: html.index("</header>")]
    assert f'<p class="status">{APPROVED}</p>' in header
    assert '<meta name="dcterms.dateAccepted" content="2020-04-20">' in html
    assert f"{APPROVED}" in html[html.index('<meta name="description"') :].split(">")[0]


def test_the_draft_says_it_is_not_signed_off_and_keeps_the_fixed_date(warehouse, tmp_path):
    result = _build(warehouse, tmp_path)
    assert "DRAFT - not signed off" in _cover(result.pdf)
    assert "Approved by" not in _cover(result.pdf)
    info = pypdf.PdfReader(result.pdf).metadata
    assert info["/CreationDate"] == "D:20000101000000+00'00'"
    html = result.html.read_text(encoding="utf-8")
    assert '<p class="status">DRAFT - not signed off</p>' in html
    assert "Approved by" not in html and "dcterms.dateAccepted" not in html


def test_one_approval_one_file_another_approval_another(warehouse, tmp_path):
    settings = warehouse["settings"]
    first = _build(warehouse, tmp_path / "a", sign_off(settings)).pdf.read_bytes()
    again = _build(warehouse, tmp_path / "b", sign_off(settings)).pdf.read_bytes()
    assert first == again
    later = SignOff.from_response(
        {**APPROVAL, "responded_at": datetime(2020, 4, 21, 8, 0, tzinfo=UTC)},
        settings.sign_off_role,
        settings.timezone,
    )
    other = _build(warehouse, tmp_path / "c", later)
    assert other.pdf.read_bytes() != first
    assert "on 21 April 2020" in _cover(other.pdf)


def test_a_final_report_needs_its_approval(warehouse, tmp_path):
    write_reconciliation(tmp_path, warehouse["settings"].council_code)
    with pytest.raises(SignOffMissing, match="needs who approved it and when"):
        build_report(warehouse["engine"], warehouse["settings"], FY, tmp_path, final=True)


def test_the_sign_off_from_airflows_response():
    """As XCom may hand it over: the time as text; the date is the council's (BST here)."""
    response = {
        "chosen_options": ["Approve"],
        "responded_at": "2020-04-19T23:30:00+00:00",
        "responded_by_user": {"id": "jsmith", "name": "Jane Smith"},
    }
    signed = SignOff.from_response(response, "Complaints Manager", "Europe/London")
    assert signed.name == "Jane Smith" and signed.role == "Complaints Manager"
    assert signed.approved_on.isoformat() == "2020-04-20"  # 00:30 in London
    nameless = {**response, "responded_by_user": {"id": "jsmith", "name": ""}}
    assert SignOff.from_response(nameless, "Complaints Manager", "Europe/London").name == "jsmith"
    with pytest.raises(SignOffMissing):
        SignOff.from_response({}, "Complaints Manager", "Europe/London")
    with pytest.raises(SignOffMissing, match="no person"):
        SignOff.from_response({**response, "responded_by_user": {}}, "x", "Europe/London")
