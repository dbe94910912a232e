"""Database plumbing shared by every step: engines, Airflow connections as URLs, SQL files.

SQL lives in ``include/sql/<step>/<name>.sql``, one statement per file, written once for both
SQLite (the embedded default) and PostgreSQL (production).
"""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


class ConnectionLike(Protocol):
    conn_type: str | None
    host: str | None
    schema: str | None
    login: str | None
    password: str | None
    port: int | None


# Airflow connection types -> SQLAlchemy drivers.
_DRIVERS = {
    "postgres": "postgresql+psycopg2",
    "postgresql": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "mssql": "mssql+pyodbc",
}


def sqlalchemy_url(conn: ConnectionLike) -> str:
    """The SQLAlchemy URL of an Airflow connection.

    Airflow's own ``get_uri()`` mangles SQLite paths (``sqlite:///%2Fabs%2Fpath.db``) and uses
    the ``postgres`` scheme SQLAlchemy no longer accepts, so the URL is rebuilt from the fields.
    """
    conn_type = (conn.conn_type or "").lower()
    if conn_type == "sqlite":
        # "sqlite:////abs/path.db" parses as host="" schema="/abs/path.db" (or the reverse).
        path = conn.host or conn.schema or ""
        if not path:
            raise ValueError("a sqlite connection needs a database path")
        return f"sqlite:///{path}"
    driver = _DRIVERS.get(conn_type)
    if driver is None:
        raise ValueError(f"connection type {conn.conn_type!r} is not supported")
    auth = ""
    if conn.login:
        auth = quote(conn.login, safe="")
        if conn.password:
            auth += ":" + quote(conn.password, safe="")
        auth += "@"
    port = f":{conn.port}" if conn.port else ""
    return f"{driver}://{auth}{conn.host or ''}{port}/{conn.schema or ''}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, read_only: bool) -> None:
    cursor = dbapi_connection.cursor()
    if read_only:
        # A council's source file: no journal-mode change (that would rewrite its header and
        # mtime); query_only refuses writes even if the URI's mode=ro were lost.
        cursor.execute("PRAGMA query_only=ON")
    else:
        # WAL lets the report read a year while the warehouse DAG rebuilds another one.
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _read_only_sqlite_url(parsed):
    """``sqlite:///path`` as SQLite's read-only URI ``file:/abs/path?mode=ro``.

    With ``mode=ro`` SQLite never writes the file and never creates it: a missing source is an
    error, not a new empty database.
    """
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ValueError(f"a read-only SQLite source needs a database file path, not {database!r}")
    path = Path(database).resolve()
    return parsed.set(
        database=f"file:{quote(str(path), safe='/')}",
        query={**parsed.query, "mode": "ro", "uri": "true"},
    )


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine for a warehouse or source URL, with the SQLite settings the pipeline relies on.

    ``read_only=True`` is for the council's source database, which is only ever read: a SQLite
    file is opened through a ``mode=ro`` URI and keeps its journal mode, bytes and mtime.
    (A PostgreSQL source is read in a read-only transaction by the extract.)
    """
    parsed = make_url(url)
    if parsed.drivername == "postgres":  # the old alias, still common in URIs
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.drivername == "postgresql+psycopg2":
        # Many-row statements from SQL files (dim_date's days, quarantined rejects, alert
        # fingerprints) go in pages (psycopg2's execute_batch), not one round trip per row.
        kwargs.setdefault("executemany_mode", "values_plus_batch")
    if read_only and parsed.get_backend_name() == "sqlite":
        parsed = _read_only_sqlite_url(parsed)
    engine = create_engine(parsed, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", partial(_sqlite_pragmas, read_only=read_only))
    return engine


@cache
def sql_text(step: str, name: str) -> str:
    """The text of ``include/sql/<step>/<name>.sql``."""
    path = SQL_DIR / step / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def sql(step: str, name: str):
    """``include/sql/<step>/<name>.sql`` as a SQLAlchemy ``text()`` clause."""
    return text(sql_text(step, name))
