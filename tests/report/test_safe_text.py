"""Source text that would attack a reader: formulas in CSV cells, bidirectional overrides, NUL.

A team, a service area and a learning action are given hostile text in the warehouse; the
report and its open data are built, and the PDF, the HTML and every CSV are read back.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import insert, update

from csc_complaints.db import make_engine
from csc_complaints.report.build import build_report
from csc_complaints.report.safe_text import clean_text, csv_cell, csv_text
from csc_complaints.warehouse import schema

from .conftest import load_reference_warehouse, write_reconciliation

FY = "2019/20"
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
# Names a spreadsheet would run as formulas, one per dangerous first character.
FORMULA_TEAMS = {
    '=HYPERLINK("http://x.test","Fostering")': "=",
    "+1+cmd|' /C calc'!A0": "+",
    "-2+3": "-",
    "@SUM(1+1)": "@",
    "\tTabbed Team": "\t",
    "\rReturned Team": "\r",
}
TROJAN_TEAM = "Safe\u202eguarding\u2066 Team\u2069"  # right-to-left override, isolates
TROJAN_AREA = "Early\u202a Help\u202c"
NUL_ACTION = "It was agreed\x00 the letters would say \u2067why\u2069 payments end."


def test_clean_text_removes_nul_and_every_bidi_control():
    hostile = "a\x00b" + "".join(BIDI) + "c"
    assert clean_text(hostile) == "abc"
    assert clean_text("Children's Access Point – 0-25") == "Children's Access Point – 0-25"


@pytest.mark.parametrize("value", [*FORMULA_TEAMS, "=1", "+", "-", "@", "\t", "\r"])
def test_a_formula_cell_gets_a_leading_quote(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Fostering", "Life Stages 0 - 25", "a=b", " =x", "", "'=x"])
def test_other_text_is_left_alone(value):
    assert csv_cell(value) == value


def test_numbers_are_not_quoted():
    assert csv_cell(-1) == -1 and csv_cell(0) == 0
    assert csv_text(("a", "b"), [("-x", -1)]) == "a,b\r\n'-x,-1\r\n"
    assert csv_text(("a",), [("\rx",)]) == 'a\r\n"\'\rx"\r\n', "a CR stays inside its cell"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The reference warehouse, plus teams with hostile names holding Stage 1 complaints, and a
    learning action carrying NUL and bidi controls."""
    from csc_complaints.settings import load_settings

    settings = load_settings({})
    code = settings.council_code
    root = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    load_reference_warehouse(url, code)
    engine = make_engine(url)
    names = [*FORMULA_TEAMS, TROJAN_TEAM]
    with engine.begin() as conn:
        conn.execute(
            insert(schema.dim_team),
            [
                dict(council_code=code, team_id=500 + i, team_name=name, service_area=TROJAN_AREA)
                for i, name in enumerate(names)
            ],
        )
        conn.execute(
            insert(schema.stats_received_by_team),
            [
                dict(
                    council_code=code,
                    financial_year=FY,
                    stage=2,
                    service_area=TROJAN_AREA,
                    team=name,
                    received=1,
                )
                for name in names
            ],
        )
        conn.execute(
            update(schema.fact_learning_actions)
            .where(schema.fact_learning_actions.c.action_id == 1)
            .values(action_text=NUL_ACTION)
        )
    output = root / "output"
    write_reconciliation(output, code)
    result = build_report(engine, settings, FY, output, final=False)
    return result


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_no_csv_cell_starts_like_a_formula(hostile):
    files = [p for p in hostile.csv if p.suffix == ".csv"]
    cells = [cell for path in files for cell in _cells(path)]
    for name, first in FORMULA_TEAMS.items():
        assert "'" + name in cells and name.startswith(first), name
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert not [c for c in cells if c.startswith("-")], "no negative number either"


def test_no_bidi_control_or_nul_reaches_pdf_html_or_csv(hostile):
    html = hostile.html.read_text(encoding="utf-8")
    pdf = " ".join(page.extract_text() for page in pypdf.PdfReader(hostile.pdf).pages)
    csv_files = "".join(p.read_text(encoding="utf-8") for p in hostile.csv)
    for where, content in (("html", html), ("pdf", pdf), ("csv", csv_files)):
        for char in [*BIDI, "\x00"]:
            assert char not in content, (where, hex(ord(char)))
    assert "Safeguarding Team" in csv_files and "Early Help" in csv_files
    assert "It was agreed the letters would say why payments end." in html


def test_a_complaint_reference_in_the_annex_is_cleaned_too(tmp_path):
    """The annex lists held-back rows by complaint reference, read from reconciliation.json."""
    from csc_complaints.settings import load_settings

    from .conftest import passing_rules

    settings = load_settings({})
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    load_reference_warehouse(url, settings.council_code)
    held = {
        "reference": "CSC-2019-\u202e2400\u202c\x00",
        "source_table": "complaint_stages",
        "source_key": "17",
        "message": "complaint_stages 17: response_date is before requested_date",
    }
    rules = [
        {**r, "passed": False, "observed": 1, "rejected_rows": [held]} if r["code"] == "DQ04" else r
        for r in passing_rules()
    ]
    write_reconciliation(tmp_path / "out", settings.council_code, rules=rules, rejected={"DQ04": 1})
    engine = make_engine(url)
    try:
        report = build_report(engine, settings, FY, tmp_path / "out", final=False)
    finally:
        engine.dispose()
    html = report.html.read_text(encoding="utf-8")
    assert "CSC-2019-2400" in html
    assert not [c for c in [*BIDI, "\x00"] if c in html]
