"""The 2019/20 annual report built from the reference figures: what a reader finds in it.

The warehouse is loaded with the figures of ``figures-2019-20.yaml`` (tests/report/conftest.py);
the tests read the PDF back with pypdf and the HTML with the standard library's parser.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest

from csc_complaints.dates import FinancialYear
from csc_complaints.db import make_engine
from csc_complaints.report.build import (
    ReportBlocked,
    YearNotReady,
    build_report,
    check_year_ready,
)
from csc_complaints.report.figures import load_year
from csc_complaints.report.open_data_tables import OPEN_DATA_TABLES
from csc_complaints.warehouse import schema

from .conftest import (
    FIGURES,
    LEARNING,
    LITERAL_TEXT,
    load_reference_warehouse,
    passing_rules,
    record_reconciliation,
    sign_off,
    write_reconciliation,
)

FY = "2019/20"
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def said(n: int) -> str:
    """The house style, written out independently of the code under test."""
    return WORDS[n] if n < 10 else str(n)


def pdf_pages(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(path).pages]


def pdf_text(path: Path) -> str:
    return " ".join(pdf_pages(path))


@pytest.fixture(scope="module")
def settings_():
    from csc_complaints.settings import load_settings

    return load_settings({})


@pytest.fixture(scope="module")
def reference(tmp_path_factory, settings_):
    """One warehouse and one clean DRAFT build shared by the read-only tests."""
    root = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    load_reference_warehouse(url, settings_.council_code)
    output = root / "output"
    write_reconciliation(output, settings_.council_code)
    engine = make_engine(url)
    result = build_report(engine, settings_, FY, output, final=False)
    return {
        "url": url,
        "engine": engine,
        "output": output,
        "result": result,
        "text": pdf_text(result.pdf),
        "html": result.html.read_text(encoding="utf-8"),
    }


def test_outputs_are_where_the_spec_says(reference):
    folder = reference["output"] / "2019-20"
    result = reference["result"]
    assert result.pdf == folder / "annual-report-2019-20.pdf"
    assert result.html == folder / "annual-report-2019-20.html"
    assert {p.name for p in (folder / "csv").iterdir()} == {
        *(t.file_name for t in OPEN_DATA_TABLES),
        "README.md",
        "metadata.json",
    }
    assert not list(folder.rglob(".*.tmp")), "a temporary file was left behind"


# --- every figure of the YAML, in its house-style sentence ---------------------------------------

HEADLINE_SENTENCES = [
    "The Council received 57 complaints during 2019/20, a decrease from 67 complaints during "
    "2018/19.",
    "The Council received seven compliments during 2019/20, a significant decrease from 19 "
    "compliments during 2018/19.",
    "The Council did not receive any comments during 2019/20, as was the case in 2018/19.",
    "The Council received four non-qualifying complaints during 2019/20, a decrease from five "
    "non-qualifying complaints during 2018/19.",
    "Ten complaints were escalated to Stage 2 during 2019/20, a decrease from 16 in 2018/19.",
    "Three complaints were escalated to Stage 3 during 2019/20, a decrease from four in 2018/19.",
    "One complaint was referred to the LGSCO during 2019/20, the same number as in 2018/19.",
    "One complaint was determined by the LGSCO during 2019/20, the same number as in 2018/19.",
    "The Council did not receive any maladministration decisions during 2019/20, a decrease "
    "from one maladministration decision during 2018/19.",
]


@pytest.mark.parametrize("sentence", HEADLINE_SENTENCES)
def test_headline_sentences(reference, sentence):
    assert sentence in reference["text"]


def _team_sentence(team: str, value: int, prior: int, significant: bool) -> str:
    noun = "complaint" if value == 1 else "complaints"
    if value == prior:
        change = "the same number as in 2018/19"
    else:
        size = "significant " if significant else ""
        direction = "increase" if value > prior else "decrease"
        article = "a" if size or direction == "decrease" else "an"
        change = f"{article} {size}{direction} from {said(prior)} in 2018/19"
    return f"{team} received {said(value)} {noun}, {change}."


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_a_sentence_for_every_team_with_complaints(reference, stage):
    # Significant per the settings: at least 60% of last year AND at least five complaints.
    for team, fig in FIGURES[f"stage{stage}_received_by_team"].items():
        value, prior = fig["value"], fig["prior"]
        change = abs(value - prior)
        significant = change >= 5 and (prior == 0 or change * 100 >= 60 * prior)
        assert _team_sentence(team, value, prior, significant) in reference["text"]
    assert (
        f"N.B. Those teams that are not listed did not receive any Stage {stage} complaints "
        "during 2019/20." in reference["text"]
    )


def test_significant_decrease_for_life_stages(reference):
    assert (
        "Life Stages 0 - 25 received two complaints, a significant decrease from seven in "
        "2018/19." in reference["text"]
    )


SEED_THE = {
    "Outcome of a decision/assessment": "the outcome of a decision/assessment",
    "Provision of information": "the provision of information",
}


def test_issues_in_rank_order_with_last_year(reference):
    text = reference["text"]
    ranks = ["", "second", "third", "fourth", "fifth"]
    issues = list(FIGURES["issues"].items())
    positions = []
    for index, (label, fig) in enumerate(issues):
        # The seed keeps "the" before two issues (the setting issue_phrases).
        phrase = SEED_THE.get(label, label[0].lower() + label[1:])
        if index == 0:
            lead = f"{label} was the most commonly complained about issue."
        elif index == len(issues) - 1:
            lead = f"The least complained about issue was {phrase}."
        else:
            lead = f"The {ranks[index]} most complained about issue was {phrase}."
        direction = "an increase" if fig["value"] > fig["prior"] else "a decrease"
        noun = "complaint" if fig["value"] == 1 else "complaints"
        figure = (
            f"The Council received {said(fig['value'])} {noun} about this issue, {direction} "
            f"from {said(fig['prior'])} in 2018/19."
        )
        assert f"{lead} {figure}" in text
        positions.append(text.index(lead))
    assert positions == sorted(positions)


def test_outcome_tables_with_service_area_subtotals_and_council_total(reference):
    text = reference["text"]
    for stage in (1, 2, 3):
        for team, counts in FIGURES[f"stage{stage}_outcomes"].items():
            row = f"{team} {' '.join(map(str, counts))} {sum(counts)}"
            assert row in text, row
        totals = FIGURES[f"stage{stage}_outcomes_total"]
        assert f"Total for Children's Services {' '.join(map(str, totals))} {sum(totals)}" in text
    # Service-area subtotals (Stage 1, seed table).
    assert "Total for Early Intervention & First Contact 0 0 3 4 2 1 10" in text
    assert "Total for Safeguarding 0 1 20 7 2 0 30" in text
    assert "Total for Safeguarding & LATC 0 1 5 2 0 3 11" in text
    # The seed's blank cell is a 0 here.
    assert "Keeping Families Together 0 0 0 1 0 0 1" in text


def test_timescales_against_targets_with_last_years_figures(reference):
    text = reference["text"]
    expected = [
        "The target for responding to a complaint at Stage 1 is 10 working days, with a "
        "possible extension of up to 20 working days if the complaint is complex.",
        "Of the 51 Stage 1 complaint responses sent during 2019/20, 17 (33.3%) were sent within "
        "10 working days, a decrease in performance from 47.5% in 2018/19.",
        "A further 22 (43.1%) were sent within 20 working days.",
        "In total, 39 (76.5%) were sent within the maximum 20 working day timescale, an increase "
        "in performance from 62.7% in 2018/19.",
        "The target for responding to a complaint at Stage 2 is 25 working days, extendable up "
        "to a maximum of 65 working days.",
        "Of the 10 Stage 2 complaint responses sent during 2019/20, zero (0.0%) were sent within "
        "25 working days, the same as in 2018/19 (0.0%).",
        "In total, one (10.0%) was sent within the maximum timescale allowed (65 working days), "
        "a decrease in performance from 33.3% in 2018/19.",
        "Nine (90.0%) were sent after 65 working days, compared with 66.7% in 2018/19.",
        "At Stage 3 the Review Panel should be held within 30 working days of the request. Of "
        "the three Review Panels held during 2019/20, three (100.0%) were held within 30 "
        "working days.",
        "The Review Panel should write to the Director within 5 working days of the panel. Of "
        "the three Review Panels that reported during 2019/20, three (100.0%) were reported to "
        "the Director within 5 working days.",
        "Of the three Director's responses to complainants sent during 2019/20, two (66.7%) were "
        "sent within 15 working days, a decrease in performance from 100.0% in 2018/19.",
    ]
    for sentence in expected:
        assert sentence in text, sentence
    # Every timeliness figure of the YAML, in the summary table beside last year's.
    for measure, fig in FIGURES["timeliness"].items():
        assert f"{fig['responses']} {fig['within']} {fig['percent']:.1f}%" in text, measure


def test_the_seeds_slips_do_not_appear(reference):
    for slip in ("74.7%", "66.66%", "33.4%", "43.1% of Stage 1", "10 complaints were"):
        assert slip not in reference["text"], slip
        assert slip not in reference["html"], slip


def test_no_sentence_starts_with_a_digit(reference):
    for sentence in re.split(r"(?<=[.!?])\s+", reference["text"]):
        if sentence[:1].isdigit():
            # Only table cells, chart labels and page furniture may start with a digit.
            assert not re.match(r"^\d+ [a-z]+ (was|were|received)", sentence), sentence


def test_exactly_the_stage_2_recommendation(reference):
    text = reference["text"]
    section = text[text.index("Further recommendations The Council") :]
    section = section[: section.index("Annex: How these figures were checked")]
    assert section.count("The Council should continue to work to improve performance") == 1
    assert (
        "The Council should continue to work to improve performance against the Stage 2 "
        "timescale for Children's Social Care complaints." in section
    )


def test_organisational_learning_texts_grouped_by_team_and_printed_literally(reference):
    text = reference["text"]
    section = text[text.index("Organisational Learning All resolution") :]
    section = section[: section.index("Performance against the")]
    for team, texts in LEARNING.items():
        heading = section.index(f" {team} {texts[0].split()[0]} ")  # the team's heading
        for item in texts:
            assert section.index(" ".join(item.split())) > heading, (team, item)
    assert "LAST YEAR'S ACTION" not in text
    html = reference["html"]
    assert (
        "Letters now say &#34;&lt;b&gt;when&lt;/b&gt; payments end&#34; &amp; why; "
        "&lt;script&gt;alert(1)&lt;/script&gt; isn&#39;t run." in html
    )
    assert "<script>" not in html and "<b>when" not in html
    assert LITERAL_TEXT in text


def test_sections_in_the_seeds_order(reference):
    text = reference["text"]
    body = text[text.index("Introduction Darlington Children's Social Care welcomes") :]
    headings = [
        "Introduction",
        "The Law",
        "Complaints and Information Governance Team",
        "Public Information",
        "Children's Services Social Care Complaints Process",
        "Stage 1 – Local Resolution",
        "Stage 2 – Investigation",
        "Stage 3 – Review Panel",
        "The Local Government and Social Care Ombudsman",
        "External Support to the Complaints Process",
        "Total Complaints, Compliments and Comments received",
        "Breakdown of Stage 1 Complaints by Service Area/Team",
        "Breakdown of Stage 2 Complaints by Service Area/Team",
        "Breakdown of Stage 3 Complaints by Service Area/Team",
        "Breakdown of complaints by Issue",
        "Breakdown of Comments by Service Area/Team",
        "Breakdown of Compliments by Service Area/Team",
        "Complaint Outcomes",
        "Local Government and Social Care Ombudsman (LGSCO) Complaints",
        "Organisational Learning",
        "Performance against the Children's Social Care Complaints, Compliments and Comments "
        "Procedure",
        "Timescales",
        "Performance against key performance indicators",
        "Further recommendations",
        "Annex: How these figures were checked",
    ]
    positions = [body.index(h) for h in headings]
    assert positions == sorted(positions)


# --- the PDF as a document -----------------------------------------------------------------------


def test_pdf_contents_bookmarks_metadata_and_page_numbers(reference):
    reader = pypdf.PdfReader(reference["result"].pdf)
    pages = pdf_pages(reference["result"].pdf)
    assert "2019/20" in pages[0] and "Darlington Borough Council" in pages[0]
    # Contents runs over two pages (pages 2 and 3) since the sections beyond the seed's.
    assert "Contents" in pages[1] and "Annex: How these figures were checked" in pages[2]
    # Contents entries carry the page their heading (and its bookmark) is on.
    contents = {}
    for page in reader.pages[1:3]:
        for line in page.extract_text(extraction_mode="layout").splitlines():
            match = re.match(r"^\s*(\S.*?)\s+(?:\.\s+)+(\d+)\s*$", line)
            if match:
                contents[match.group(1)] = int(match.group(2))
    assert "At a glance" in pages[contents["At a glance"] - 1] and contents["At a glance"] == 4
    assert "Complaint Outcomes Stage 1" in pages[contents["Complaint Outcomes"] - 1]

    def flatten(items):
        for item in items:
            yield from flatten(item) if isinstance(item, list) else [item]

    bookmarks = {
        item.title: reader.get_destination_page_number(item) + 1 for item in flatten(reader.outline)
    }
    # The seed's 28 and the seven sections beyond it.
    assert len(bookmarks) == 35 and any(isinstance(i, list) for i in reader.outline)
    for title, page in bookmarks.items():
        if title in contents:  # long titles wrap onto two lines in Contents
            assert contents[title] == page, title
    for number, page in enumerate(pages[1:], start=2):
        assert f"Page {number}" in page
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles[:2] == ["At a glance", "Introduction"] and "Complaint Outcomes" in titles
    assert "Annex: How these figures were checked" in titles
    meta = reader.metadata
    assert meta.title == (
        "Children's Social Care Complaints, Compliments and Comments Annual Report 2019/20"
    )
    assert meta.author == "Darlington Borough Council"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4


def _sized_words(page) -> list[tuple[str, float]]:
    """(text, size in points as drawn) of each run of text on ``page``."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            scale = (tm[0] * tm[3] - tm[1] * tm[2]) ** 0.5 * (cm[0] * cm[3] - cm[1] * cm[2]) ** 0.5
            runs.append((text.strip(), size * scale))

    page.extract_text(visitor_text=visit)
    return runs


