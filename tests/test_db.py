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
