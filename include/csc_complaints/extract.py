"""The incremental extract: source rows changed since the high-water mark, into staging.

Each run reads every source row whose ``updated_at`` is later than the table's high-water mark
less a small overlap (settings ``extract_overlap_minutes``), so a missed day, a retry or a manual
run never loses a row, and upserts it into ``stg_<table>`` by key. A row is only written when
something in it changed, so re-reading the overlap (or re-running the same extract) writes
nothing. The two reference tables are small and copied whole.

Everything the run writes to the warehouse, the high-water marks included, is one transaction:
a failure half-way leaves the warehouse, and so the next run's starting point, as it was.

On a PostgreSQL warehouse the changed rows are not sent row by row: they are COPY'd into a
temporary table (straight from the source's own COPY when the source is PostgreSQL too) and
staged with one set-based INSERT ... ON CONFLICT DO UPDATE ... WHERE changed per table, so a
million rows take seconds and memory stays flat. A council's first load of a table (nothing of
it staged yet) is a bulk load and is COPY'd straight into staging; into a staging table no
council has rows in yet, with its indexes built after the load. SQLite keeps the batched
executemany path.

Only the columns the extract SQL selects (``include/sql/extract/<table>.sql``) are copied: no
complainant, name, contact detail or free-text summary ever leaves the source.
"""

from __future__ import annotations

import io
import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Identity,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex, DropTable

from csc_complaints.dates import ISO_DATE_PATTERN, ISO_DATE_SQL_PATTERN
from csc_complaints.db import sql
from csc_complaints.pg_copy import copy_text, pipe_copy
from csc_complaints.settings import Settings
from csc_complaints.warehouse.schema import (
    REFERENCE_TABLES,
    STAGING,
    create_warehouse_schema,
    etl_extract_runs,
    etl_watermarks,
)

log = logging.getLogger(__name__)

BOOKKEEPING = {"council_code", "_run_id", "_source_copies"}
TIMESTAMPS = ("updated_at", "deleted_at")


class ExtractError(RuntimeError):
    """The source gave something the extract cannot stage; the message names table and key."""


@dataclass
class TableExtract:
    source_table: str
    read_since: datetime | None
    rows_read: int = 0
    rows_written: int = 0
    source_rows: int = 0
    high_water_mark: datetime | None = None


@dataclass
class ExtractResult:
    run_id: str
    council_code: str
    started_at: datetime
    tables: dict[str, TableExtract] = field(default_factory=dict)

    @property
    def rows_written(self) -> int:
        return sum(t.rows_written for t in self.tables.values())

    def summary(self) -> str:
        return ", ".join(
            f"{name}: read {t.rows_read}, wrote {t.rows_written}" for name, t in self.tables.items()
        )


# A business date the source holds as text that is not an ISO date is staged as this marker,
# not as the text: DQ02 reports the row as unreadable either way, and whatever someone typed
# into a date field (a name, a phone number) must not leave the source.
UNREADABLE_DATE = "unreadable"


def _as_iso_date(value: Any) -> str | None:
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


def _as_timestamp(value: Any, table: str, key: Any, column: str) -> datetime | None:
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


class _RowShaper:
    """Turns source rows into staging rows for one table (types normalised per column)."""

    def __init__(self, source_table: str, council_code: str, run_id: str):
        self.table, self.key = STAGING[source_table]
        self.source_table = source_table
        self.council_code = council_code
        self.run_id = run_id
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

    def shape(self, row: dict[str, Any], copies: int) -> dict[str, Any]:
        missing = [c for c in self.columns if c not in row]
        if missing:
            raise ExtractError(
                f"include/sql/extract/{self.source_table}.sql does not select {', '.join(missing)}"
            )
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
                value = _as_iso_date(value)
            elif kind == "timestamp":
                value = _as_timestamp(value, self.source_table, key, name)
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


def _grouped_by_key(rows: Iterable[dict[str, Any]], key: str, table: str) -> Iterator[tuple]:
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


def _upsert_statement(conn: Connection, source_table: str, rows_from=None):
    """INSERT ... ON CONFLICT DO UPDATE, but only where a column really changed.

    Without ``rows_from`` the statement takes parameter rows (executemany); with it, the rows of
    that SELECT (one set-based statement), whose columns are the staging table's, in order.
    """
    table, key = STAGING[source_table]
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    if rows_from is not None:
        stmt = stmt.from_select([c.name for c in table.columns], rows_from)
    data_columns = [c.name for c in table.columns if c.name not in {"council_code", key, "_run_id"}]
    changed = or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in data_columns))
    return stmt.on_conflict_do_update(
        index_elements=["council_code", key],
        set_={c: stmt.excluded[c] for c in [*data_columns, "_run_id"]},
        where=changed,
    )