def test_at_a_glance_is_a_page_of_its_own_set_large(reference):
    """Issue 14: "a first page after the Contents", "large, plain, accessible": the section
    alone on page 4 (the Introduction starts page 5), this year's figures set far larger than
    the body text, last year's beside them with the direction of change."""
    reader = pypdf.PdfReader(reference["result"].pdf)
    pages = pdf_pages(reference["result"].pdf)
    glance, after = pages[3], pages[4]
    # (each page's text is its marks, its footer, then its body)
    assert glance.split(" Page 4 ", 1)[1].startswith("At a glance")
    assert "Introduction" not in glance
    assert after.split(" Page 5 ", 1)[1].startswith("Introduction")
    sizes = dict(_sized_words(reader.pages[3]))
    body = Counter(round(size, 1) for _, size in _sized_words(reader.pages[4])).most_common(1)
    body = body[0][0]  # the body text's size, the commonest on the Introduction's page
    # The reference figures: 57 complaints (67 last year), 7 compliments (19), 33.3% of Stage 1
    # responses in 10 working days (47.5%), 76.5% in 20 (62.7%).
    for now, before in (("57", "67"), ("7", "19"), ("33.3%", "47.5%"), ("76.5%", "62.7%")):
        assert sizes[now] >= 20 and sizes[now] > sizes[before] > body, (now, before)
    assert sizes["Complaints received"] > 10.5
    assert "57 67 down" in glance and "76.5% 62.7% up" in glance


