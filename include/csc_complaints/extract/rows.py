"""How a source row becomes a staging row: its values read as their columns' types, its key's
copies counted, and the upsert that writes it only when something in it changed.

A value that cannot be read as its column's type (``team_id = 'abc'``, ``qualifying = 'N'``, an
``updated_at`` that is not a timestamp, a code longer than its column) does not stop the
extract: it is staged as NULL and the row's ``_unreadable`` column says which column could not
be read and why (``"team_id is not a whole number"``), never what it held, since whatever was
typed into the wrong field may be personal data. The row check DQ11 rejects such rows
(docs/quality.md). A business date keeps its own marker (``UNREADABLE_DATE``, reported by DQ02).

Only a row whose key is missing or unreadable stops the extract (``ExtractError``): without its
key a row cannot be staged, tracked or named. The error names the table and the row before it,
never the value.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Integer, String, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from csc_complaints.dates import ISO_DATE_PATTERN
from csc_complaints.warehouse.schema import STAGING

# Staging columns the extract fills itself; every other staging column comes from the source
# (the extract SQL selects it). ``_unreadable`` and ``_source_hash`` are worked out per row.
BOOKKEEPING = {"council_code", "_run_id", "_source_copies", "_unreadable", "_source_hash"}
TIMESTAMPS = ("updated_at", "deleted_at")

# A business date the source holds as text that is not an ISO date is staged as this marker,
# not as the text: DQ02 reports the row as unreadable either way, and whatever someone typed
# into a date field (a name, a phone number) must not leave the source.
UNREADABLE_DATE = "unreadable"

# A ``deleted_at`` the source fills with something that is not a timestamp: the row is held
# as deleted, as the source's own count of the rows not deleted (RC01's left side) has it, and
# DQ11 still names it. Staged as this moment, which no real deletion has.
UNREADABLE_DELETED_AT = datetime(1, 1, 1)

# Staging's INTEGER columns hold 32-bit whole numbers on PostgreSQL.
INTEGER_RANGE = (-(2**31), 2**31 - 1)

# The text forms of a boolean accepted besides Python's bool and the integers 0 and 1 (any
# case, surrounding spaces ignored): what PostgreSQL writes for a boolean (COPY and psql write
# t/f, a cast to text true/false) and what SQLite stores for one (1/0). Anything else ('N',
# 'yes', 'false-ish') is unreadable: guessing would count a complaint the council never meant.
TRUE_TEXT = frozenset({"t", "true", "1"})
FALSE_TEXT = frozenset({"f", "false", "0"})

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class ExtractError(RuntimeError):
    """The source gave something the extract cannot stage; the message names table and key."""


class _Unreadable:
    """The result of reading a value that is not of its column's type."""

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE = _Unreadable()


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


def as_whole_number(value: Any) -> int | None | _Unreadable:
    """An integer column's value: an int within staging's range, or UNREADABLE.

    Whole numbers the source holds as text (``' 12 '``) or as an integral float or decimal
    (SQLite's REAL ``3.0``) are read; fractions, NaN, words and out-of-range numbers are not.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return UNREADABLE  # a flag in a number's place
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        try:
            if value != int(value):
                return UNREADABLE
        except (ValueError, OverflowError, ArithmeticError):  # NaN, infinity
            return UNREADABLE
        number = int(value)
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return UNREADABLE
    low, high = INTEGER_RANGE
    return number if low <= number <= high else UNREADABLE


def as_boolean(value: Any) -> bool | None | _Unreadable:
    """A boolean column's value: True/False from a bool, 0/1, or TRUE_TEXT/FALSE_TEXT; else
    UNREADABLE (never ``bool()`` of the value: ``bool('false')`` is True)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {0: False, 1: True}.get(value, UNREADABLE)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_TEXT:
            return True
        if word in FALSE_TEXT:
            return False
    return UNREADABLE


def as_timestamp(value: Any) -> datetime | None | _Unreadable:
    """A change stamp (``updated_at``, ``deleted_at``): a datetime, or UNREADABLE."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return UNREADABLE
    return UNREADABLE


def as_text(value: Any, length: int | None) -> str | None | _Unreadable:
    """A text column's value: text no longer than the column (``length`` None: any length);
    a number becomes its digits; anything longer, or bytes, is UNREADABLE. NUL characters are
    dropped: PostgreSQL text cannot hold one and it means nothing in a code, name or sentence."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return UNREADABLE
    text_value = (value if isinstance(value, str) else str(value)).replace("\x00", "")
    if length is not None and len(text_value) > length:
        return UNREADABLE
    return text_value


def column_kinds(source_table: str) -> dict[str, str]:
    """How each staging column of ``source_table`` is read: timestamp, date, bool, int, text."""
    table, _key = STAGING[source_table]
    kinds = {}
    for column in table.columns:
        if column.name in BOOKKEEPING:
            continue
        if column.name in TIMESTAMPS:
            kinds[column.name] = "timestamp"
        elif column.name.endswith("_date"):
            kinds[column.name] = "date"
        elif isinstance(column.type, Boolean):
            kinds[column.name] = "bool"
        elif isinstance(column.type, Integer):
            kinds[column.name] = "int"
        else:
            kinds[column.name] = "text"
    return kinds


