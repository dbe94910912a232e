"""How a source row becomes a staging row: its values coerced per column, its key's copies
counted, and the upsert that writes it only when something in it changed. Bad input stops the
extract with an ``ExtractError`` that names the table, the key and the column."""

from __future__ import annotations

import itertools
from collections.abc import Container, Iterable, Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Integer, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from csc_complaints.dates import ISO_DATE_PATTERN
from csc_complaints.warehouse.schema import STAGING

# Staging columns the extract fills itself; every other staging column comes from the source.
BOOKKEEPING = {"council_code", "_run_id", "_source_copies"}
TIMESTAMPS = ("updated_at", "deleted_at")

# A business date the source holds as text that is not an ISO date is staged as this marker,
# not as the text: DQ02 reports the row as unreadable either way, and whatever someone typed
# into a date field (a name, a phone number) must not leave the source.
UNREADABLE_DATE = "unreadable"


class ExtractError(RuntimeError):
    """The source gave something the extract cannot stage; the message names table and key."""


def as_iso_date(value: Any) -> str | None:
    """A business date as staged: ISO text, or the UNREADABLE_DATE marker (DQ02 reports it)
    rather than failing the whole extract."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text_value = str(value).strip()
    return text_value if ISO_DATE_PATTERN.match(text_value) else UNREADABLE_DATE


def as_timestamp(value: Any, table: str, key: Any, column: str) -> datetime | None:
    """A change stamp as staged (a datetime); anything that is not a timestamp stops the run."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        # updated_at is the system's own change stamp, not business data: without it the row
        # cannot be tracked at all, so this stops the extract with the record named.
        raise ExtractError(
            f"{table} key {key}: {column} {value!r} is not a timestamp; "
            "the incremental extract needs updated_at/deleted_at to be timestamps"
        ) from exc


class RowShaper:
    """Turns source rows into staging rows for one table (types normalised per column)."""

    def __init__(self, source_table: str, council_code: str, run_id: str):
        self.table, self.key = STAGING[source_table]
        self.source_table = source_table
        self.council_code = council_code
        self.run_id = run_id
        # The staging columns the extract SQL must select, in staging's order.
        self.columns = [c.name for c in self.table.columns if c.name not in BOOKKEEPING]
        self.kind = {}
        for column in self.table.columns:
            if column.name in TIMESTAMPS:
                self.kind[column.name] = "timestamp"
            elif column.name.endswith("_date"):
                self.kind[column.name] = "date"
            elif isinstance(column.type, Boolean):
                self.kind[column.name] = "bool"
            elif isinstance(column.type, Integer):
                self.kind[column.name] = "int"

    def check_selected(self, selected: Container[str]) -> None:
        """Stop the run, naming the extract SQL file, when it leaves out a staging column."""
        missing = [c for c in self.columns if c not in selected]
        if missing:
            raise ExtractError(
                f"include/sql/extract/{self.source_table}.sql does not select {', '.join(missing)}"
            )

    def shape(self, row: dict[str, Any], copies: int) -> dict[str, Any]:
        self.check_selected(row)
        key = row[self.key]
        out: dict[str, Any] = {
            "council_code": self.council_code,
            "_run_id": self.run_id,
            "_source_copies": copies,
        }
        for name in self.columns:
            value = row[name]
            kind = self.kind.get(name)
            if kind == "date":
                value = as_iso_date(value)
            elif kind == "timestamp":
                value = as_timestamp(value, self.source_table, key, name)
            elif kind == "bool" and value is not None:
                value = bool(value)
            elif kind == "int" and value is not None and not isinstance(value, int):
                try:
                    value = int(value)
                except (TypeError, ValueError) as exc:
                    raise ExtractError(
                        f"{self.source_table} key {key}: {name} {value!r} is not a whole number"
                    ) from exc
            out[name] = value
        return out


def grouped_by_key(rows: Iterable[dict[str, Any]], key: str, table: str) -> Iterator[tuple]:
    """(last row, copies) per key, from rows ordered by key: a key the source holds more than
    once arrives as adjacent rows and is staged once with its number of copies (DQ01)."""
    previous = None
    for value, group in itertools.groupby(rows, key=lambda r: r[key]):
        if value is None:
            raise ExtractError(f"{table}: a row has no {key}; every source row needs its key")
        if previous is not None and isinstance(value, int) and value < previous:
            raise ExtractError(
                f"include/sql/extract/{table}.sql must return rows ORDER BY {key} "
                f"({key} {value} came after {previous})"
            )
        previous = value
        members = list(group)
        yield members[-1], len(members)


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to ``size`` items (``itertools.batched`` arrives only in Python 3.12)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def dialect_insert(conn: Connection, table):
    """An INSERT that can take ON CONFLICT, in the connection's dialect (both have one)."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def upsert_statement(conn: Connection, source_table: str, rows_from=None):
    """INSERT ... ON CONFLICT DO UPDATE, but only where a column really changed.

    Without ``rows_from`` the statement takes parameter rows (executemany); with it, the rows of
    that SELECT (one set-based statement), whose columns are the staging table's, in order.
    """
    table, key = STAGING[source_table]
    stmt = dialect_insert(conn, table)
    if rows_from is not None:
        stmt = stmt.from_select([c.name for c in table.columns], rows_from)
    data_columns = [c.name for c in table.columns if c.name not in {"council_code", key, "_run_id"}]
    changed = or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in data_columns))
    return stmt.on_conflict_do_update(
        index_elements=["council_code", key],
        set_={c: stmt.excluded[c] for c in [*data_columns, "_run_id"]},
        where=changed,
    )
