"""The quality step's own warehouse tables and the ``stats_figures`` view, on SQLite and
PostgreSQL: created with the warehouse, idempotent, safe when two tasks create them at once,
and the view flattens every stats table into (stats_table, figure, value)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DatabaseError

from csc_complaints.db import make_engine, sql
from csc_complaints.quality.tables import create_quality_schema, quality_metadata
from csc_complaints.warehouse import schema as wh

COUNCIL, YEAR = "E06000005", "2019/20"


@pytest.fixture
def warehouse(new_database):
    engine = make_engine(new_database())
    yield engine
    engine.dispose()


def test_creates_the_quality_tables_the_warehouse_and_the_view(warehouse):
    create_quality_schema(warehouse)
    create_quality_schema(warehouse)  # a second task, a second run: nothing changes, no error
    inspector = inspect(warehouse)
    tables = set(inspector.get_table_names())
    assert {
        "dq_published_years",
        "dq_published_figures",
        "dq_alerts",
        "dq_reconciliations",
        "dq_reconciliation_results",
    } <= tables
    assert {"stg_complaints", "dq_rejects", *(t.name for t in wh.STATS_TABLES)} <= tables
    assert inspector.get_view_names() == ["stats_figures"]
    keys = {
        t.name: inspector.get_pk_constraint(t.name)["constrained_columns"]
        for t in quality_metadata.sorted_tables
    }
    assert keys == {
        "dq_alerts": ["council_code", "check_name", "unit"],
        "dq_published_figures": ["council_code", "financial_year", "stats_table", "figure"],
        "dq_published_years": ["council_code", "financial_year"],
        "dq_reconciliations": ["council_code", "financial_year"],
        "dq_reconciliation_results": ["council_code", "financial_year", "rule_code"],
        # the incremental row checks' bookkeeping (quality/check_scope.py)
        "dq_check_state": ["council_code"],
        "dq_check_scope": [],  # filled anew by each check: rows, no key
        "dq_checked_references": ["council_code", "source_table", "source_key"],
    }


def test_stats_figures_flattens_every_stats_table(warehouse):
    create_quality_schema(warehouse)
    scope = {"council_code": COUNCIL, "financial_year": YEAR}
    team = {"service_area": "Safeguarding", "team": "Safeguarding Team A"}
    with warehouse.begin() as conn:
        conn.execute(wh.stats_headlines.insert(), [{**scope, "measure": "complaints", "value": 57}])
        conn.execute(
            wh.stats_received_by_team.insert(), [{**scope, **team, "stage": 1, "received": 12}]
        )
        conn.execute(
            wh.stats_outcomes_by_team.insert(),
            [{**scope, **team, "stage": 2, "outcome": "upheld", "decisions": 3}],
        )
        conn.execute(
            wh.stats_issues.insert(),
            [{**scope, "issue": "communication", "label": "Communication", "complaints": 9}],
        )
        conn.execute(
            wh.stats_feedback_by_team.insert(),
            [{**scope, **team, "kind": "compliment", "received": 40}],
        )
        conn.execute(
            wh.stats_timeliness.insert(),
            [{**scope, "measure": "stage1_within_10wd", "responses": 51, "within_target": 17}],
        )
        # Another council's and another year's figures stay apart.
        conn.execute(
            wh.stats_headlines.insert(),
            [
                {"council_code": "E09000001", "financial_year": YEAR, "measure": "x", "value": 1},
                {"council_code": COUNCIL, "financial_year": "2018/19", "measure": "x", "value": 2},
            ],
        )
    with warehouse.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT stats_table, figure, value FROM stats_figures"
                " WHERE council_code = :council AND financial_year = :year"
                " ORDER BY stats_table, figure"
            ),
            {"council": COUNCIL, "year": YEAR},
        ).all()
    assert [tuple(row) for row in rows] == [
        ("stats_feedback_by_team", "kind=compliment;team=Safeguarding Team A", 40),
        ("stats_headlines", "complaints", 57),
        ("stats_issues", "issue=communication", 9),
        ("stats_outcomes_by_team", "stage=2;team=Safeguarding Team A;outcome=upheld", 3),
        ("stats_received_by_team", "stage=1;team=Safeguarding Team A", 12),
        ("stats_timeliness", "stage1_within_10wd;responses", 51),
        ("stats_timeliness", "stage1_within_10wd;within_target", 17),
    ]


def test_something_else_called_stats_figures_is_an_error_not_a_race(warehouse):
    """A table in the view's place is not another task creating the view: it is reported."""
    with warehouse.begin() as conn:
        conn.execute(text("CREATE TABLE stats_figures (figure VARCHAR(10))"))
    with pytest.raises(DatabaseError, match="stats_figures"):
        create_quality_schema(warehouse)
    assert "stats_figures" not in inspect(warehouse).get_view_names()


def test_a_view_created_by_another_task_meanwhile_is_accepted(new_postgres_database):
    """Two tasks start on a new warehouse: both find no view and create it. The second waits on
    the first's uncommitted view, then fails on the name; it finds the view there and goes on."""
    engine = make_engine(new_postgres_database())
    create_quality_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP VIEW stats_figures"))

    other_task = engine.connect()
    other_task.begin()
    other_task.execute(sql("quality", "stats_figures_view"))  # created, not yet committed
    outcome: dict = {}

    def this_task():
        try:
            create_quality_schema(engine)
            outcome["done"] = True
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=this_task)
    thread.start()
    try:
        _wait_until_blocked(engine, "CREATE VIEW stats_figures")
    finally:
        other_task.commit()
        other_task.close()
    thread.join(60)
    assert not thread.is_alive()
    assert outcome == {"done": True}
    assert inspect(engine).get_view_names() == ["stats_figures"]
    with engine.connect() as conn:
        assert (
            conn.execute(select(text("count(*)")).select_from(text("stats_figures"))).scalar() == 0
        )
    engine.dispose()


def _wait_until_blocked(engine, statement: str, seconds: float = 30) -> None:
    """Wait until another session of this database waits on a lock while running
    ``statement``."""
    deadline = time.monotonic() + seconds
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    " AND query LIKE :statement"
                ),
                {"statement": f"%{statement}%"},
            ).scalar_one()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.05)
    pytest.fail(f"no session blocked on {statement!r} within {seconds} s")
