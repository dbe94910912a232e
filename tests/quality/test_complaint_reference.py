"""A rejected row is named by its complaint's reference (CSC-2019-0042), as the complaints team
looks it up, as well as by table and key: in dq_rejects, the alert, reconciliation.json and the
report's annex. A stage row, learning action or ombudsman case carries its complaint's
reference from the extract; a team or feedback row has none."""

from __future__ import annotations

import json

from sqlalchemy import select

from csc_complaints.dates import FinancialYear
from csc_complaints.quality.alerts import compose_alert, failing_units
from csc_complaints.report.document import Table
from csc_complaints.report.figures import YearFigures
from csc_complaints.report.reconciliation import read_reconciliation
from csc_complaints.report.sections.annex import annex
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.warehouse.schema import dq_rejects
from tests.quality.dataset import execute

BREAKS = [
    "UPDATE complaint_stages SET team_id = 77 WHERE stage_id = 102",  # DQ07, complaint 2
    "UPDATE complaints SET channel = 'carrier pigeon' WHERE complaint_id = 5",  # DQ06
    "UPDATE learning_actions SET status = 'pending' WHERE action_id = 402",  # DQ06, complaint 3
    "UPDATE feedback SET kind = 'complaint' WHERE feedback_id = 201",  # DQ06, no complaint
]
NAMED = {
    ("complaint_stages", "102"): "CSC-2019-0002",
    ("complaints", "5"): "CSC-2019-0005",
    ("learning_actions", "402"): "CSC-2019-0003",
    ("feedback", "201"): None,
}


def test_rejected_rows_are_named_by_their_complaints_reference_everywhere(pipeline):
    p = pipeline()
    execute(p.source, *BREAKS)
    p.extract("run-1")
    checks = p.row_checks("run-1")

    with p.warehouse.connect() as conn:
        rows = conn.execute(
            select(dq_rejects.c.source_table, dq_rejects.c.source_key, dq_rejects.c.reference)
        ).all()
    assert {(t, k): ref for t, k, ref in rows} == NAMED

    # The alert: each row under its rule, its reference first.
    check, units = failing_units(checks)
    _, text, payload = compose_alert(checks, "complaints_extract", "run-1", units, [])
    assert "[CSC-2019-0002] complaint_stages 102: team 77 does not exist" in text
    assert "[CSC-2019-0003] learning_actions 402: " in text
    assert "\n    feedback 201: kind is not compliment or comment" in text
    details = [d for f in payload["failures"] for d in f["details"]]
    assert "[CSC-2019-0005] complaints 5: channel is not one of the channel codes" in details

    # reconciliation.json: each rule's rejected rows, with reference, table, key and message.
    build = p.build("run-1")
    p.reconcile("run-1", build.changed_years)
    written = json.loads((p.output / "2019-20" / "reconciliation.json").read_text())
    listed = {
        (row["source_table"], row["source_key"]): row["reference"]
        for rule in written["rules"]
        for row in rule.get("rejected_rows", [])
    }
    assert listed == NAMED
    dq07 = next(rule for rule in written["rules"] if rule["code"] == "DQ07")
    assert dq07["rejected_rows"] == [
        {
            "reference": "CSC-2019-0002",
            "source_table": "complaint_stages",
            "source_key": "102",
            "message": "complaint_stages 102: team 77 does not exist",
        }
    ]

    # The annex of the draft report lists each row by its reference.
    reconciliation = read_reconciliation(p.output, FinancialYear(2019), p.settings.council_code)
    year = FinancialYear(2019)
    context = ReportContext(YearFigures(year, True), None, p.settings, reconciliation)
    tables = [block for block in annex(context) if isinstance(block, Table)]
    held_back = tables[-1]
    assert held_back.header[0] == "Complaint reference"
    assert [row.cells[:3] for row in held_back.rows] == [
        ("CSC-2019-0002", "complaint_stages 102", "DQ07"),
        ("CSC-2019-0003", "learning_actions 402", "DQ06"),
        ("CSC-2019-0005", "complaints 5", "DQ06"),
        ("(no complaint)", "feedback 201", "DQ06"),
    ]


def test_a_long_list_of_held_back_rows_is_cut_and_the_rest_counted(tmp_path):
    from csc_complaints.report.document import Paragraph
    from csc_complaints.report.reconciliation import HeldBackRow, Reconciliation
    from csc_complaints.report.sections.annex import MAX_ROWS_LISTED
    from csc_complaints.settings import load_settings

    rows = tuple(
        HeldBackRow("DQ05", f"CSC-2019-{n:04d}", "complaint_stages", str(n), "m")
        for n in range(MAX_ROWS_LISTED + 3)
    )
    reconciliation = Reconciliation(
        path=tmp_path / "reconciliation.json",
        available=True,
        rejected_rows={"DQ05": len(rows)},
        held_back=rows,
    )
    year = FinancialYear(2019)
    context = ReportContext(YearFigures(year, True), None, load_settings({}), reconciliation)
    blocks = annex(context)
    assert len([b for b in blocks if isinstance(b, Table)][-1].rows) == MAX_ROWS_LISTED
    assert blocks[-1] == Paragraph(
        "Three more rows were held back; every one is listed in reconciliation.json and in the "
        "warehouse table dq_rejects."
    )
