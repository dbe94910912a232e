"""The year's open data: a CSV file per stats table, its data dictionary and CSVW metadata.

Driven by the declarations of ``csc_complaints.report.open_data_tables``: each file's rows are
its stats table's rows for the year, every key of its zero-fill domain added with a zero (a row
the stats table lacks means zero, docs/warehouse.md), a label beside each code, the derived
columns (a timescale's target and percentage) and a ``status`` column (draft or final). Nothing
is counted here: every number is a stats table's, a zero for a missing row, or computed from
the row as the report computes it.

Written to ``<output>/<YYYY-YY>/csv/``: the CSV files, ``README.md`` (every file and column with
its meaning, unit and counting rule, and the licence) and ``metadata.json`` (W3C CSV on the Web).
Everything is sorted and carries no time, so a rebuild from the same figures is byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csc_complaints.report.open_data_tables import (
    COMMON_COLUMNS,
    OPEN_DATA_TABLES,
    OpenDataColumn,
    OpenDataContext,
    OpenDataTable,
    Row,
)
from csc_complaints.report.safe_text import csv_text
from csc_complaints.warehouse.schema import PUBLISHED_STATS_TABLES

README = "README.md"
CSVW_METADATA = "metadata.json"
LICENCE_NAME = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"
CSVW_DATATYPES = {"string", "integer", "decimal"}


@dataclass(frozen=True)
class OpenDataFile:
    """One CSV file's content: its declaration, header and rows (cells as written)."""

    table: OpenDataTable
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def columns_of(table: OpenDataTable) -> tuple[OpenDataColumn, ...]:
    return (*COMMON_COLUMNS, *table.columns)


def _key(row: Row, table: OpenDataTable) -> tuple:
    return tuple(str(row[name]) for name in table.key)


def _domain(table: OpenDataTable, context: OpenDataContext) -> list[Row]:
    """Every key row the table lists for the year, in the domain's order."""
    rows: list[Row] = [{}]
    for dimension in table.zero_fill:
        rows = [{**keys, **more} for keys in rows for more in dimension(keys, context)]
    return rows if table.zero_fill else []


def table_rows(
    table: OpenDataTable, stats: tuple[tuple[str, ...], list[tuple]], context: OpenDataContext
) -> list[Row]:
    """The stats rows of the year, the domain's missing keys added with zero counts.

    A stats row outside the domain is kept (after the domain's rows, in the stats table's
    order), so no published figure is ever dropped.
    """
    names, values = stats
    found = {}
    for value in values:
        row = dict(zip(names, value, strict=True))
        found[_key(row, table)] = row
    counts = [
        c.stats_column
        for c in table.columns
        if c.stats_column and c.datatype == "integer" and c.stats_column not in table.key
    ]
    rows: list[Row] = []
    for keys in _domain(table, context):
        row = found.pop(_key(keys, table), None)
        if row is None:
            row = {
                "council_code": context.council_code,
                "financial_year": context.financial_year,
                **{name: 0 for name in counts},
                **keys,
            }
        rows.append(row)
    return rows + list(found.values())


def _cell(column: OpenDataColumn, row: Row, context: OpenDataContext) -> Any:
    # A zero-filled row holds its keys and zero counts; any other figure (a mean) is empty.
    value = column.value(row, context) if column.value else row.get(column.stats_column)
    return "" if value is None else value


def build_file(
    table: OpenDataTable, stats: tuple[tuple[str, ...], list[tuple]], context: OpenDataContext
) -> OpenDataFile:
    columns = columns_of(table)
    missing = [c.stats_column for c in columns if c.stats_column and c.stats_column not in stats[0]]
    if missing:
        raise ValueError(
            f"{table.file_name}: {table.stats_table} has no column {', '.join(missing)}"
        )
    return OpenDataFile(
        table=table,
        header=tuple(c.name for c in columns),
        rows=tuple(
            tuple(_cell(c, row, context) for c in columns)
            for row in table_rows(table, stats, context)
        ),
    )