def test_draft_on_every_page(reference):
    for number, page in enumerate(pdf_pages(reference["result"].pdf), start=1):
        assert "DRAFT" in page, f"page {number} has no DRAFT mark"


def test_charts_where_the_seed_had_blank_space(reference):
    """A chart under each heading the seed left blank, with its numbers also in the text."""
    html = reference["html"]
    alts = re.findall(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)"', html)
    titles = [alt.split(",")[0] for alt in alts]
    assert titles == [
        "Bar chart: Complaints",
        "Bar chart: Stage 1 complaints received by team",
        "Bar chart: Stage 2 complaints received by team",
        "Bar chart: Stage 3 complaints received by team",
        "Bar chart: Complaints by issue",
        "Bar chart: Compliments received by team",
        # The five-year trends (the reference dataset holds two years).
        "Line chart: Complaints received at each stage",
        "Line chart: Compliments received",
        "Line chart: Responses within the timescales (%)",
        "Line chart: Stage 1 complaints escalated to Stage 2 (%)",
    ]
    assert "Safeguarding Team D: 12 in 2019/20, 14 in 2018/19" in html
    # The PDF draws them: the chart titles and their axis labels are on the pages.
    text = reference["text"]
    assert "Stage 1 complaints received by team" in text
    assert "Complaints by issue" in text


