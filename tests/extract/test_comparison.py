"""The source comparison finds and repairs the rows the high-water mark cannot see (edits with
an old updated_at, a row removed from the source, an insert with an old updated_at), on SQLite
and PostgreSQL, and a second comparison finds nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text, update

from csc_complaints.db import make_engine
from csc_complaints.extract import run_extract
from csc_complaints.extract.comparison import KEY_RANGE, compare_source_with_staging, range_of
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.schema import STAGING, etl_extract_runs, etl_watermarks
from csc_complaints_demo import models as m
from tests.extract.test_run import T0, _seed_source

FAR_KEY = 3 * KEY_RANGE + 17  # a complaint in another key range


def _staged(warehouse) -> dict[str, dict]:
    """Every staged row by table and key, without the run that wrote it."""
    staged = {}
    with warehouse.connect() as conn:
        for name, (table, key) in STAGING.items():
            rows = conn.execute(select(table)).mappings()
            staged[name] = {r[key]: {c: v for c, v in r.items() if c != "_run_id"} for r in rows}
    return staged


def _marks(warehouse) -> dict:
    with warehouse.connect() as conn:
        return dict(
            conn.execute(
                select(etl_watermarks.c.source_table, etl_watermarks.c.high_water_mark)
            ).all()
        )


@pytest.fixture
def databases(new_database):
    source_url, warehouse_url = new_database(), new_database()
    _seed_source(source_url, complaints=12)
    source, warehouse = make_engine(source_url), make_engine(warehouse_url)
    yield source, warehouse, new_database
    source.dispose()
    warehouse.dispose()


def _backdate_changes(source) -> None:
    """What a clock out of step, a bulk fix or a restored backup leaves behind: every change
    carries an updated_at older than the high-water mark."""
    old = T0 - timedelta(days=3)
    complaints, stages = m.Complaint.__table__, m.ComplaintStage.__table__
    with source.begin() as conn:
        conn.execute(
            update(complaints)
            .where(complaints.c.complaint_id == 3)
            .values(channel="phone", updated_at=old)
        )
        conn.execute(  # a soft delete stamped in the past
            update(stages).where(stages.c.stage_id == 5).values(deleted_at=old, updated_at=old)
        )
        conn.execute(text("DELETE FROM feedback WHERE feedback_id = 1"))  # gone from the source
        conn.execute(
            complaints.insert().values(
                complaint_id=FAR_KEY,
                reference="CSC-2019-9999",
                complainant_id=1,
                received_date=date(2019, 6, 1),
                qualifying=True,
                issue="communication",
                channel="web",
                updated_at=old,
            )
        )
        conn.execute(
            stages.insert().values(
                stage_id=FAR_KEY,
                complaint_id=FAR_KEY,
                stage=1,
                team_id=1,
                requested_date=date(2019, 6, 1),
                updated_at=old,
            )
        )


def test_the_comparison_finds_and_repairs_what_the_high_water_mark_missed(databases):
    source, warehouse, new_database = databases
    settings = load_settings()
    run_extract(source, warehouse, settings, "extract-1")
    before = _staged(warehouse)
    marks = _marks(warehouse)

    _backdate_changes(source)
    assert run_extract(source, warehouse, settings, "extract-2").rows_written == 0
    assert _staged(warehouse) == before  # the incremental extract cannot see any of it

    found = compare_source_with_staging(source, warehouse, settings, "compare-1")
    differing = {t.source_table: t for t in found.differing}
    assert set(differing) == {"complaints", "complaint_stages", "feedback"}
    assert differing["complaints"].ranges == [range_of(0), range_of(3)]
    assert (differing["complaints"].rows_written, differing["complaints"].rows_removed) == (2, 0)
    assert differing["complaint_stages"].rows_written == 2  # the soft delete and the new row
    assert (differing["feedback"].rows_written, differing["feedback"].rows_removed) == (0, 1)
    assert found.repaired == 5
    assert "CSC-" not in found.summary() and "phone" not in found.summary()  # ranges and counts

    # Staging now holds exactly what a full extract of the source gives.
    fresh = make_engine(new_database())
    run_extract(source, fresh, settings, "full")
    assert _staged(warehouse) == _staged(fresh)
    fresh.dispose()
    staged = _staged(warehouse)
    assert staged["complaints"][3]["channel"] == "phone"
    assert staged["complaint_stages"][5]["deleted_at"] is not None
    assert staged["complaint_stages"][FAR_KEY]["complaint_id"] == FAR_KEY
    assert 1 not in staged["feedback"]
    assert _marks(warehouse) == marks  # the daily extract goes on from where it was
    with warehouse.connect() as conn:  # RC01's source counts come from the comparison's run
        counts = dict(
            conn.execute(
                select(etl_extract_runs.c.source_table, etl_extract_runs.c.source_rows).where(
                    etl_extract_runs.c.run_id == "compare-1"
                )
            ).all()
        )
    assert counts == {"complaints": 13, "complaint_stages": 12, "feedback": 0}

    again = compare_source_with_staging(source, warehouse, settings, "compare-2")
    assert again.differing == [] and again.repaired == 0
    assert "staging matches the source" in again.summary()


def test_a_warehouse_staged_before_fingerprints_is_filled_in_once(databases):
    """Rows staged by an older version have no fingerprint: the first comparison reloads them
    (writing only the fingerprint) and the next finds nothing."""
    source, warehouse, _ = databases
    settings = load_settings()
    run_extract(source, warehouse, settings, "extract-1")
    with warehouse.begin() as conn:
        conn.execute(text("UPDATE stg_complaints SET _source_hash = NULL"))
    first = compare_source_with_staging(source, warehouse, settings, "compare-1")
    assert [t.source_table for t in first.differing] == ["complaints"]
    assert first.tables["complaints"].rows_written == 12
    assert compare_source_with_staging(source, warehouse, settings, "compare-2").differing == []
