"""Every paragraph of the seed, in the seed's order and voice (issue 13.2), in the PDF and HTML
built from the reference figures; and where the report says it is published (issue 13.1).

The PDF is read back with pypdf (its text and its link annotations), the HTML as text.
"""

from __future__ import annotations

import re

import pypdf
import pytest

from csc_complaints.db import make_engine
from csc_complaints.report.build import build_report

from .conftest import load_reference_warehouse, write_reconciliation

FY = "2019/20"
KPI_NOTE = (
    "Full details of those complaints determined by the Local Government and Social Care "
    "Ombudsman are included in the Cabinet reports of 3 December 2019 and 15 September 2020 "
    "entitled Review of Outcome of Complaints Made to Ombudsman."
)
SEED_AREAS = [
    "Early Intervention & First Contact",
    "Safeguarding & LATC",
    "Safeguarding",
    "Placements & Adoption Service",
]


def _text(path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(path).pages)


def _links(path) -> list[str]:
    uris = []
    for page in pypdf.PdfReader(path).pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from csc_complaints.settings import load_settings

    settings = load_settings({})
    root = tmp_path_factory.mktemp("seed")
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    load_reference_warehouse(url, settings.council_code)
    write_reconciliation(root, settings.council_code)
    engine = make_engine(url)
    result = build_report(engine, settings, FY, root)
    engine.dispose()
    return {
        "settings": settings,
        "result": result,
        "text": _text(result.pdf),
        "html": result.html.read_text(encoding="utf-8"),
    }


def _section(text: str, start: str, end: str) -> str:
    body = text[text.index(start) :]
    return body[: body.index(end)]


def test_the_kpi_paragraph_follows_the_kpi_with_its_link(built):
    """The seed's Cabinet-report paragraph, from the setting kpi_notes, linked in both."""
    text = built["text"]
    kpi = _section(
        text, "Performance against key performance indicators In relation", "Further recom"
    )
    assert kpi.index("maladministration decisions during 2019/20") < kpi.index(KPI_NOTE)
    address = re.search(r"\]\((\S+)\)", built["settings"].kpi_notes["2019/20"][0]).group(1)
    assert address in _links(built["result"].pdf)
    assert (
        f'entitled <a href="{address}">Review of Outcome of Complaints Made to Ombudsman</a>.'
        in built["html"]
    )


def test_service_areas_and_teams_in_the_councils_order(built):
    """Early Intervention & First Contact, Safeguarding & LATC, Safeguarding, then Placements
    & Adoption, as the seed (the setting service_area_order), not alphabetically."""
    text = built["text"]
    stage1 = _section(
        text,
        "Early Intervention & First Contact Children's Access Point received",
        "Breakdown of Stage 2",
    )
    positions = [stage1.index(f"{area} ") for area in SEED_AREAS[:3]]
    assert positions == sorted(positions)
    outcomes = _section(text, "Complaint Outcomes Stage 1", "Local Government and Social Care")
    for stage in ("Stage 1", "Stage 2", "Stage 3"):
        table = outcomes[outcomes.index(f"{stage} decisions reached") :]
        table = table[: table.index("Total for Children's Services")]
        shown = [area for area in SEED_AREAS if f"Total for {area} " in table]
        assert [table.index(f"Total for {area} ") for area in shown] == sorted(
            table.index(f"Total for {area} ") for area in shown
        ), stage
    assert outcomes.index("Total for Safeguarding & LATC 0 0 5") < outcomes.index(
        "Total for Placements & Adoption Service 0 0 1"
    )


def test_organisational_learning_in_the_seeds_order(built):
    """Teams in the order their first action was recorded: Life Stages, Safeguarding Team A,
    Safeguarding Team D, Fostering, Keeping Families Together (alphabetical order ran the
    other way)."""
    section = _section(built["text"], "Organisational Learning All resolution", "Performance")
    teams = [
        "Life Stages 0 - 25 It was agreed",
        "Safeguarding Team A Social workers",
        "Safeguarding Team D Social workers",
        "Fostering It was agreed",
        "Keeping Families Together It was agreed",
    ]
    positions = [section.index(team) for team in teams]
    assert positions == sorted(positions)


ISSUE_PARAGRAPHS = [
    "Staff attitude/behaviour was the most commonly complained about issue. The Council "
    "received 23 complaints about this issue, an increase from 18 in 2018/19.",
    "The second most complained about issue was communication. The Council received 12 "
    "complaints about this issue, a decrease from 15 in 2018/19.",
    "The third most complained about issue was service/provision. The Council received 10 "
    "complaints about this issue, a decrease from 21 in 2018/19.",
    "The fourth most complained about issue was the outcome of a decision/assessment. The "
    "Council received seven complaints about this issue, a decrease from nine in 2018/19.",
    "The fifth most complained about issue was breach of confidentiality. The Council received "
    "four complaints about this issue, an increase from zero in 2018/19.",
    "The least complained about issue was the provision of information. The Council received "
    "one complaint about this issue, a decrease from four in 2018/19.",
]


def test_issues_one_paragraph_each_keeping_the_seeds_the(built):
    html = built["html"]
    paragraphs = [html.index(f"<p>{p}</p>") for p in ISSUE_PARAGRAPHS]
    assert paragraphs == sorted(paragraphs)
    for paragraph in ISSUE_PARAGRAPHS:
        assert paragraph in built["text"]


def test_stage_1_percentages_do_not_contradict_their_total(built):
    """33.3% + 43.1% is not 76.5%: a note says each is rounded on its own (docs/report.md)."""
    note = (
        "Each percentage is rounded to one decimal place on its own, so 33.3% and 43.1% add up "
        "to 76.4% rather than the 76.5% in total."
    )
    stage1 = _section(built["text"], "Stage 1 The target for responding", "Stage 2 The target")
    assert stage1.index("In total, 39 (76.5%)") < stage1.index(note)
    assert f'<p class="note">{note}</p>' in built["html"]


def test_the_cover_and_the_html_say_where_the_report_and_open_data_are_published(built):
    url = built["settings"].publication_url
    sentence = (
        "The accessible HTML version of this report and its open data are published at "
        f'<a href="{url}">{url}</a>.'
    )
    header = built["html"][: built["html"].index("</header>")]
    assert sentence in header
    cover = " ".join(pypdf.PdfReader(built["result"].pdf).pages[0].extract_text().split())
    assert "its open data are published at https://" in cover
    assert url in _links(built["result"].pdf)