def test_annex_lists_every_rule_and_its_result(reference):
    """Each check for the public: its code, one plain sentence, the two figures compared (each
    named; "not recorded" where this older-style file has none), the result."""
    from csc_complaints.quality.suites import rule_by_code

    text = reference["text"]
    annex = text[text.rindex("Annex: How these figures were checked") :]
    for rule in passing_rules():
        plain = rule_by_code(rule["code"]).plain_english
        assert f"{plain} {rule['code']}" in annex
        assert rule["rule"] not in annex, "the technical wording stays in reconciliation.json"
    assert "not recorded and not recorded Passed" in annex  # this file's RC rules lack figures
    assert "0 found, 0 allowed Passed" in annex
    assert "No rows were held back by the row checks for 2019/20." in annex
    html = reference["html"]
    table = html[html.rindex("Reconciliation checks for 2019/20") :]
    table = table[: table.index("</table>")]
    assert not re.search(r"<td[^>]*>\s*</td>", table), "no blank cell"


# --- the HTML --------------------------------------------------------------------------------


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.tables = 0
        self.tables_with_header = 0
        self.images: list[dict] = []
        self.html_lang = None
        self._in_thead = False
        self._thead_th = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "table":
            self.tables += 1
        if tag == "thead":
            self._in_thead, self._thead_th = True, 0
        if tag == "th" and self._in_thead and attrs.get("scope") == "col":
            self._thead_th += 1
        if tag == "img":
            self.images.append(attrs)

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_thead = False
            if self._thead_th:
                self.tables_with_header += 1


