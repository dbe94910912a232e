"""An incremental build counts the stats of the owed years only (issue 16).

A change to one year's rows owes that year alone: ``compute_stats`` then counts that year's rows
(every stats step filtered on ``stats_years``, so the clean-up that deletes any other year's
rows finds none), the other years keep their stats and are reported unchanged, and the stats
equal a full rebuild's. And counting one year, or every year but one, gives exactly the rows a
count of every year gives those years. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import event, select, text

from csc_complaints.warehouse import build
from csc_complaints.warehouse import schema as wh
from tests.warehouse.test_incremental_build import (
    COMPARED,
    COUNCIL,
    SETTINGS,
    _rows,
    _start,
    full_rebuild_from_scratch,
)

YEAR = "2023/24"  # the last year of the synthetic source (test_incremental_build's)


def _new_rows(conn, new_tables) -> dict[str, list[tuple]]:
    with conn.begin():
        return {
            table.name: sorted(tuple(str(v) for v in row) for row in conn.execute(select(table)))
            for table in new_tables
        }


def _one_year_complaint(engine) -> int:
    """A complaint received in YEAR whose stage rows all fall in YEAR, and with nothing else of
    its own (learning actions, Ombudsman cases) that could fall in another year."""
    query = text(
        "SELECT c.complaint_id FROM complaints c"
        " WHERE c.deleted_at IS NULL AND c.received_date >= :start AND c.received_date < :cut"
        " AND NOT EXISTS (SELECT 1 FROM complaint_stages s WHERE s.complaint_id = c.complaint_id"
        "   AND (s.response_date IS NULL OR s.response_date >= :cut OR s.panel_date IS NOT NULL"
        "        OR s.requested_date >= :cut))"
        " AND NOT EXISTS (SELECT 1 FROM learning_actions a WHERE a.complaint_id = c.complaint_id)"
        " AND NOT EXISTS (SELECT 1 FROM ombudsman_cases o WHERE o.complaint_id = c.complaint_id)"
        " ORDER BY c.complaint_id"
    )
    with engine.connect() as conn:
        return conn.execute(query, {"start": date(2023, 4, 1), "cut": date(2024, 3, 1)}).scalar()


def test_a_change_in_one_year_counts_that_year_only(new_database, tmp_path, monkeypatch):
    run = _start(new_database, tmp_path)
    clock = datetime.now().replace(microsecond=0) + timedelta(minutes=1)
    first = run.cycle(clock)
    assert first.mode == "full" and YEAR in first.financial_years
    complaint = _one_year_complaint(run.source)
    assert complaint is not None
    with run.source.begin() as conn:
        conn.execute(
            text(
                "UPDATE complaints SET updated_at = :stamp, channel = CASE WHEN channel = 'email'"
                " THEN 'phone' ELSE 'email' END WHERE complaint_id = :k"
            ),
            {"stamp": clock + timedelta(minutes=1), "k": complaint},
        )

    counted, kept_deleted = {}, []
    real_compute_stats = build.compute_stats

    def spy(conn, council, targets, as_of=None, years=None):
        counted["years"] = years
        new_tables = real_compute_stats(conn, council, targets, as_of, years)
        counted["rows"] = _new_rows(conn, new_tables)
        return new_tables

    def deleted(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM NEW_STATS_"):
            kept_deleted.append(cursor.rowcount)

    monkeypatch.setattr(build, "compute_stats", spy)
    event.listen(run.warehouse, "after_cursor_execute", deleted)
    try:
        built = run.cycle(clock + timedelta(minutes=2))
    finally:
        event.remove(run.warehouse, "after_cursor_execute", deleted)
        monkeypatch.undo()

    assert built.mode == "incremental"
    assert built.owed_years == (YEAR,)
    assert counted["years"] == [YEAR]
    # Only YEAR was counted; the stats steps' filters left nothing for the clean-up to delete.
    assert kept_deleted == [0] * len(wh.STATS_TABLES)
    assert {row[1] for rows in counted["rows"].values() for row in rows} == {YEAR}
    assert built.changed_years == (YEAR,)
    assert built.financial_years == first.financial_years
    assert built.unchanged_years == tuple(y for y in first.financial_years if y != YEAR)

    fresh, full = full_rebuild_from_scratch(run)
    assert _rows(run.warehouse, COMPARED) == _rows(fresh, COMPARED)
    assert built.financial_years == full.financial_years
    # What was counted for YEAR is the full rebuild's YEAR, table by table.
    expected = _rows(fresh, wh.STATS_TABLES)
    for stats_table in wh.STATS_TABLES:
        assert counted["rows"][f"new_{stats_table.name}"] == sorted(
            row for row in expected[stats_table.name] if row[1] == YEAR
        ), stats_table.name
    fresh.dispose()

    # Each year counted alone (the steps filtered), and every year but one (most years: every
    # year counted, the other one deleted): exactly the rows counting every year gives them.
    targets = build.timeliness_targets(SETTINGS)
    years = full.financial_years
    with run.warehouse.connect() as conn:
        every = _new_rows(conn, build.compute_stats(conn, COUNCIL, targets))
        for owed in [{year} for year in years] + [set(years) - {year} for year in years]:
            got = _new_rows(conn, build.compute_stats(conn, COUNCIL, targets, years=owed))
            assert got == {
                name: [row for row in rows if row[1] in owed] for name, rows in every.items()
            }, owed
        build._drop_new_tables(conn, [build._new_table(t) for t in wh.STATS_TABLES])
    run.source.dispose()
    run.warehouse.dispose()
