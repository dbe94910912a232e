"""A small, clean source for the quality tests, and a way to break it.

The real source schema refuses most broken rows (primary keys, unique reference, foreign keys,
NOT NULL, DATE columns). Real case-management systems are not always so strict, so the tests
build a *lax* copy of the same tables: the same names and columns, no constraints, dates as text.
Each DQ test then breaks exactly one rule by editing rows with plain SQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Date, DateTime, Engine, MetaData, String, Table, text

from csc_complaints_demo.models import SourceBase

CANARY = "Quilliam-Fenwick-4471"  # personal data marker: must never leave the source
T0 = datetime(2019, 10, 1, 9, 0, 0)  # rows' updated_at
EXTRACT_AT = datetime(2020, 9, 1, 8, 0, 0)  # when the test extract runs (DQ02's "now")


def create_lax_source_schema(engine: Engine) -> None:
    """The source tables without keys, uniqueness, foreign keys or NOT NULL; dates as text."""
    lax = MetaData()
    for table in SourceBase.metadata.sorted_tables:
        columns = []
        for column in table.columns:
            kind = String(40) if isinstance(column.type, Date) else column.type
            if isinstance(column.type, DateTime):
                kind = DateTime()
            columns.append(Column(column.name, kind, nullable=True))
        Table(table.name, lax, *columns)
    lax.create_all(engine)


def clean_rows() -> dict[str, list[dict]]:
    """Rows that break no rule. Keys are chosen so each test can name the record it breaks."""
    complainants = [
        {
            "complainant_id": i,
            "full_name": f"{CANARY} Person {i}",
            "email": f"{CANARY.lower()}{i}@example.org",
            "phone": f"07700 900{i:03d} {CANARY}",
            "address": f"{i} {CANARY} Road, ZZ99 9ZZ",
            "relationship": "parent",
            "updated_at": T0,
            "deleted_at": None,
        }
        for i in range(1, 8)
    ]
    complaints = [
        {
            "complaint_id": i,
            "reference": f"CSC-2019-{i:04d}",
            "complainant_id": i,
            "received_date": f"2019-05-0{i}",
            "qualifying": i != 6,  # complaint 6 is non-qualifying: no stages
            "issue": "communication" if i % 2 else "staff_attitude",
            "channel": "email",
            "summary": f"{CANARY} told us about their child's placement",
            "updated_at": T0,
            "deleted_at": datetime(2019, 9, 1) if i == 7 else None,  # 7 deleted: never counts
        }
        for i in range(1, 8)
    ]

    def stage(stage_id, complaint, number, team, requested, response=None, outcome=None, **more):
        row = {
            "stage_id": stage_id,
            "complaint_id": complaint,
            "stage": number,
            "team_id": team,
            "requested_date": requested,
            "extension_agreed": False,
            "response_date": response,
            "outcome": outcome,
            "panel_date": None,
            "panel_report_date": None,
            "updated_at": T0,
            "deleted_at": None,
        }
        row.update(more)
        return row

    stages = [
        stage(101, 1, 1, 1, "2019-05-01", "2019-05-10", "upheld"),
        stage(102, 2, 1, 2, "2019-05-02", "2019-05-20", "not_upheld"),
        stage(103, 3, 1, 1, "2019-05-03", "2019-05-15", "escalated_without_response"),
        stage(104, 3, 2, 1, "2019-05-15", "2019-06-20", "partially_upheld"),
        stage(
            105,
            3,
            3,
            2,
            "2019-06-25",
            "2019-07-25",
            "not_upheld",
            panel_date="2019-07-10",
            panel_report_date="2019-07-15",
        ),
        stage(106, 4, 1, 2, "2019-05-04"),  # still open
        stage(107, 5, 1, 1, "2019-05-05", "2019-05-06", "withdrawn"),
        stage(108, 7, 1, 1, "2019-05-07", "2019-05-08", "upheld"),  # of deleted complaint 7
    ]
    feedback = [
        {
            "feedback_id": 201,
            "kind": "compliment",
            "team_id": 1,
            "received_date": "2019-06-01",
            "summary": f"Thank you from {CANARY}",
            "updated_at": T0,
            "deleted_at": None,
        },
        {
            "feedback_id": 202,
            "kind": "comment",
            "team_id": 2,
            "received_date": "2019-07-01",
            "summary": f"{CANARY} suggests longer hours",
            "updated_at": T0,
            "deleted_at": None,
        },
    ]
    ombudsman = [
        {
            "ombudsman_case_id": 301,
            "complaint_id": 3,
            "referred_date": "2019-08-01",
            "decision_date": "2019-10-01",
            "decision": "upheld",
            "maladministration": True,
            "updated_at": T0,
            "deleted_at": None,
        },
        {
            "ombudsman_case_id": 302,
            "complaint_id": None,
            "referred_date": "2019-09-01",
            "decision_date": None,
            "decision": None,
            "maladministration": None,
            "updated_at": T0,
            "deleted_at": None,
        },
    ]
    learning = [
        {
            "action_id": 401,
            "complaint_id": 1,
            "team_id": 1,
            "agreed_date": "2019-06-01",
            "action_text": "Letters will say when a payment ends.",
            "status": "open",
            "completed_date": None,
            "updated_at": T0,
            "deleted_at": None,
        },
        {
            "action_id": 402,
            "complaint_id": 3,
            "team_id": 2,
            "agreed_date": "2019-08-01",
            "action_text": "Panel papers go out five days ahead.",
            "status": "completed",
            "completed_date": "2019-09-01",
            "updated_at": T0,
            "deleted_at": None,
        },
    ]
    return {
        "teams": [
            {"team_id": 1, "team_name": "Safeguarding Team A", "service_area": "Safeguarding"},
            {"team_id": 2, "team_name": "Fostering", "service_area": "Placements"},
        ],
        "issue_categories": [
            {"code": "communication", "label": "Communication"},
            {"code": "staff_attitude", "label": "Staff attitude/behaviour"},
        ],
        "complainants": complainants,
        "complaints": complaints,
        "complaint_stages": stages,
        "feedback": feedback,
        "ombudsman_cases": ombudsman,
        "learning_actions": learning,
    }


def seed_lax_source(engine: Engine) -> None:
    """Create the lax source and fill it with ``clean_rows()``."""
    create_lax_source_schema(engine)
    lax = MetaData()
    lax.reflect(engine)
    with engine.begin() as conn:
        for name, rows in clean_rows().items():
            conn.execute(lax.tables[name].insert(), rows)


def execute(engine: Engine, *statements: str) -> None:
    """Break (or repair) the source with plain SQL; every change also moves ``updated_at``."""
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