def unreadable_problem(source_table: str, column: str) -> str:
    """What ``_unreadable`` says of ``column`` when its value cannot be read (no value in it).

    ``_unreadable`` joins these with ``"; "``, each starting with the column's name; the row
    checks match them by ``'<column> '`` (expectations/dq_staging.json), so both the
    row-by-row and the COPY path must write exactly these words.
    """
    kind = column_kinds(source_table)[column]
    if kind == "text":
        length = text_length(source_table, column)
        return f"{column} is longer than {length} characters"
    return f"{column} {_PROBLEMS[kind]}"


_PROBLEMS = {
    "int": "is not a whole number",
    "bool": "is not true or false",
    "timestamp": "is not a timestamp",
}


def text_length(source_table: str, column: str) -> int | None:
    """The staging column's length limit (None: unlimited text)."""
    table, _key = STAGING[source_table]
    kind = table.c[column].type
    return kind.length if isinstance(kind, String) else None


def read_value(source_table: str, column: str, kind: str, value: Any) -> Any:
    """``value`` as staged in ``column`` of kind ``kind`` (or UNREADABLE)."""
    if kind == "date":
        return as_iso_date(value)
    if kind == "timestamp":
        return as_timestamp(value)
    if kind == "bool":
        return as_boolean(value)
    if kind == "int":
        return as_whole_number(value)
    return as_text(value, text_length(source_table, column))


class RowShaper:
    """Turns source rows into staging rows for one table (values read per column)."""

    def __init__(self, source_table: str, council_code: str, run_id: str):
        self.table, self.key = STAGING[source_table]
        self.source_table = source_table
        self.council_code = council_code
        self.run_id = run_id
        # The staging columns the extract SQL must select, in staging's order.
        self.columns = [c.name for c in self.table.columns if c.name not in BOOKKEEPING]
        # Per-row columns the extract works out itself, in staging's order.
        self.derived = [
            name for name in ("_unreadable", "_source_hash") if name in self.table.columns
        ]
        self.kind = column_kinds(source_table)

    @property
    def fingerprinted(self) -> bool:
        """Rows of this table carry the source's fingerprint of them (``_source_hash``)."""
        return "_source_hash" in self.derived

    def check_selected(self, selected: Container[str]) -> None:
        """Stop the run, naming the extract SQL file, when it leaves out a staging column."""
        missing = [c for c in self.columns if c not in selected]
        if missing:
            raise ExtractError(
                f"include/sql/extract/{self.source_table}.sql does not select {', '.join(missing)}"
            )

    def read_key(self, value: Any, previous: Any = None) -> Any:
        """The row's key as staged; a missing or unreadable key stops the run (the value is not
        quoted: it may be anything)."""
        after = f" (the row after {self.key} {previous})" if previous is not None else ""
        if value is None:
            raise ExtractError(
                f"{self.source_table}: a row has no {self.key}{after}; every source row needs "
                "its key"
            )
        key = read_value(self.source_table, self.key, self.kind[self.key], value)
        if key is UNREADABLE:
            kind = "a whole number" if self.kind[self.key] == "int" else "text staging can hold"
            raise ExtractError(
                f"{self.source_table}: a row's {self.key} is not {kind}{after}; every source "
                "row needs a key staging can hold"
            )
        return key

    def shape(self, row: dict[str, Any], copies: int) -> dict[str, Any]:
        self.check_selected(row)
        out: dict[str, Any] = {
            "council_code": self.council_code,
            "_run_id": self.run_id,
            "_source_copies": copies,
        }
        problems = []
        for name in self.columns:
            if name == self.key:
                out[name] = self.read_key(row[name])
                continue
            value = read_value(self.source_table, name, self.kind[name], row[name])
            if value is UNREADABLE:
                problems.append(unreadable_problem(self.source_table, name))
                value = UNREADABLE_DELETED_AT if name == "deleted_at" else None
            out[name] = value
        if "_unreadable" in self.derived:
            out["_unreadable"] = "; ".join(problems) or None
        if self.fingerprinted:
            out["_source_hash"] = row.get("_source_hash")
        return out


def grouped_by_key(rows: Iterable[dict[str, Any]], key: str, table: str) -> Iterator[tuple]:
    """(last row, copies) per key, from rows ordered by key: a key the source holds more than
    once arrives as adjacent rows and is staged once with its number of copies (DQ01).

    The staged row carries the largest of its copies' fingerprints (``_source_hash``), as the
    source comparison computes it (csc_complaints.extract.comparison).
    """
    previous = None
    for value, group in itertools.groupby(rows, key=lambda r: r[key]):
        if value is None:
            after = f" (the row after {key} {previous})" if previous is not None else ""
            raise ExtractError(
                f"{table}: a row has no {key}{after}; every source row needs its key"
            )
        if isinstance(value, int) and isinstance(previous, int) and value < previous:
            raise ExtractError(
                f"include/sql/extract/{table}.sql must return rows ORDER BY {key} "
                f"({key} {value} came after {previous})"
            )
        members = list(group)
        last = members[-1]
        if len(members) > 1 and "_source_hash" in last:
            hashes = [m["_source_hash"] for m in members if m["_source_hash"] is not None]
            last = {**last, "_source_hash": max(hashes) if hashes else None}
        if isinstance(value, int):
            previous = value
        yield last, len(members)


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