def _read_source(
    source: Connection, source_table: str, since: datetime | None, batch_size: int
) -> Iterator[dict[str, Any]]:
    query = sql("extract", source_table)
    if source_table not in REFERENCE_TABLES:
        query = query.bindparams(bindparam("since", type_=DateTime()))
    params = {} if source_table in REFERENCE_TABLES else {"since": since}
    result = source.execution_options(stream_results=True, yield_per=batch_size).execute(
        query, params
    )
    for row in result.mappings():
        yield dict(row)


def _load_table(
    source: Connection,
    warehouse: Connection,
    source_table: str,
    since: datetime | None,
    shaper: _RowShaper,
    batch_size: int,
    progress: TableExtract,
) -> None:
    if warehouse.dialect.name == "postgresql" and source_table not in REFERENCE_TABLES:
        _load_table_by_copy(source, warehouse, source_table, since, shaper, batch_size, progress)
        return
    table, key = STAGING[source_table]
    upsert = _upsert_statement(warehouse, source_table)
    rows = _read_source(source, source_table, since, batch_size)
    if source_table in REFERENCE_TABLES:
        # Small, and keyed by text whose sort order differs between databases: count in memory.
        all_rows = list(rows)
        copies = Counter(r[key] for r in all_rows)
        last = {r[key]: r for r in all_rows}
        grouped: Iterable[tuple] = ((last[k], copies[k]) for k in last)
    else:
        grouped = _grouped_by_key(rows, key, source_table)

    seen_keys = []
    for batch in _batched(grouped, batch_size):
        staged = [shaper.shape(row, copies) for row, copies in batch]
        progress.rows_read += sum(copies for _, copies in batch)
        for row in staged:
            stamp = row.get("updated_at")
            if stamp is not None and (
                progress.high_water_mark is None or stamp > progress.high_water_mark
            ):
                progress.high_water_mark = stamp
        warehouse.execute(upsert, staged)
        if source_table in REFERENCE_TABLES:
            seen_keys.extend(r[key] for r in staged)

    if source_table in REFERENCE_TABLES:
        # A reference row removed from the source leaves staging too (copied whole).
        gone = delete(table).where(table.c.council_code == shaper.council_code)
        if seen_keys:
            gone = gone.where(table.c[key].not_in(seen_keys))
        warehouse.execute(gone)

    progress.rows_written = warehouse.execute(
        select(func.count())
        .select_from(table)
        .where(and_(table.c.council_code == shaper.council_code, table.c._run_id == shaper.run_id))
    ).scalar_one()


# --- PostgreSQL warehouse: COPY into a temporary table, then one set-based upsert -------------
# A million rows sent as Python dicts through executemany cost minutes; COPY and one
# INSERT ... SELECT ... ON CONFLICT cost seconds. When the source is PostgreSQL too, its rows go
# from the source's COPY TO STDOUT straight into the warehouse's COPY FROM STDIN without becoming
# Python objects at all. Same transaction, same rule (write a row only when it changed).

# PostgreSQL type OIDs of the source columns that need converting into staging's ISO date text.
_PG_TIMESTAMP_OIDS = {1114, 1184}  # timestamp, timestamptz: a business date kept as a moment
_PG_TEXT_OIDS = {25, 1042, 1043}  # text, char, varchar: ISO kept (stripped), else the marker


