"""Airflow connections become SQLAlchemy URLs (Airflow's own get_uri mangles SQLite paths)."""

from __future__ import annotations

import pytest
from airflow.sdk import Connection

from csc_complaints.db import make_engine, sqlalchemy_url


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sqlite:////abs/path/warehouse.db", "sqlite:////abs/path/warehouse.db"),
        (
            "postgresql://etl:s%40cret@db.example:5432/warehouse",
            "postgresql+psycopg2://etl:s%40cret@db.example:5432/warehouse",
        ),
        ("postgres://postgres@127.0.0.1/test", "postgresql+psycopg2://postgres@127.0.0.1/test"),
    ],
)
def test_connection_uri_to_sqlalchemy_url(uri, expected):
    assert sqlalchemy_url(Connection.from_uri(uri, conn_id="x")) == expected


def test_unsupported_connection_type_is_named():
    with pytest.raises(ValueError, match="'http' is not supported"):
        sqlalchemy_url(Connection(conn_id="x", conn_type="http", host="example"))


def test_sqlite_engine_uses_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _seed_rollback_journal_file(path) -> None:
    """A council's SQLite file as their system leaves it: rollback journal, one table."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE complaints (complaint_id INTEGER PRIMARY KEY, ref TEXT)")
        conn.execute("INSERT INTO complaints VALUES (1, 'CSC-2019-0001')")
    conn.close()


def test_a_sqlite_source_is_opened_read_only_and_left_as_it_was(tmp_path):
    import hashlib
    import os

    from sqlalchemy.exc import OperationalError

    path = tmp_path / "source.db"
    _seed_rollback_journal_file(path)
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)

    source = make_engine(f"sqlite:///{path}", read_only=True)
    with source.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM complaints").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
        with pytest.raises(OperationalError, match="readonly"):
            conn.exec_driver_sql("INSERT INTO complaints VALUES (2, 'CSC-2019-0002')")
    source.dispose()

    assert (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.db"]


def test_a_read_only_sqlite_path_with_uri_characters(tmp_path):
    folder = tmp_path / "council data #1"
    folder.mkdir()
    path = folder / "source.db"
    _seed_rollback_journal_file(path)
    with make_engine(f"sqlite:///{path}", read_only=True).connect() as conn:
        assert conn.exec_driver_sql("SELECT ref FROM complaints").scalar() == "CSC-2019-0001"


def test_a_missing_read_only_sqlite_file_is_not_created(tmp_path):
    from sqlalchemy.exc import OperationalError

    path = tmp_path / "nowhere.db"
    with pytest.raises(OperationalError):
        make_engine(f"sqlite:///{path}", read_only=True).connect()
    assert not path.exists()
