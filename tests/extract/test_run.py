"""The incremental extract, on SQLite and PostgreSQL, against a real source database."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from csc_complaints.db import make_engine
from csc_complaints.extract import ExtractError, run_extract
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.schema import STAGING, etl_watermarks
from csc_complaints_demo import models as m

CANARY = "Zebediah-Quarmby-7731"  # personal data marker: must never reach the warehouse
T0 = datetime(2020, 4, 20, 9, 0, 0)


def _seed_source(url: str, complaints: int = 20) -> None:
    """A small, clean source: every table has rows, personal data carries the canary."""
    engine = make_engine(url)
    m.create_source_schema(engine)
    with engine.begin() as conn:
        conn.execute(
            m.Team.__table__.insert(),
            [
                {"team_id": 1, "team_name": "Safeguarding Team A", "service_area": "Safeguarding"},
                {"team_id": 2, "team_name": "Fostering", "service_area": "Placements"},
            ],
        )
        conn.execute(
            m.IssueCategory.__table__.insert(),
            [{"code": "communication", "label": "Communication"}],
        )
        conn.execute(
            m.Complainant.__table__.insert(),
            [
                {
                    "complainant_id": i,
                    "full_name": f"{CANARY} Person {i}",
                    "email": f"{CANARY}{i}@example.org",
                    "phone": f"0700 {CANARY}",
                    "address": f"1 {CANARY} Street",
                    "relationship": "parent",
                    "updated_at": T0,
                }
                for i in range(1, complaints + 1)
            ],
        )
        conn.execute(
            m.Complaint.__table__.insert(),
            [
                {
                    "complaint_id": i,
                    "reference": f"CSC-2019-{i:04d}",
                    "complainant_id": i,
                    "received_date": date(2019, 5, 1) + timedelta(days=i),
                    "qualifying": True,
                    "issue": "communication",
                    "channel": "email",
                    "summary": f"{CANARY} said something private",
                    "updated_at": T0 + timedelta(hours=2 * i),
                }
                for i in range(1, complaints + 1)
            ],
        )
        conn.execute(
            m.ComplaintStage.__table__.insert(),
            [
                {
                    "stage_id": i,
                    "complaint_id": i,
                    "stage": 1,
                    "team_id": 1 + i % 2,
                    "requested_date": date(2019, 5, 1) + timedelta(days=i),
                    "response_date": date(2019, 5, 20) + timedelta(days=i),
                    "outcome": "not_upheld",
                    "updated_at": T0 + timedelta(hours=2 * i),
                }
                for i in range(1, complaints + 1)
            ],
        )
        conn.execute(
            m.Feedback.__table__.insert(),
            [
                {
                    "feedback_id": 1,
                    "kind": "compliment",
                    "team_id": 1,
                    "received_date": date(2019, 6, 3),
                    "summary": f"Thanks from {CANARY}",
                    "updated_at": T0,
                }
            ],
        )
        conn.execute(
            m.OmbudsmanCase.__table__.insert(),
            [
                {
                    "ombudsman_case_id": 1,
                    "complaint_id": 1,
                    "referred_date": date(2019, 9, 1),
                    "updated_at": T0,
                }
            ],
        )
        conn.execute(
            m.LearningAction.__table__.insert(),
            [
                {
                    "action_id": 1,
                    "complaint_id": 1,
                    "team_id": 1,
                    "agreed_date": date(2019, 7, 1),
                    "action_text": "Letters will say when a payment ends.",
                    "status": "open",
                    "updated_at": T0,
                }
            ],
        )
    engine.dispose()


@pytest.fixture
def databases(new_database):
    source_url, warehouse_url = new_database(), new_database()
    _seed_source(source_url)
    source, warehouse = make_engine(source_url), make_engine(warehouse_url)
    yield source, warehouse
    source.dispose()
    warehouse.dispose()


def _staging(warehouse, source_table: str) -> dict:
    table, key = STAGING[source_table]
    with warehouse.connect() as conn:
        return {row[key]: dict(row) for row in conn.execute(select(table)).mappings()}


def _marks(warehouse) -> dict:
    with warehouse.connect() as conn:
        rows = conn.execute(select(etl_watermarks.c.source_table, etl_watermarks.c.high_water_mark))
        return {name: mark for name, mark in rows}


def test_first_run_loads_everything(databases):
    source, warehouse = databases
    result = run_extract(source, warehouse, load_settings(), "run-1")
    expected = {
        "teams": 2,
        "issue_categories": 1,
        "complaints": 20,
        "complaint_stages": 20,
        "feedback": 1,
        "ombudsman_cases": 1,
        "learning_actions": 1,
    }
    assert {name: t.rows_written for name, t in result.tables.items()} == expected
    assert {name: t.source_rows for name, t in result.tables.items()} == expected
    complaint = _staging(warehouse, "complaints")[7]
    assert complaint["reference"] == "CSC-2019-0007"
    assert complaint["received_date"] == "2019-05-08"  # ISO text on both databases
    assert complaint["qualifying"] is True
    assert complaint["council_code"] == load_settings().council_code
    assert _marks(warehouse)["complaints"] == T0 + timedelta(hours=40)


def test_second_run_without_source_change_writes_nothing(databases):
    source, warehouse = databases
    run_extract(source, warehouse, load_settings(), "run-1")
    before = {name: _staging(warehouse, name) for name in STAGING}
    marks = _marks(warehouse)
    result = run_extract(source, warehouse, load_settings(), "run-2")
    assert result.rows_written == 0
    # The overlap re-read rows (the newest are inside it) without writing them.
    assert result.tables["complaints"].rows_read > 0
    assert {name: _staging(warehouse, name) for name in STAGING} == before
    assert _marks(warehouse) == marks


def test_only_changed_rows_move(databases):
    source, warehouse = databases
    run_extract(source, warehouse, load_settings(), "run-1")
    later = T0 + timedelta(days=30)
    with source.begin() as conn:
        conn.execute(
            update(m.Complaint.__table__)
            .where(m.Complaint.__table__.c.complaint_id.in_([3, 4]))
            .values(channel="phone", updated_at=later)
        )
        conn.execute(
            update(m.ComplaintStage.__table__)
            .where(m.ComplaintStage.__table__.c.stage_id == 5)
            .values(outcome="upheld", updated_at=later)
        )
    result = run_extract(source, warehouse, load_settings(), "run-2")
    assert {n: t.rows_written for n, t in result.tables.items() if t.rows_written} == {
        "complaints": 2,
        "complaint_stages": 1,
    }
    complaints = _staging(warehouse, "complaints")
    moved = {key for key, row in complaints.items() if row["_run_id"] == "run-2"}
    assert moved == {3, 4}
    assert complaints[3]["channel"] == "phone"
    assert _staging(warehouse, "complaint_stages")[5]["outcome"] == "upheld"
    # Read: the two changed rows and the newest old one (inside the overlap before the mark);
    # rows older than the overlap were not even read.
    assert result.tables["complaints"].rows_read == 3
    assert _marks(warehouse)["complaints"] == later


def test_soft_deleted_row_is_carried_through(databases):
    source, warehouse = databases
    run_extract(source, warehouse, load_settings(), "run-1")
    deleted = T0 + timedelta(days=40)
    with source.begin() as conn:
        conn.execute(
            update(m.Complaint.__table__)
            .where(m.Complaint.__table__.c.complaint_id == 9)
            .values(deleted_at=deleted, updated_at=deleted)
        )
    result = run_extract(source, warehouse, load_settings(), "run-2")
    assert result.tables["complaints"].rows_written == 1
    assert result.tables["complaints"].source_rows == 19
    assert _staging(warehouse, "complaints")[9]["deleted_at"] == deleted


def test_failure_half_way_keeps_the_high_water_mark(databases):
    source, warehouse = databases
    run_extract(source, warehouse, load_settings(), "run-1")
    marks = _marks(warehouse)
    later = T0 + timedelta(days=50)
    with source.begin() as conn:
        # complaints (loaded before learning_actions) changes; then learning_actions loses a
        # column its extract SQL selects, so the run fails after complaints loaded.
        conn.execute(
            update(m.Complaint.__table__)
            .where(m.Complaint.__table__.c.complaint_id == 2)
            .values(channel="letter", updated_at=later)
        )
        conn.execute(
            m.LearningAction.__table__.insert().values(
                action_id=2,
                complaint_id=2,
                team_id=1,
                agreed_date=date(2019, 8, 1),
                action_text="Training on the new process.",
                status="open",
                updated_at=later,
            )
        )
        conn.execute(text("ALTER TABLE learning_actions RENAME COLUMN status TO status_old"))
    with pytest.raises(DBAPIError, match="status"):
        run_extract(source, warehouse, load_settings(), "run-2")
    assert _marks(warehouse) == marks
    assert _staging(warehouse, "complaints")[2]["channel"] == "email"  # rolled back

    # Mend the source: the next run loses nothing.
    with source.begin() as conn:
        conn.execute(text("ALTER TABLE learning_actions RENAME COLUMN status_old TO status"))
    result = run_extract(source, warehouse, load_settings(), "run-3")
    assert result.tables["complaints"].rows_written == 1
    assert result.tables["learning_actions"].rows_written == 1
    assert _staging(warehouse, "complaints")[2]["channel"] == "letter"


def test_duplicated_source_key_is_staged_once_with_its_copies(new_sqlite_database):
    """A council's own extract SQL (a view, a join) can return a key twice: it is staged once,
    counted, and DQ01 rejects it; nothing is silently merged."""
    source_url, warehouse_url = new_sqlite_database(), new_sqlite_database()
    _seed_source(source_url, complaints=3)
    source = make_engine(source_url)
    with source.begin() as conn:  # SQLite lets a rowid table without the PK hold a duplicate
        conn.execute(text("CREATE TABLE teams_copy AS SELECT * FROM teams"))
        conn.execute(text("DROP TABLE teams"))
        conn.execute(text("CREATE TABLE teams (team_id INT, team_name TEXT, service_area TEXT)"))
        conn.execute(text("INSERT INTO teams SELECT * FROM teams_copy"))
        conn.execute(text("INSERT INTO teams VALUES (2, 'Fostering duplicate', 'Placements')"))
    run_extract(source, make_engine(warehouse_url), load_settings(), "run-1")
    teams = _staging(make_engine(warehouse_url), "teams")
    assert teams[2]["_source_copies"] == 2
    assert teams[1]["_source_copies"] == 1


def test_no_personal_data_reaches_the_warehouse(databases):
    source, warehouse = databases
    run_extract(source, warehouse, load_settings(), "run-1")
    personal_columns = {"full_name", "email", "phone", "address", "summary", "complainant_id"}
    inspector = inspect(warehouse)
    with warehouse.connect() as conn:
        for table in inspector.get_table_names():
            columns = {c["name"] for c in inspector.get_columns(table)}
            assert not columns & personal_columns, f"{table} has personal data columns"
            assert "complainants" not in table
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                assert CANARY not in repr(tuple(row)), f"personal data in {table}"


def test_text_typed_into_a_date_field_is_not_staged(new_database, new_postgres_database):
    """A source whose dates are text (a council's own system) can hold anything in them: the
    extract stages an unreadable date as a marker (DQ02 then rejects the row), never the text,
    on both the row-by-row path and PostgreSQL's COPY path."""
    # the lax schema keeps dates as text, as a council's own system may
    from tests.quality.dataset import execute, seed_lax_source

    source_url = new_database()
    source = make_engine(source_url)
    seed_lax_source(source)
    execute(
        source,
        f"UPDATE complaints SET received_date = ' call {CANARY} on 0700 ' WHERE complaint_id = 2",
        "UPDATE complaints SET received_date = ' 2019-05-03 ' WHERE complaint_id = 3",
    )
    for warehouse_url in (new_database(), new_postgres_database()):
        warehouse = make_engine(warehouse_url)
        run_extract(source, warehouse, load_settings(), "run-1")
        complaints = _staging(warehouse, "complaints")
        assert complaints[2]["received_date"] == "unreadable"
        assert complaints[3]["received_date"] == "2019-05-03"  # ISO text kept, stripped
        assert complaints[1]["received_date"] == "2019-05-01"
        with warehouse.connect() as conn:
            for row in conn.execute(text("SELECT * FROM stg_complaints")):
                assert CANARY not in repr(tuple(row))
        warehouse.dispose()


def test_first_load_on_postgres_copies_straight_into_staging(new_postgres_database, caplog):
    """A council's first load is COPY'd straight into staging: every row, its change stamps,
    one copy each, this run's id; the next run (an upsert through the landing table) finds
    nothing changed."""
    source_url, warehouse_url = new_postgres_database(), new_postgres_database()
    _seed_source(source_url, complaints=5)
    source, warehouse = make_engine(source_url), make_engine(warehouse_url)
    caplog.set_level(logging.INFO, logger="csc_complaints.extract")
    first = run_extract(source, warehouse, load_settings(), "run-1")
    assert "landing table" not in caplog.text
    assert first.tables["complaints"].rows_read == first.tables["complaints"].rows_written == 5
    assert first.tables["complaints"].high_water_mark == T0 + timedelta(hours=10)
    complaints = _staging(warehouse, "complaints")
    assert {row["_source_copies"] for row in complaints.values()} == {1}
    assert {row["_run_id"] for row in complaints.values()} == {"run-1"}
    assert complaints[3]["received_date"] == "2019-05-04"
    assert complaints[3]["council_code"] == load_settings().council_code
    second = run_extract(source, warehouse, load_settings(), "run-2")
    assert second.rows_written == 0


def test_duplicated_key_in_a_postgres_first_load_falls_back_to_the_landing_table(
    new_postgres_database, caplog
):
    """Staging's key refuses a key the source holds twice; the straight COPY is rolled back and
    the landing path stages it once with its copies (DQ01), the other rows as usual."""
    source_url, warehouse_url = new_postgres_database(), new_postgres_database()
    _seed_source(source_url, complaints=4)
    source = make_engine(source_url)
    with source.begin() as conn:
        conn.execute(text("ALTER TABLE complaints DROP CONSTRAINT complaints_pkey CASCADE"))
        conn.execute(
            text(
                "INSERT INTO complaints (complaint_id, reference, complainant_id, received_date,"
                " qualifying, issue, channel, summary, updated_at)"
                " SELECT complaint_id, reference || '-copy', complainant_id, received_date,"
                " qualifying, issue, 'letter', summary, updated_at"
                " FROM complaints WHERE complaint_id = 2"
            )
        )
    warehouse = make_engine(warehouse_url)
    caplog.set_level(logging.INFO, logger="csc_complaints.extract")
    result = run_extract(source, warehouse, load_settings(), "run-1")
    fallbacks = [line for line in caplog.text.splitlines() if "landing table" in line]
    assert len(fallbacks) == 1 and "extract complaints:" in fallbacks[0]
    assert "stg_complaints_pkey" in fallbacks[0]  # the key refused the second copy
    complaints = _staging(warehouse, "complaints")
    assert sorted(complaints) == [1, 2, 3, 4]
    assert complaints[2]["_source_copies"] == 2
    assert complaints[1]["_source_copies"] == 1
    assert result.tables["complaints"].rows_read == 5
    assert len(_staging(warehouse, "complaint_stages")) == 4  # the other tables load as usual


def test_row_without_key_in_a_postgres_first_load_is_named(new_postgres_database):
    source_url, warehouse_url = new_postgres_database(), new_postgres_database()
    _seed_source(source_url, complaints=3)
    source = make_engine(source_url)
    with source.begin() as conn:
        conn.execute(text("ALTER TABLE feedback DROP CONSTRAINT feedback_pkey"))
        conn.execute(text("ALTER TABLE feedback ALTER COLUMN feedback_id DROP NOT NULL"))
        conn.execute(text("UPDATE feedback SET feedback_id = NULL"))
    warehouse = make_engine(warehouse_url)
    with pytest.raises(ExtractError, match="feedback: 1 row\\(s\\) have no feedback_id"):
        run_extract(source, warehouse, load_settings(), "run-1")
    assert _marks(warehouse) == {}  # nothing of the run was kept


def test_values_a_postgres_source_holds_in_the_wrong_type_are_quarantined_on_every_path(
    new_postgres_database, new_sqlite_database, caplog
):
    """A council's PostgreSQL system with looser column types: a bigint team too big for
    staging and an over-long outcome (read by the COPY pipe's own SQL), and flags kept as text
    (read through Python, the pipe's fallback). Each unreadable value is staged as NULL with
    ``_unreadable`` naming its column, the same words on the COPY path and the row-by-row path,
    and no value (the canary) reaches staging or the log."""
    source_url = new_postgres_database()
    _seed_source(source_url, complaints=6)
    source = make_engine(source_url)
    with source.begin() as conn:
        for statement in (
            "ALTER TABLE complaint_stages DROP CONSTRAINT complaint_stages_team_id_fkey",
            "ALTER TABLE complaint_stages ALTER COLUMN team_id TYPE bigint",
            "ALTER TABLE complaint_stages ALTER COLUMN outcome TYPE text",
            "UPDATE complaint_stages SET team_id = 3000000000 WHERE stage_id = 3",
            f"UPDATE complaint_stages SET outcome = 'upheld, said {CANARY}' WHERE stage_id = 4",
            "ALTER TABLE complaints ALTER COLUMN qualifying TYPE text"
            " USING CASE WHEN qualifying THEN 'true' ELSE 'false' END",
            f"UPDATE complaints SET qualifying = 'N {CANARY}' WHERE complaint_id = 5",
            "UPDATE complaints SET qualifying = 'f' WHERE complaint_id = 6",
        ):
            conn.execute(text(statement))
    caplog.set_level(logging.DEBUG)
    staged = {}
    for warehouse_url in (new_postgres_database(), new_sqlite_database()):
        warehouse = make_engine(warehouse_url)
        run_extract(source, warehouse, load_settings(), "run-1")
        staged[warehouse.dialect.name] = {
            name: _staging(warehouse, name) for name in ("complaints", "complaint_stages")
        }
        with warehouse.connect() as conn:
            for table in ("stg_complaints", "stg_complaint_stages"):
                for row in conn.execute(text(f"SELECT * FROM {table}")):
                    assert CANARY not in repr(tuple(row))
        warehouse.dispose()
    # complaint_stages went through the COPY pipe's SQL; complaints (text flags) through Python.
    assert "extract complaint_stages: source column" not in caplog.text
    assert "extract complaints: source column qualifying is of a type the Python" in caplog.text
    assert CANARY not in caplog.text

    for dialect, tables in staged.items():
        stages, complaints = tables["complaint_stages"], tables["complaints"]
        assert (stages[3]["team_id"], stages[3]["_unreadable"]) == (
            None,
            "team_id is not a whole number",
        ), dialect
        assert (stages[4]["outcome"], stages[4]["_unreadable"]) == (
            None,
            "outcome is longer than 30 characters",
        ), dialect
        assert stages[2]["_unreadable"] is None and stages[2]["team_id"] == 1
        assert (complaints[5]["qualifying"], complaints[5]["_unreadable"]) == (
            None,
            "qualifying is not true or false",
        ), dialect
        assert complaints[6]["qualifying"] is False and complaints[1]["qualifying"] is True
    # The source's fingerprint of each row is the same whichever warehouse staged it.
    for name in ("complaints", "complaint_stages"):
        assert {k: r["_source_hash"] for k, r in staged["postgresql"][name].items()} == {
            k: r["_source_hash"] for k, r in staged["sqlite"][name].items()
        }


def test_a_nul_character_in_a_sqlite_sources_text_is_dropped(new_sqlite_database, new_database):
    """SQLite text can hold a NUL, PostgreSQL's cannot (the COPY failed, stopping the extract):
    it is dropped, on every warehouse."""
    source_url = new_sqlite_database()
    _seed_source(source_url, complaints=3)
    source = make_engine(source_url)
    with source.begin() as conn:
        conn.execute(text("UPDATE complaints SET channel = 'em' || char(0) || 'ail'"))
        conn.execute(text("UPDATE teams SET team_name = team_name || char(0) WHERE team_id = 1"))
    warehouse = make_engine(new_database())
    run_extract(source, warehouse, load_settings(), "run-1")
    assert {row["channel"] for row in _staging(warehouse, "complaints").values()} == {"email"}
    assert _staging(warehouse, "teams")[1]["team_name"] == "Safeguarding Team A"
    warehouse.dispose()