def _temporary_table(source_table: str, shaper: _RowShaper) -> Table:
    """The landing table of one extract: staging's columns, no constraints, arrival order kept.

    ``_source_copies`` is 1 per row COPY'd from the source (a duplicated key arrives as two
    rows) or the count already grouped in Python; ``_ordinal`` keeps the arrival order so the
    last copy of a key wins, as in the row-by-row path.
    """
    table, _ = STAGING[source_table]
    return Table(
        f"_extract_{source_table}",
        MetaData(),
        *(Column(name, table.c[name].type) for name in shaper.columns),
        Column("_source_copies", Integer, nullable=False, server_default="1"),
        Column("_ordinal", BigInteger, Identity()),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _copy_from_python(
    source: Connection,
    cursor: Any,
    copy_in: str,
    source_table: str,
    since: datetime | None,
    shaper: _RowShaper,
    batch_size: int,
    bookkeeping: tuple[str, ...] = (),
) -> None:
    """Any source database: rows shaped in Python (as the row-by-row path), sent with COPY.

    Each row carries its data columns, its number of copies, then ``bookkeeping`` (e.g.
    ``council_code``, ``_run_id``), in the order ``copy_in`` lists them.
    """
    _, key = STAGING[source_table]
    rows = _read_source(source, source_table, since, batch_size)
    for batch in _batched(_grouped_by_key(rows, key, source_table), batch_size):
        buffer = io.StringIO()
        for row, copies in batch:
            staged = shaper.shape(row, copies)
            values = [staged[name] for name in shaper.columns] + [copies]
            values += [staged[name] for name in bookkeeping]
            buffer.write("\t".join(map(copy_text, values)))
            buffer.write("\n")
        buffer.seek(0)
        cursor.copy_expert(copy_in, buffer)


def _source_select(source: Connection, source_table: str, since: datetime | None) -> str:
    """The extract SQL with its parameter bound, as the source server will run it."""
    query = sql("extract", source_table).bindparams(bindparam("since", type_=DateTime()))
    compiled = query.compile(dialect=source.dialect)
    params = {} if source_table in REFERENCE_TABLES else {"since": since}
    with source.connection.driver_connection.cursor() as cursor:
        return cursor.mogrify(compiled.string, params).decode()


def _copy_from_postgres(
    source: Connection,
    cursor: Any,
    copy_in: str,
    source_table: str,
    since: datetime | None,
    shaper: _RowShaper,
    constants: tuple[Any, ...] = (),
) -> None:
    """PostgreSQL source: its COPY TO STDOUT piped into the warehouse's COPY FROM STDIN.

    The extract SQL is wrapped so that the columns come in staging's order and business dates
    arrive as staging holds them (ISO text: a timestamp source column gives its date, a text
    one is stripped), followed by ``constants`` (the same on every row: the number of copies,
    council code and run id of a load straight into staging), which the source server adds as
    literals. A thread writes the source's COPY into a pipe while this one reads it into the
    warehouse, so memory stays flat at any size.
    """
    select_sql = _source_select(source, source_table, since)
    source_dbapi = source.connection.driver_connection
    with source_dbapi.cursor() as probe:
        probe.execute("SET LOCAL datestyle TO 'ISO, YMD'")
        probe.execute(f"SELECT * FROM ({select_sql}) AS q LIMIT 0")
        types = {column.name: column.type_code for column in probe.description}
    missing = [c for c in shaper.columns if c not in types]
    if missing:
        raise ExtractError(
            f"include/sql/extract/{source_table}.sql does not select {', '.join(missing)}"
        )
    expressions = []
    for name in shaper.columns:
        quoted = f'q."{name}"'
        if shaper.kind.get(name) == "date" and types[name] in _PG_TIMESTAMP_OIDS:
            quoted = f"CAST({quoted} AS date)"
        elif shaper.kind.get(name) == "date" and types[name] in _PG_TEXT_OIDS:
            # As _as_iso_date: ISO text kept (stripped), anything else staged as the marker.
            quoted = (
                f"CASE WHEN {quoted} IS NULL THEN NULL "
                f"WHEN btrim({quoted}) ~ '{ISO_DATE_SQL_PATTERN}' THEN btrim({quoted}) "
                f"ELSE '{UNREADABLE_DATE}' END"
            )
        expressions.append(quoted)
    if constants:
        with source_dbapi.cursor() as quoting:
            expressions += [quoting.mogrify("%s", (value,)).decode() for value in constants]
    copy_out = f"COPY (SELECT {', '.join(expressions)} FROM ({select_sql}) AS q) TO STDOUT"

    pipe_copy(source_dbapi, copy_out, cursor, copy_in)


def _copy_rows(
    source: Connection,
    warehouse: Connection,
    target: str,
    source_table: str,
    since: datetime | None,
    shaper: _RowShaper,
    batch_size: int,
    bookkeeping: tuple[str, ...] = (),
) -> int:
    """COPY the source rows changed since ``since`` into the warehouse table ``target``.

    ``target`` takes the data columns, ``_source_copies`` and then the ``bookkeeping`` columns
    (whose values are the same on every row). Returns the number of rows COPY wrote. A value the
    target cannot hold stops the extract with the table and the row named.
    """
    _, key = STAGING[source_table]
    columns = [*shaper.columns, "_source_copies", *bookkeeping]
    quoted = ", ".join(f'"{name}"' for name in columns)
    copy_in = f"COPY {target} ({quoted}) FROM STDIN"
    cursor = warehouse.connection.driver_connection.cursor()
    try:
        cursor.execute("SET LOCAL datestyle TO 'ISO, YMD'")
        # Room to de-duplicate and hash a million keys in memory rather than on disk.
        cursor.execute("SET LOCAL work_mem TO '64MB'")
        if source.dialect.name == "postgresql":
            # One row per source row: a key the source holds twice arrives twice (DQ01).
            values = {"council_code": shaper.council_code, "_run_id": shaper.run_id}
            constants = (1, *(values[name] for name in bookkeeping))
            _copy_from_postgres(source, cursor, copy_in, source_table, since, shaper, constants)
        else:
            _copy_from_python(
                source, cursor, copy_in, source_table, since, shaper, batch_size, bookkeeping
            )
        return max(cursor.rowcount, 0)
    except Exception as exc:
        if _sqlstate(exc).startswith("22"):
            # A data exception (class 22): a value staging cannot hold; PostgreSQL names the
            # row and column ("COPY ..., line N, column C: value").
            raise ExtractError(
                f"{source_table}: a source row holds a value staging cannot take "
                f"(line N: the Nth row this run read with include/sql/extract/{source_table}.sql, "
                f"in {key} order): {str(exc).strip()}"
            ) from exc
        raise
    finally:
        cursor.close()


def _sqlstate(exc: BaseException) -> str:
    """PostgreSQL's SQLSTATE of a failure ('' if it has none): COPY on the driver's cursor
    raises psycopg2's own error, a statement through SQLAlchemy wraps it (``.orig``)."""
    return str(getattr(getattr(exc, "orig", exc), "pgcode", None) or "")


def _nothing_staged(warehouse: Connection, table: Table, council_code: str | None) -> bool:
    """No row of ``council_code`` in ``table`` (None: no row of any council)."""
    found = select(table.c.council_code).limit(1)
    if council_code is not None:
        found = found.where(table.c.council_code == council_code)
    return warehouse.execute(found).first() is None


def _drop_indexes(warehouse: Connection, table: Table) -> None:
    """Drop a staging table's primary key and indexes (PostgreSQL names the key <table>_pkey)."""
    warehouse.exec_driver_sql(f"ALTER TABLE {table.name} DROP CONSTRAINT {table.name}_pkey")
    for index in table.indexes:
        warehouse.execute(DropIndex(index))


def _create_indexes(warehouse: Connection, table: Table) -> None:
    """Build a staging table's primary key and indexes again, as its schema defines them."""
    # As text, not SQLAlchemy's AddConstraint, which marks the shared table definition so that
    # a later CREATE TABLE (another warehouse, in the same process) would leave the key out.
    key = ", ".join(column.name for column in table.primary_key.columns)
    warehouse.exec_driver_sql(f"ALTER TABLE {table.name} ADD PRIMARY KEY ({key})")
    for index in table.indexes:
        warehouse.execute(CreateIndex(index))


def _copy_straight_into_staging(
    source: Connection,
    warehouse: Connection,
    source_table: str,
    since: datetime | None,
    shaper: _RowShaper,
    batch_size: int,
    progress: TableExtract,
) -> bool:
    """The council's first load of a table: COPY straight into staging, no landing table.

    A first load is the whole source table (a new council, or a rebuild from an empty
    warehouse), so it is a bulk load: writing every row twice (landing table, then staging)
    and de-duplicating keys that are unique in any real source would double its cost. Staging's
    primary key still guards the rule: a key the source holds twice, or a row without a key,
    fails the COPY, which is rolled back to a savepoint (nothing staged) and False is returned,
    so the landing path stages the table and counts the copies (DQ01) or names the row.
    """
    table, _ = STAGING[source_table]
    savepoint = warehouse.begin_nested()
    try:
        # No council has rows in it (a new warehouse): PostgreSQL's own advice for a bulk load
        # applies, load first and build the indexes after, which is quicker than keeping them up
        # to date row by row. DDL is transactional: a failure restores them with the savepoint.
        rebuild_indexes = _nothing_staged(warehouse, table, council_code=None)
        if rebuild_indexes:
            _drop_indexes(warehouse, table)
        copied = _copy_rows(
            source,
            warehouse,
            table.name,
            source_table,
            since,
            shaper,
            batch_size,
            bookkeeping=("council_code", "_run_id"),
        )
        if rebuild_indexes:
            _create_indexes(warehouse, table)  # the primary key refuses a duplicated key here
    except Exception as exc:
        if not _sqlstate(exc).startswith("23"):
            raise
        savepoint.rollback()  # an integrity violation (class 23): a duplicated or missing key
        log.info(
            "extract %s: %s; staging it through the landing table",
            source_table,
            " ".join(str(getattr(exc, "orig", exc)).split()),
        )
        return False
    savepoint.commit()
    rows_read, high_water_mark = warehouse.execute(
        select(
            func.coalesce(func.sum(table.c._source_copies), 0), func.max(table.c.updated_at)
        ).where(table.c.council_code == shaper.council_code)
    ).one()
    progress.rows_read = int(rows_read)
    progress.rows_written = copied
    progress.high_water_mark = high_water_mark
    _refresh_statistics(warehouse, table, copied)
    return True


def _load_table_by_copy(
    source: Connection,
    warehouse: Connection,
    source_table: str,
    since: datetime | None,
    shaper: _RowShaper,
    batch_size: int,
    progress: TableExtract,
) -> None:
    """Stage one table on a PostgreSQL warehouse: COPY, then one set-based upsert (or, on the
    council's first load of the table, COPY straight into staging)."""
    table, key = STAGING[source_table]
    first_load = _nothing_staged(warehouse, table, shaper.council_code)
    if first_load and _copy_straight_into_staging(
        source, warehouse, source_table, since, shaper, batch_size, progress
    ):
        return
    landing = _temporary_table(source_table, shaper)
    warehouse.execute(CreateTable(landing))
    _copy_rows(source, warehouse, landing.name, source_table, since, shaper, batch_size)

    keyed = landing.c[key]
    rows_read, missing_keys, high_water_mark = warehouse.execute(
        select(
            func.coalesce(func.sum(landing.c._source_copies), 0),
            func.count().filter(keyed.is_(None)),
            func.max(landing.c.updated_at),
        )
    ).one()
    if missing_keys:
        raise ExtractError(
            f"{source_table}: {missing_keys} row(s) have no {key}; every source row needs its key"
        )
    progress.rows_read = int(rows_read)
    progress.high_water_mark = high_water_mark

    duplicated = warehouse.execute(
        select(keyed).group_by(keyed).having(func.count() > 1).limit(1)
    ).first()
    if duplicated is None:
        landed = landing  # one row per key already: no sort needed
    else:
        # One row per key: the last copy to arrive, with how many copies the source holds (DQ01).
        landed = (
            select(
                *(landing.c[name] for name in shaper.columns),
                func.sum(landing.c._source_copies).over(partition_by=keyed).label("_source_copies"),
            )
            .distinct(keyed)
            .order_by(keyed, landing.c._ordinal.desc())
            .subquery("latest")
        )
    rows = select(
        *(
            literal(shaper.council_code).label(c.name)
            if c.name == "council_code"
            else literal(shaper.run_id).label(c.name)
            if c.name == "_run_id"
            else landed.c[c.name]
            for c in table.columns
        )
    )
    if first_load:
        # Nothing staged for the council yet: a plain bulk INSERT (no conflict can arise; were
        # one to, by a concurrent run, the unique key would fail the whole transaction).
        statement = table.insert().from_select([c.name for c in table.columns], rows)
    else:
        statement = _upsert_statement(warehouse, source_table, rows_from=rows)
    written = warehouse.execute(statement)
    progress.rows_written = max(written.rowcount, 0)
    warehouse.execute(DropTable(landing))
    _refresh_statistics(warehouse, table, progress.rows_written)


def _refresh_statistics(warehouse: Connection, table: Table, rows_written: int) -> None:
    """ANALYZE a staging table that changed a lot, as autovacuum would, but at once.

    The row checks query staging right after the extract: without statistics PostgreSQL takes
    a just-loaded table of a million rows for an empty one and joins it by nested loops (minutes
    instead of seconds). Same threshold as autovacuum's (50 rows + 10%), so a daily extract of a
    few changed rows does not pay for it.
    """
    estimate = warehouse.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = CAST(%(name)s AS regclass)",
        {"name": table.name},
    ).scalar()
    if estimate is None or estimate < 0 or rows_written > 50 + 0.1 * estimate:
        warehouse.exec_driver_sql(f"ANALYZE {table.name}")


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to ``size`` items (``itertools.batched`` arrives only in Python 3.12)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _watermarks(warehouse: Connection, council_code: str) -> dict[str, datetime]:
    rows = warehouse.execute(
        select(etl_watermarks.c.source_table, etl_watermarks.c.high_water_mark).where(
            etl_watermarks.c.council_code == council_code
        )
    )
    return {name: mark for name, mark in rows}


