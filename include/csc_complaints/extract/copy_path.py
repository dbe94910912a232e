"""Staging a table on a PostgreSQL warehouse: COPY into a temporary table, then one set-based
upsert (or, on a council's first load of the table, COPY straight into staging).

A million rows sent as Python dicts through executemany cost minutes; COPY and one
INSERT ... SELECT ... ON CONFLICT cost seconds. When the source is PostgreSQL too, its rows go
from the source's COPY TO STDOUT straight into the warehouse's COPY FROM STDIN without becoming
Python objects at all. Same transaction, same rule (write a row only when it changed).

Why one file of over 400 lines: the COPY path's three forms (first load, upsert through a
temporary table, source COPY piped straight in) share the column casts and the unreadable-value
checks, and are read together to see that each stages a row exactly as the row-by-row path does.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from sqlalchemy import BigInteger, Column, Identity, Integer, MetaData, Table, func, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex, DropTable

from csc_complaints.dates import ISO_DATE_SQL_PATTERN
from csc_complaints.extract.context import TableLoad
from csc_complaints.extract.pg_copy import copy_text, pipe_copy
from csc_complaints.extract.rows import (
    INTEGER_RANGE,
    UNREADABLE_DATE,
    ExtractError,
    batched,
    grouped_by_key,
    text_length,
    unreadable_problem,
    upsert_statement,
)

log = logging.getLogger(__package__)

# PostgreSQL type OIDs of source columns, by what the COPY pipe can do with them.
_PG_TIMESTAMP_OIDS = {1114, 1184}  # timestamp, timestamptz: a business date kept as a moment
_PG_DATE_OID = 1082
_PG_TEXT_OIDS = {25, 1042, 1043}  # text, char, varchar: ISO kept (stripped), else the marker
_PG_VARCHAR_OID = 1043
_PG_INT_OIDS = {21, 23}  # smallint, integer: staging's INTEGER holds them
_PG_BIGINT_OID = 20  # bigint: staged when within INTEGER's range
_PG_BOOL_OID = 16
# "COPY _extract_complaints, line 3, column team_id: ..." (the value after it is not kept)
_COPY_CONTEXT = re.compile(r"line (\d+)(?:, column (\w+))?")


def load_by_copy(load: TableLoad) -> None:
    """Stage one table on a PostgreSQL warehouse: COPY, then one set-based upsert (or, on the
    council's first load of the table, COPY straight into staging)."""
    warehouse, progress, shaper = load.run.warehouse, load.progress, load.shaper
    table, key = load.staging, load.key
    first_load = _nothing_staged(warehouse, table, load.run.council_code)
    if first_load and _copy_straight_into_staging(load):
        return
    landing = _temporary_table(load)
    warehouse.execute(CreateTable(landing))
    _copy_rows(load, landing.name)

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
            f"{load.source_table}: {missing_keys} row(s) have no {key} (or one staging cannot "
            "hold); every source row needs its key"
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
        # Its fingerprint is the largest of its copies', as the source comparison computes it.
        landed = (
            select(
                *(landing.c[name] for name in shaper.columns),
                landing.c._unreadable,
                func.max(landing.c._source_hash).over(partition_by=keyed).label("_source_hash"),
                func.sum(landing.c._source_copies).over(partition_by=keyed).label("_source_copies"),
            )
            .distinct(keyed)
            .order_by(keyed, landing.c._ordinal.desc())
            .subquery("latest")
        )
    rows = select(
        *(
            literal(load.run.council_code).label(c.name)
            if c.name == "council_code"
            else literal(load.run.run_id).label(c.name)
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
        statement = upsert_statement(warehouse, load.source_table, rows_from=rows)
    written = warehouse.execute(statement)
    progress.rows_written = max(written.rowcount, 0)
    warehouse.execute(DropTable(landing))
    _refresh_statistics(warehouse, table, progress.rows_written, load.run.council_code)


def _copy_straight_into_staging(load: TableLoad) -> bool:
    """The council's first load of a table: COPY straight into staging, no landing table.

    A first load is the whole source table (a new council, or a rebuild from an empty
    warehouse), so it is a bulk load: writing every row twice (landing table, then staging)
    and de-duplicating keys that are unique in any real source would double its cost. Staging's
    primary key still guards the rule: a key the source holds twice, or a row without a key,
    fails the COPY, which is rolled back to a savepoint (nothing staged) and False is returned,
    so the landing path stages the table and counts the copies (DQ01) or names the row.
    """
    warehouse, table = load.run.warehouse, load.staging
    savepoint = warehouse.begin_nested()
    try:
        # No council has rows in it (a new warehouse): PostgreSQL's own advice for a bulk load
        # applies, load first and build the indexes after, which is quicker than keeping them up
        # to date row by row. DDL is transactional: a failure restores them with the savepoint.
        rebuild_indexes = _nothing_staged(warehouse, table, council_code=None)
        if rebuild_indexes:
            _drop_indexes(warehouse, table)
        copied = _copy_rows(load, table.name, bookkeeping=("council_code", "_run_id"))
        if rebuild_indexes:
            _create_indexes(warehouse, table)  # the primary key refuses a duplicated key here
    except Exception as exc:
        if not _sqlstate(exc).startswith("23"):
            raise
        savepoint.rollback()  # an integrity violation (class 23): a duplicated or missing key
        log.info(
            "extract %s: %s; staging it through the landing table",
            load.source_table,
            " ".join(str(getattr(exc, "orig", exc)).split()),
        )
        return False
    savepoint.commit()
    rows_read, high_water_mark = warehouse.execute(
        select(
            func.coalesce(func.sum(table.c._source_copies), 0), func.max(table.c.updated_at)
        ).where(table.c.council_code == load.run.council_code)
    ).one()
    load.progress.rows_read = int(rows_read)
    load.progress.rows_written = copied
    load.progress.high_water_mark = high_water_mark
    _refresh_statistics(warehouse, table, copied, load.run.council_code)
    return True


def _temporary_table(load: TableLoad) -> Table:
    """The landing table of one extract: staging's columns, no constraints, arrival order kept.

    ``_source_copies`` is 1 per row COPY'd from the source (a duplicated key arrives as two
    rows) or the count already grouped in Python; ``_ordinal`` keeps the arrival order so the
    last copy of a key wins, as in the row-by-row path.
    """
    return Table(
        f"_extract_{load.source_table}",
        MetaData(),
        *(
            Column(name, load.staging.c[name].type)
            for name in (*load.shaper.columns, *load.shaper.derived)
        ),
        Column("_source_copies", Integer, nullable=False, server_default="1"),
        Column("_ordinal", BigInteger, Identity()),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _copy_rows(load: TableLoad, target: str, bookkeeping: tuple[str, ...] = ()) -> int:
    """COPY the source rows changed since ``load.since`` into the warehouse table ``target``.

    ``target`` takes the data columns, the derived ones (``_unreadable``, ``_source_hash``),
    ``_source_copies`` and then the ``bookkeeping`` columns (whose values are the same on every
    row). Returns the number of rows COPY wrote. A value the target still cannot hold stops the
    extract with the table, the row's position and the column named, never the value.
    """
    columns = [*load.shaper.columns, *load.shaper.derived, "_source_copies", *bookkeeping]
    quoted = ", ".join(f'"{name}"' for name in columns)
    copy_in = f"COPY {target} ({quoted}) FROM STDIN"
    cursor = load.run.warehouse.connection.driver_connection.cursor()
    try:
        cursor.execute("SET LOCAL datestyle TO 'ISO, YMD'")
        # Room to de-duplicate and hash a million keys in memory rather than on disk.
        cursor.execute("SET LOCAL work_mem TO '64MB'")
        piped = False
        if load.run.source.dialect.name == "postgresql":
            # One row per source row: a key the source holds twice arrives twice (DQ01).
            values = {"council_code": load.run.council_code, "_run_id": load.run.run_id}
            constants = (1, *(values[name] for name in bookkeeping))
            piped = _copy_from_postgres(load, cursor, copy_in, constants)
        if not piped:
            _copy_from_python(load, cursor, copy_in, bookkeeping)
        return max(cursor.rowcount, 0)
    except Exception as exc:
        if _sqlstate(exc).startswith("22"):
            # A data exception (class 22): a value staging cannot hold. PostgreSQL's message
            # and context quote the value, which may be personal data: only the position and
            # the column are kept, and the driver's error is not chained to this one.
            raise ExtractError(
                f"{load.source_table}: a source row holds a value staging cannot take "
                f"({_copy_position(exc)}; the Nth row this run read with "
                f"include/sql/extract/{load.source_table}.sql, in {load.key} order; "
                f"SQLSTATE {_sqlstate(exc)})"
            ) from None
        raise
    finally:
        cursor.close()


def _copy_from_python(
    load: TableLoad, cursor: Any, copy_in: str, bookkeeping: tuple[str, ...] = ()
) -> None:
    """Any source database: rows shaped in Python (as the row-by-row path), sent with COPY.

    Each row carries its data columns, its number of copies, then ``bookkeeping`` (e.g.
    ``council_code``, ``_run_id``), in the order ``copy_in`` lists them.
    """
    shaper = load.shaper
    rows = load.read_source()
    for batch in batched(grouped_by_key(rows, load.key, load.source_table), load.run.batch_size):
        buffer = io.StringIO()
        for row, copies in batch:
            staged = shaper.shape(row, copies)
            values = [staged[name] for name in (*shaper.columns, *shaper.derived)] + [copies]
            values += [staged[name] for name in bookkeeping]
            buffer.write("\t".join(map(copy_text, values)))
            buffer.write("\n")
        buffer.seek(0)
        cursor.copy_expert(copy_in, buffer)


def _source_select(load: TableLoad) -> str:
    """The extract SQL with its parameter bound, as the source server will run it."""
    query, params = load.source_query()
    source = load.run.source
    compiled = query.compile(dialect=source.dialect)
    with source.connection.driver_connection.cursor() as cursor:
        return cursor.mogrify(compiled.string, params).decode()


def _copy_from_postgres(
    load: TableLoad, cursor: Any, copy_in: str, constants: tuple[Any, ...] = ()
) -> bool:
    """PostgreSQL source: its COPY TO STDOUT piped into the warehouse's COPY FROM STDIN.

    The extract SQL is wrapped so that the columns come in staging's order and are read as
    staging reads them (csc_complaints.extract.rows): business dates as ISO text (a timestamp
    source column gives its date, a text one is stripped, anything else the marker), a bigint
    outside INTEGER's range or a text longer than its column as NULL, with ``_unreadable``
    saying so; then the row's fingerprint and ``constants`` (the same on every row: the number
    of copies, council code and run id of a load straight into staging), which the source
    server adds as literals. A thread writes the source's COPY into a pipe while this one reads
    it into the warehouse, so memory stays flat at any size.

    Returns False, having copied nothing, when a source column's type is one only the Python
    path reads (text in a number's or a flag's place, a number in a date's): the caller then
    stages the table row by row through Python, which reads any value.
    """
    shaper = load.shaper
    select_sql = _source_select(load)
    source_dbapi = load.run.source.connection.driver_connection
    with source_dbapi.cursor() as probe:
        probe.execute("SET LOCAL datestyle TO 'ISO, YMD'")
        probe.execute(f"SELECT * FROM ({select_sql}) AS q LIMIT 0")
        types = {column.name: column.type_code for column in probe.description}
        # A varchar(n)'s n (psycopg2 gives it as the column's internal size; -1: no limit).
        sizes = {column.name: column.internal_size for column in probe.description}
    shaper.check_selected(types)
    expressions, problems = [], []
    for name in shaper.columns:
        read = _piped_value(load, name, types[name], sizes[name])
        if read is None:
            log.info(
                "extract %s: source column %s is of a type the Python path reads; staging the "
                "table through Python",
                load.source_table,
                name,
            )
            return False
        value, unreadable_when = read
        expressions.append(value)
        if unreadable_when:
            problem = unreadable_problem(load.source_table, name).replace("'", "''")
            problems.append(f"CASE WHEN {unreadable_when} THEN '{problem}' END")
    for name in shaper.derived:
        if name == "_unreadable":
            joined = f"NULLIF(concat_ws('; ', {', '.join(problems)}), '')" if problems else None
            expressions.append(joined or "CAST(NULL AS text)")
        else:
            expressions.append(f'q."{name}"')
    if constants:
        with source_dbapi.cursor() as quoting:
            expressions += [quoting.mogrify("%s", (value,)).decode() for value in constants]
    copy_out = f"COPY (SELECT {', '.join(expressions)} FROM ({select_sql}) AS q) TO STDOUT"

    pipe_copy(source_dbapi, copy_out, cursor, copy_in)
    return True


def _piped_value(
    load: TableLoad, name: str, type_oid: int, size: int | None = None
) -> tuple[str, str | None] | None:
    """(SQL for the staged value, SQL true when it cannot be read) of source column ``name``
    of type ``type_oid`` (and declared length ``size``, for a varchar); None when only the
    Python path can read it."""
    kind = load.shaper.kind[name]
    quoted = f'q."{name}"'
    if kind == "date":
        if type_oid == _PG_DATE_OID:
            return quoted, None
        if type_oid in _PG_TIMESTAMP_OIDS:
            return f"CAST({quoted} AS date)", None
        if type_oid in _PG_TEXT_OIDS:
            # As rows.as_iso_date: ISO text kept (stripped), anything else staged as the marker.
            return (
                f"CASE WHEN {quoted} IS NULL THEN NULL "
                f"WHEN btrim({quoted}) ~ '{ISO_DATE_SQL_PATTERN}' THEN btrim({quoted}) "
                f"ELSE '{UNREADABLE_DATE}' END"
            ), None
        return None
    if kind == "timestamp":
        return (quoted, None) if type_oid in {*_PG_TIMESTAMP_OIDS, _PG_DATE_OID} else None
    if kind == "bool":
        return (quoted, None) if type_oid == _PG_BOOL_OID else None
    if kind == "int":
        if type_oid in _PG_INT_OIDS:
            return quoted, None
        if type_oid == _PG_BIGINT_OID:
            low, high = INTEGER_RANGE
            within = f"{quoted} BETWEEN {low} AND {high}"
            return f"CASE WHEN {within} THEN {quoted} END", f"NOT ({within})"
        return None
    if type_oid not in _PG_TEXT_OIDS:
        return None
    as_text = f"CAST({quoted} AS text)"
    length = text_length(load.source_table, name)
    if length is None or (type_oid == _PG_VARCHAR_OID and size is not None and 0 < size <= length):
        return as_text, None  # nothing the source's column holds can be too long
    return (
        f"CASE WHEN char_length({as_text}) <= {length} THEN {as_text} END",
        f"char_length({as_text}) > {length}",
    )


def _copy_position(exc: BaseException) -> str:
    """Where COPY failed ("line 3, column team_id"), from the error's context, without the
    value PostgreSQL quotes after it."""
    diag = getattr(getattr(exc, "orig", exc), "diag", None)
    found = _COPY_CONTEXT.search(getattr(diag, "context", None) or "")
    if not found:
        return "position unknown"
    line, column = found.groups()
    return f"line {line}" + (f", column {column}" if column else "")


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


def _refresh_statistics(
    warehouse: Connection, table: Table, rows_written: int, council_code: str
) -> None:
    """ANALYZE a staging table whose rows of the council changed a lot, as autovacuum would for
    a table, but at once.

    The row checks and the build query staging right after the extract: without statistics
    PostgreSQL takes a just-loaded table of a million rows for an empty one and joins it by
    nested loops (minutes instead of seconds). The threshold is autovacuum's (50 rows + 10%),
    of the table and of the council's own rows: in a shared warehouse a new council's 7,000
    rows are under 10% of the table, but until they are analysed the planner expects one row
    for its code, and a nested loop over its stage rows took 25 s where a hash join takes 0.1 s
    (150 councils, ``make bench``). A daily extract of a few changed rows does not pay for it.
    """
    estimate = warehouse.exec_driver_sql(
        "SELECT reltuples FROM pg_class WHERE oid = CAST(%(name)s AS regclass)",
        {"name": table.name},
    ).scalar()
    stale = estimate is None or estimate < 0 or rows_written > 50 + 0.1 * estimate
    if not stale and rows_written > 50:
        council_rows = warehouse.execute(
            select(func.count()).select_from(table).where(table.c.council_code == council_code)
        ).scalar_one()
        stale = rows_written > 50 + 0.1 * max(council_rows - rows_written, 0)
    if stale:
        warehouse.exec_driver_sql(f"ANALYZE {table.name}")