def open_data_files(
    stats: dict[str, tuple[tuple[str, ...], list[tuple]]], context: OpenDataContext
) -> list[OpenDataFile]:
    """Every declared file, from the year's stats rows (``figures.read_stats_rows``)."""
    for table in OPEN_DATA_TABLES:
        for column in columns_of(table):
            if column.datatype not in CSVW_DATATYPES:
                raise ValueError(
                    f"{table.file_name} column {column.name}: datatype {column.datatype!r} is "
                    f"not one of {', '.join(sorted(CSVW_DATATYPES))}"
                )
    # Only the published stats tables: the quarterly monitoring tables are management information.
    published = {table.name for table in PUBLISHED_STATS_TABLES}
    undeclared = sorted(set(stats) & published - {t.stats_table for t in OPEN_DATA_TABLES})
    if undeclared:
        raise ValueError(
            "no open-data declaration for "
            + ", ".join(undeclared)
            + ": add one to csc_complaints.report.open_data_tables.OPEN_DATA_TABLES"
        )
    return [build_file(table, stats[table.stats_table], context) for table in OPEN_DATA_TABLES]


# --- the data dictionary and the CSVW metadata ------------------------------------------------


def _where_from(table: OpenDataTable, column: OpenDataColumn) -> str:
    if column.stats_column:
        return f"`{table.stats_table}.{column.stats_column}`"
    return column.derived_from


def readme_text(files: list[OpenDataFile], context: OpenDataContext, council_name: str) -> str:
    """The year's ``README.md``: the licence, then every file and column (the data dictionary)."""
    from csc_complaints.report.wording import wording

    return (
        wording("open_data")
        .text(
            "readme",
            council_name=council_name,
            context=context,
            files=files,
            columns_of=columns_of,
            where_from=_where_from,
            licence_name=LICENCE_NAME,
            licence_url=LICENCE_URL,
            metadata=CSVW_METADATA,
        )
        .rstrip()
        + "\n"
    )


def csvw_metadata(files: list[OpenDataFile], context: OpenDataContext, council_name: str) -> dict:
    """A W3C CSV on the Web table group describing every file (``metadata.json``)."""
    return {
        "@context": [CSVW_CONTEXT, {"@language": "en"}],
        "dc:title": f"{council_name}: Children's Social Care complaints, compliments and "
        f"comments, {context.financial_year}",
        "dc:publisher": council_name,
        "dc:license": {"@id": LICENCE_URL},
        "dc:description": f"Open data of the {context.financial_year} annual report "
        f"({context.status}). See {README}.",
        "tables": [
            {
                "url": file.table.file_name,
                "dc:title": file.table.title,
                "dc:description": f"{file.table.description} {file.table.counting_rule}",
                "dc:source": file.table.stats_table,
                "tableSchema": {
                    "columns": [
                        {
                            "name": column.name,
                            "titles": column.title,
                            "dc:description": column.meaning
                            + (f" Unit: {column.unit}." if column.unit else ""),
                            "datatype": column.datatype,
                            "required": column.datatype != "decimal",
                        }
                        for column in columns_of(file.table)
                    ],
                    "primaryKey": ["council_code", "financial_year", *file.table.key],
                },
            }
            for file in files
        ],
    }


def write_open_data(
    directory: Path,
    stats: dict[str, tuple[tuple[str, ...], list[tuple]]],
    context: OpenDataContext,
    council_name: str,
    write_text: Callable[[Path, str], None],
) -> tuple[Path, ...]:
    """Write the CSV files, ``README.md`` and ``metadata.json``; return their paths."""
    files = open_data_files(stats, context)
    written = []
    for file in files:
        path = directory / file.table.file_name
        write_text(path, csv_text(file.header, file.rows))
        written.append(path)
    readme = directory / README
    write_text(readme, readme_text(files, context, council_name))
    metadata = directory / CSVW_METADATA
    document = csvw_metadata(files, context, council_name)
    write_text(metadata, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return (*written, readme, metadata)