def _save_watermark(
    warehouse: Connection, council_code: str, source_table: str, mark: datetime, run_id: str
) -> None:
    insert = postgresql.insert if warehouse.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(etl_watermarks).values(
        council_code=council_code, source_table=source_table, high_water_mark=mark, run_id=run_id
    )
    warehouse.execute(
        stmt.on_conflict_do_update(
            index_elements=["council_code", "source_table"],
            set_={"high_water_mark": mark, "run_id": run_id},
            where=etl_watermarks.c.high_water_mark < mark,
        )
    )


def _source_connection(source_engine: Engine) -> Connection:
    """A read-only connection; on PostgreSQL one snapshot for every table and the counts."""
    conn = source_engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return conn


def _count_source_rows(source: Connection) -> dict[str, int]:
    return {name: int(count) for name, count in source.execute(sql("extract", "source_counts"))}


def _start_source_counts(
    source_engine: Engine, source: Connection, pool: ThreadPoolExecutor
) -> Future:
    """The source's row counts (RC01), as a future.

    On PostgreSQL a second connection imports the extract's snapshot (``pg_export_snapshot``),
    so the counts describe exactly the rows the extract reads, and runs them concurrently.
    Elsewhere they are counted here, on the extract's own connection.
    """
    if source.dialect.name != "postgresql":
        done: Future = Future()
        done.set_result(_count_source_rows(source))
        return done
    snapshot = source.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()

    def count_in_snapshot() -> dict[str, int]:
        with _source_connection(source_engine) as other:
            # Must be the transaction's first statement; the snapshot id is the server's own.
            other.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            counts = _count_source_rows(other)
            other.rollback()
            return counts

    return pool.submit(count_in_snapshot)


