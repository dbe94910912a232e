"""Locks that keep two runs of the same step for one council from running at once.

Two extracts of a council at once (a scheduled run and a manual one, or the weekly source
comparison) would both load into staging; two first loads raced on ``CREATE TABLE`` and one
failed with a UniqueViolation on ``pg_type``. So the extract (and the source comparison and the
row checks, which write the same staging and rejects) and the warehouse build each hold a
lock per council while they run; a second run logs that it is waiting, waits for the first to
finish, and then finds its work done (an extract reads from the new high-water mark, a build
finds no year changed). Creating the schema holds a lock of its own, whatever the council.

* PostgreSQL: an advisory lock (``pg_advisory_lock``) keyed by purpose and council, held by a
  session of its own for the duration and released when it ends, even if the process dies.
* SQLite: an exclusive ``flock`` on a file next to the database file
  (``<database>.<purpose>-<council>.lock``), released by the operating system when the process
  ends. The files are left in place: removing a lock file another process may be opening is
  itself a race. An in-memory database is private to its process and needs no lock.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

EXTRACT = "extract"  # the extract, the source comparison and the row checks (staging, rejects)
BUILD = "build"  # the warehouse build (dimensions, facts, stats)
SCHEMA = "schema"  # creating or upgrading the warehouse tables (every council)

F = TypeVar("F", bound=Callable[..., Any])


def lock_key(purpose: str, council_code: str) -> int:
    """The advisory lock's bigint key for ``purpose`` and ``council_code`` (stable, signed)."""
    digest = hashlib.sha256(f"csc_complaints/{purpose}/{council_code}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def council_lock(engine: Engine, purpose: str, council_code: str) -> Iterator[None]:
    """Hold the ``purpose`` lock of ``council_code`` in ``engine``'s database; wait for it if
    another run holds it, saying so in the log."""
    what = f"{purpose} {council_code}"
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, lock_key(purpose, council_code), what):
            yield
    elif engine.dialect.name == "sqlite" and _sqlite_file(engine) is not None:
        path = Path(f"{_sqlite_file(engine)}.{purpose}-{council_code}.lock")
        with _file_lock(path, what):
            yield
    else:
        yield


def holding_council_lock(purpose: str) -> Callable[[F], F]:
    """Decorate a step ``f(engine, settings, ...)`` to run holding its council's lock."""

    def decorate(step: F) -> F:
        @functools.wraps(step)
        def locked(engine: Engine, settings: Any, *args: Any, **kwargs: Any) -> Any:
            with council_lock(engine, purpose, settings.council_code):
                return step(engine, settings, *args, **kwargs)

        return locked  # type: ignore[return-value]

    return decorate


@contextmanager
def schema_lock(conn: Connection) -> Iterator[None]:
    """Serialise creating the warehouse tables across processes, for the transaction of
    ``conn`` (PostgreSQL: a transaction-level advisory lock) or while the block runs (SQLite:
    the file lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(SCHEMA, "*")})
        yield
        return
    path = _sqlite_file(conn.engine) if conn.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    with _file_lock(Path(f"{path}.{SCHEMA}.lock"), SCHEMA):
        yield


def _sqlite_file(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database.removeprefix("file:").split("?", 1)[0]


@contextmanager
def _advisory_lock(engine: Engine, key: int, what: str) -> Iterator[None]:
    # A session of its own, in autocommit: the lock belongs to the session, not to a
    # transaction, so the step's own transactions (on other connections) commit as they go.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        if not got:
            started = time.monotonic()
            log.warning("%s: another run holds the lock; waiting for it to finish", what)
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            log.warning("%s: lock taken after %.1f s", what, time.monotonic() - started)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


@contextmanager
def _file_lock(path: Path, what: str) -> Iterator[None]:
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            started = time.monotonic()
            log.warning(
                "%s: another run holds the lock; waiting for it to finish (%s)", what, path.name
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
            log.warning("%s: lock taken after %.1f s", what, time.monotonic() - started)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
