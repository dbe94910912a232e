"""Fingerprints of source rows, computed by the source database itself.

Every incrementally extracted row is staged with ``_source_hash``: a hash (hex) of the row as
the source database renders the columns the extract SQL selects, taken when the row was
extracted.
The weekly source comparison (``comparison``) asks the source for the same hashes now, adds
them up by key range in the source, adds up the stored ones in the warehouse, and compares
the sums: only a few numbers per key range cross the wire, whatever the size of the tables.
Both sides are the source's own rendering of the row, so a value staging holds in another
form (a date kept as text, an unreadable value staged as NULL) never looks like a change.

PostgreSQL computes ``hashtextextended(ROW(...)::text, 0)``, a 64-bit hash written as 16 hex
digits (a third cheaper than ``md5``, which matters on a first load of millions of rows: it is
the server's own hash of text, stable for a given server build, and a change of server that
alters it only makes the next comparison reload every range once). SQLite has no hash function,
so the same job is done by ``csc_row_hash`` (md5), a deterministic function registered on the
connection (it runs inside SQLite's query, in this process, as SQLite itself would).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.engine import Connection

from csc_complaints.db import sql_text

HASH_COLUMN = "_source_hash"
# Each hash is summed as two 32-bit numbers (its first 16 hex digits): a changed row moves the
# sums by a random 64-bit amount, so a change is missed with odds of 1 in 2**64.
HASH_PARTS = ((1, 8), (9, 8))


def row_hash(*values: Any) -> str:
    """``csc_row_hash`` on SQLite: md5 of the values with their types (1 and '1' differ)."""
    text = "\x1f".join(
        "\x1e" if value is None else f"{type(value).__name__}:{value!r}" for value in values
    )
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def hex_int(value: str | None) -> int | None:
    """``csc_hex_int`` on SQLite: a hex string's value."""
    return None if value is None else int(value, 16)


def register_functions(conn: Connection) -> None:
    """Prepare a connection to compute fingerprints: on SQLite, ``csc_row_hash`` and
    ``csc_hex_int``; on PostgreSQL (which has ``md5`` and bit strings) the ISO date style for
    its transaction, so a row renders the same whatever the server's default (a council's
    server may write dates as 31/12/2019)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL datestyle TO 'ISO, YMD'")
        return
    if conn.dialect.name != "sqlite":
        return
    dbapi = conn.connection.driver_connection
    dbapi.create_function("csc_row_hash", -1, row_hash, deterministic=True)
    dbapi.create_function("csc_hex_int", 1, hex_int, deterministic=True)


def row_hash_sql(dialect: str, alias: str, columns: list[str]) -> str:
    """SQL for the fingerprint of a row of ``alias`` made of ``columns``."""
    listed = ", ".join(f'{alias}."{name}"' for name in columns)
    if dialect == "postgresql":
        return f"lpad(to_hex(hashtextextended(CAST(ROW({listed}) AS text), 0)), 16, '0')"
    return f"csc_row_hash({listed})"


def hash_part_sql(dialect: str, expression: str, start: int, length: int) -> str:
    """SQL for the number held by ``length`` hex digits of a hash, from position ``start``."""
    digits = f"substr({expression}, {start}, {length})"
    if dialect == "postgresql":
        return f"CAST(CAST('x' || {digits} AS bit({4 * length})) AS bigint)"
    return f"csc_hex_int({digits})"


def extract_sql(source_table: str) -> str:
    """``include/sql/extract/<table>.sql`` ready to be wrapped as a subquery."""
    return sql_text("extract", source_table).strip().rstrip(";")


def key_range_sql(column: str, ranges: list[tuple[int, int]]) -> str:
    """``column`` within any of the (inclusive) ``ranges`` (whole numbers, so inlined)."""
    return " OR ".join(f"{column} BETWEEN {int(low)} AND {int(high)}" for low, high in ranges)