def run_extract(
    source_engine: Engine,
    warehouse_engine: Engine,
    settings: Settings,
    run_id: str,
    *,
    now: datetime | None = None,
) -> ExtractResult:
    """Copy what changed in the source since the last successful extract into staging."""
    create_warehouse_schema(warehouse_engine)
    council = settings.council_code
    started_at = (now or datetime.now(UTC)).replace(tzinfo=None)
    result = ExtractResult(run_id=run_id, council_code=council, started_at=started_at)
    overlap = timedelta(minutes=settings.extract_overlap_minutes)

    with (
        _source_connection(source_engine) as source,
        warehouse_engine.begin() as warehouse,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="source-counts") as pool,
    ):
        marks = _watermarks(warehouse, council)
        # RC01's counts scan the whole source (proportional to its size, not to what changed):
        # on PostgreSQL they run on a second connection, in the same snapshot, while the
        # tables are copied.
        counting = _start_source_counts(source_engine, source, pool)
        finished_at: dict[str, datetime] = {}
        for source_table in STAGING:
            mark = marks.get(source_table)
            since = None if source_table in REFERENCE_TABLES or mark is None else mark - overlap
            progress = TableExtract(source_table, read_since=since)
            shaper = _RowShaper(source_table, council, run_id)
            _load_table(
                source, warehouse, source_table, since, shaper, settings.batch_size, progress
            )
            if progress.high_water_mark is not None and source_table not in REFERENCE_TABLES:
                _save_watermark(warehouse, council, source_table, progress.high_water_mark, run_id)
            finished_at[source_table] = datetime.now(UTC).replace(tzinfo=None)
            result.tables[source_table] = progress
            log.info(
                "extract %s: since %s, read %d, wrote %d",
                source_table,
                since,
                progress.rows_read,
                progress.rows_written,
            )
        source_rows = counting.result()
        for source_table, progress in result.tables.items():
            progress.source_rows = int(source_rows.get(source_table, 0))
            warehouse.execute(
                delete(etl_extract_runs).where(
                    and_(
                        etl_extract_runs.c.council_code == council,
                        etl_extract_runs.c.run_id == run_id,
                        etl_extract_runs.c.source_table == source_table,
                    )
                )
            )
            warehouse.execute(
                etl_extract_runs.insert().values(
                    council_code=council,
                    run_id=run_id,
                    source_table=source_table,
                    read_since=progress.read_since,
                    rows_read=progress.rows_read,
                    rows_written=progress.rows_written,
                    source_rows=progress.source_rows,
                    started_at=started_at,
                    finished_at=finished_at[source_table],
                )
            )
    return result
