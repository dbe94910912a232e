"""The COPY helpers on a real PostgreSQL server: the text format round-trips every awkward value,
and the server-to-server pipe copies any size, stops when either side fails, and never lets a
source-side failure pass as a finished copy."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime

import psycopg2
import pytest
from sqlalchemy import create_engine

from csc_complaints.extract.pg_copy import copy_text, pipe_copy

# Text the COPY format must escape, and text that only looks like its escapes.
AWKWARD_TEXT = [
    "plain",
    "",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    "back\\slash",
    "\\N",  # the two characters, not NULL
    "ends with a backslash \\",
    "\\t not a tab",
    "naïve café – “quotes” 日本",
    "  spaces kept  ",
]


def test_copy_text_writes_the_copy_format_by_hand():
    """The format itself, as PostgreSQL's documentation of COPY TEXT gives it."""
    assert copy_text(None) == "\\N"
    assert copy_text(True) == "t"
    assert copy_text(False) == "f"
    assert copy_text(0) == "0"  # a falsy number is a number, not false or NULL
    assert copy_text(datetime(2020, 3, 31, 23, 59, 1)) == "2020-03-31 23:59:01"
    assert copy_text(date(2019, 4, 1)) == "2019-04-01"
    assert copy_text("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert copy_text("\\N") == "\\\\N"


@pytest.fixture
def postgres_dbapi(new_postgres_database):
    """Raw psycopg2 connections to fresh databases (the helpers work at the driver's level)."""
    connections = []

    def connect():
        url = new_postgres_database()
        engine = create_engine(url)
        conn = engine.raw_connection().driver_connection
        connections.append((engine, conn))
        return conn

    yield connect
    for engine, conn in connections:
        conn.close()
        engine.dispose()


def test_every_value_survives_a_copy_into_postgres(postgres_dbapi):
    conn = postgres_dbapi()
    rows = [
        (i, text, i % 2 == 0, datetime(2019, 4, 1, 8, 30, i), date(2020, 2, 29), None)
        for i, text in enumerate(AWKWARD_TEXT)
    ]
    with conn.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE landed (n integer, note text, flag boolean, stamp timestamp,"
            " day date, missing text)"
        )
        lines = "".join("\t".join(map(copy_text, row)) + "\n" for row in rows)
        cursor.copy_expert("COPY landed FROM STDIN", io.StringIO(lines))
        cursor.execute("SELECT n, note, flag, stamp, day, missing FROM landed ORDER BY n")
        assert cursor.fetchall() == rows


@pytest.fixture
def source_and_target(postgres_dbapi):
    source, target = postgres_dbapi(), postgres_dbapi()
    with source.cursor() as cursor:
        cursor.execute("CREATE TABLE notes (n integer PRIMARY KEY, note text)")
        cursor.execute(
            "INSERT INTO notes SELECT i, 'row ' || i || E'\\twith a tab' FROM "
            "generate_series(1, 60000) AS i"
        )
        cursor.executemany(
            "INSERT INTO notes VALUES (%s, %s)",
            [(100000 + i, text) for i, text in enumerate(AWKWARD_TEXT)],
        )
    source.commit()
    with target.cursor() as cursor:
        cursor.execute("CREATE TABLE notes (n integer, note text)")
    target.commit()
    return source, target


def _finishes(work, seconds: float = 120):
    """Run ``work`` and return what it returned or raised; fail (not hang) if it deadlocks."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"did not finish within {seconds} s (the pipe deadlocked)"
    return outcome


def test_pipe_copy_moves_a_table_larger_than_the_pipe(source_and_target):
    """60,000 rows (megabytes, far more than an OS pipe holds) arrive whole: the two COPYs run
    at once, or the writer would block on the full pipe for ever."""
    source, target = source_and_target
    with target.cursor() as cursor:
        outcome = _finishes(
            lambda: pipe_copy(
                source, "COPY notes TO STDOUT", cursor, "COPY notes (n, note) FROM STDIN"
            )
        )
        assert "error" not in outcome, outcome
        cursor.execute("SELECT count(*), sum(n) FROM notes")
        count, total = cursor.fetchone()
        assert count == 60000 + len(AWKWARD_TEXT)
        assert total == 60000 * 60001 // 2 + sum(100000 + i for i in range(len(AWKWARD_TEXT)))
        cursor.execute("SELECT note FROM notes WHERE n >= 100000 ORDER BY n")
        assert [note for (note,) in cursor.fetchall()] == AWKWARD_TEXT
    assert not [t for t in threading.enumerate() if t.name == "pipe-copy"]


def test_a_source_failure_half_way_is_raised_not_taken_for_the_end(source_and_target):
    """The source fails after sending 30,000 rows: the target's COPY sees only an early end of
    input, so without the re-raise the caller would commit a partial copy."""
    source, target = source_and_target
    failing = "COPY (SELECT i, 1 / (i - 30001) FROM generate_series(1, 60000) AS i) TO STDOUT"
    with target.cursor() as cursor:
        outcome = _finishes(
            lambda: pipe_copy(source, failing, cursor, "COPY notes (n, note) FROM STDIN")
        )
        assert isinstance(outcome.get("error"), psycopg2.errors.DivisionByZero)
        cursor.execute("SELECT count(*) FROM notes")
        assert cursor.fetchone()[0] == 30000  # what a caller ignoring the failure would keep
    target.rollback()  # what the caller's transaction does with the failure
    with target.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM notes")
        assert cursor.fetchone()[0] == 0
    assert not [t for t in threading.enumerate() if t.name == "pipe-copy"]


def test_a_target_failure_stops_the_source_side_too(source_and_target):
    """The target refuses the first row (text into an integer column): its error is raised, and
    the writer thread has ended (nothing is left running or holding the source)."""
    source, target = source_and_target
    with target.cursor() as cursor:
        cursor.execute("CREATE TABLE numbers (n integer, m integer)")
        outcome = _finishes(
            lambda: pipe_copy(
                source, "COPY notes TO STDOUT", cursor, "COPY numbers (n, m) FROM STDIN"
            )
        )
    assert isinstance(outcome.get("error"), psycopg2.errors.InvalidTextRepresentation)
    assert "numbers" in str(outcome["error"])
    assert not [t for t in threading.enumerate() if t.name == "pipe-copy"]
    target.rollback()