def test_html_is_accessible(reference):
    outline = _Outline()
    outline.feed(reference["html"])
    assert outline.html_lang == "en-GB"
    assert outline.headings[0] == 1 and outline.headings.count(1) == 1
    for before, after in zip(outline.headings, outline.headings[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    assert outline.tables >= 5 and outline.tables_with_header == outline.tables
    assert outline.images and all(img.get("alt", "").strip() for img in outline.images)
    # (each cell names its headers by id: issue 13.6)
    assert re.search(
        r'<th scope="row" id="[^"]+" headers="[^"]+">Total for Children&#39;s Services</th>',
        reference["html"],
    )
    assert "DRAFT" in reference["html"]
    # The headline figures stand out: a table of their own style, set large.
    assert reference["html"].count('<table class="headline">') == 1
    assert "table.headline td.num:nth-child(2) { font-size: 2rem" in reference["html"]


# --- CSV open data ---------------------------------------------------------------------------


SEED_TABLES = {table.name for table in schema.STATS_TABLES[:6]}


def test_csv_holds_each_stats_table_for_the_year(reference):
    folder = reference["output"] / "2019-20" / "csv"
    for table in OPEN_DATA_TABLES:
        with (folder / table.file_name).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][:3] == ["council_code", "financial_year", "status"]
        assert all(r[1] == FY for r in rows[1:]), "only the report's year"
        # This fixture's stats come from the published figures, which hold none of the newer
        # tables (tests/report/test_insights.py builds those through the pipeline).
        assert len(rows) > 1 or table.stats_table not in SEED_TABLES
    with (folder / "headline-figures.csv").open(newline="", encoding="utf-8") as handle:
        headlines = {r["measure"]: int(r["value"]) for r in csv.DictReader(handle)}
    assert headlines["complaints_received"] == 57 and headlines["stage2_received"] == 10


# --- rebuilds, sign-off, readiness -----------------------------------------------------------


def test_rebuild_is_byte_identical(reference, settings_, tmp_path):
    first = reference["result"]
    before = {p: p.read_bytes() for p in first.paths}
    again = build_report(reference["engine"], settings_, FY, reference["output"], final=False)
    assert {p: p.read_bytes() for p in again.paths} == before
    # And into another folder.
    other = tmp_path / "elsewhere"
    write_reconciliation(other, settings_.council_code)
    moved = build_report(reference["engine"], settings_, FY, other, final=False)
    assert moved.pdf.read_bytes() == before[first.pdf]
    assert moved.pdf_sha256 == first.pdf_sha256


def test_final_report_replaces_the_draft_without_the_mark(reference, settings_, tmp_path):
    output = tmp_path / "out"
    write_reconciliation(output, settings_.council_code)
    draft = build_report(reference["engine"], settings_, FY, output, final=False)
    draft_bytes = draft.pdf.read_bytes()
    final = build_report(
        reference["engine"], settings_, FY, output, final=True, sign_off=sign_off()
    )
    assert final.pdf == draft.pdf and final.pdf.read_bytes() != draft_bytes
    assert all("DRAFT" not in page for page in pdf_pages(final.pdf))
    assert "DRAFT" not in final.html.read_text(encoding="utf-8")
    assert "The Council received 57 complaints during 2019/20" in pdf_text(final.pdf)


@pytest.mark.parametrize(
    ("rules", "rejected", "reason"),
    [
        (
            [
                {**r, "passed": False, "expected": 57, "observed": 56} if r["code"] == "RC02" else r
                for r in passing_rules()
            ],
            {},
            "RC02 failed (critical): expected 57, observed 56",
        ),
        (
            [
                {**r, "passed": False, "observed": 2} if r["code"] == "DQ04" else r
                for r in passing_rules()
            ],
            {"DQ04": 2},
            "2 rejected rows under DQ04",
        ),
    ],
)
def test_a_year_with_failures_cannot_be_signed_off(
    reference, settings_, tmp_path, rules, rejected, reason
):
    output = tmp_path / "out"
    write_reconciliation(output, settings_.council_code, rules=rules, rejected=rejected)
    draft = build_report(reference["engine"], settings_, FY, output, final=False)
    assert reason in draft.sign_off_blockers
    with pytest.raises(ReportBlocked, match=re.escape(reason)):
        build_report(reference["engine"], settings_, FY, output, final=True, sign_off=sign_off())
    assert all("DRAFT" in page for page in pdf_pages(draft.pdf)), "the draft stays in place"
    annex = pdf_text(draft.pdf)
    assert "Failed" in annex[annex.rindex("Annex") :]


def test_a_warning_does_not_block_sign_off(reference, settings_, tmp_path):
    output = tmp_path / "out"
    rules = [
        {**r, "passed": False, "expected": 57, "observed": 58} if r["code"] == "RC07" else r
        for r in passing_rules()
    ]
    write_reconciliation(output, settings_.council_code, rules=rules)
    final = build_report(
        reference["engine"], settings_, FY, output, final=True, sign_off=sign_off()
    )
    assert final.sign_off_blockers == ()


def test_an_unreconciled_year_is_a_draft_that_cannot_be_signed_off(reference, settings_, tmp_path):
    output = tmp_path / "out"
    draft = build_report(reference["engine"], settings_, FY, output, final=False)
    assert "were not available when this version was produced" in pdf_text(draft.pdf)
    with pytest.raises(ReportBlocked, match="not been reconciled"):
        build_report(reference["engine"], settings_, FY, output, final=True, sign_off=sign_off())


def test_year_ready(settings_, tmp_path, new_sqlite_database):
    url = new_sqlite_database()
    load_reference_warehouse(url, settings_.council_code)
    engine = make_engine(url)
    record_reconciliation(engine, settings_.council_code)
    now = datetime(2020, 4, 15, 5, 0, tzinfo=UTC)
    readiness = check_year_ready(engine, settings_, FY, tmp_path, now)
    assert readiness.ready, readiness.problems
    readiness.raise_if_not_ready()
    # The output folder held no reconciliation.json: it was written from the warehouse.
    assert readiness.reconciliation.available
    assert readiness.reconciliation.path == tmp_path / "2019-20" / "reconciliation.json"
    assert readiness.sign_off_blockers == ()


def test_year_not_ready(reference, settings_, tmp_path):
    engine = reference["engine"]
    # Not reconciled.
    problems = check_year_ready(engine, settings_, FY, tmp_path, datetime(2020, 5, 1, tzinfo=UTC))
    assert any("has not been reconciled" in p for p in problems.problems)
    with pytest.raises(YearNotReady, match="has not been reconciled"):
        problems.raise_if_not_ready()
    # A year with no stats, that has not ended.
    later = check_year_ready(
        engine, settings_, "2020/21", tmp_path, datetime(2021, 1, 1, tzinfo=UTC)
    )
    assert any("has not ended yet" in p for p in later.problems)
    assert any("holds no stats for 2020/21" in p for p in later.problems)
    with pytest.raises(YearNotReady, match="holds no stats"):
        build_report(engine, settings_, "2020/21", tmp_path)


def test_reconciliation_older_than_the_stats_is_stale(settings_, tmp_path, new_sqlite_database):
    url = new_sqlite_database()
    load_reference_warehouse(url, settings_.council_code)
    engine = make_engine(url)
    record_reconciliation(engine, settings_.council_code)
    now = datetime(2020, 4, 15, 5, 0, tzinfo=UTC)
    year = (schema.etl_year_builds.c.council_code == settings_.council_code) & (
        schema.etl_year_builds.c.financial_year == FY
    )
    # Rebuilt later with the same figures (the same fingerprint): still reconciled.
    with engine.begin() as conn:
        conn.execute(
            schema.etl_year_builds.update().where(year).values(built_at=datetime(2020, 4, 12))
        )
    assert check_year_ready(engine, settings_, FY, tmp_path, now).ready
    # Rebuilt with other figures: the reconciliation no longer describes them.
    with engine.begin() as conn:
        conn.execute(
            schema.etl_year_builds.update()
            .where(year)
            .values(fingerprint="1" * 64, run_id="rebuild-1")
        )
    readiness = check_year_ready(engine, settings_, FY, tmp_path, now)
    assert any(
        "older than the last change to the 2019/20 stats" in p
        and "run rebuild-1" in p
        and "run complaints_warehouse" in p
        for p in readiness.problems
    ), readiness.problems
    # A final report of those figures is refused, even though every rule passed.
    with pytest.raises(ReportBlocked, match="changed after the year.s last reconciliation"):
        build_report(engine, settings_, FY, tmp_path, final=True, sign_off=sign_off())


def test_no_prior_year_means_no_comparison(settings_, tmp_path, new_sqlite_database):
    url = new_sqlite_database()
    load_reference_warehouse(url, settings_.council_code, with_prior=False)
    write_reconciliation(tmp_path, settings_.council_code)
    result = build_report(make_engine(url), settings_, FY, tmp_path)
    text = pdf_text(result.pdf)
    assert "2018/19" not in text
    assert "The Council received 57 complaints during 2019/20." in text
    assert "Ten complaints were escalated to Stage 2 during 2019/20." in text
    assert "Safeguarding Team D received 12 complaints." in text


def test_report_queries_run_on_sqlite_and_postgresql(new_database, settings_):
    """The report's SQL files are the same on both databases."""
    url = new_database()
    load_reference_warehouse(url, settings_.council_code)
    engine = make_engine(url)
    year = load_year(engine, settings_.council_code, FinancialYear.parse(FY))
    assert year.present and year.headline("complaints_received") == 57
    assert year.timeliness_of("stage1_within_10wd") == (51, 17)
    assert sum(c.count for c in year.received_by_team(1)) == 57
    assert [a.text for a in year.learning].count(LITERAL_TEXT) == 1
    assert len(year.learning) == sum(len(t) for t in LEARNING.values())
    # The prior year is read for its figures only: its learning actions are never printed.
    figures_only = load_year(engine, settings_.council_code, FinancialYear.parse(FY), False)
    assert figures_only.learning == [] and figures_only.headlines == year.headlines
    other_council = load_year(engine, "E99999999", FinancialYear.parse(FY))
    assert not other_council.present
    engine.dispose()
