"""Staging a table row by row: batches of shaped rows sent with executemany (any warehouse;
the reference tables on every warehouse, every table on SQLite)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import and_, delete, func, select

from csc_complaints.extract.context import TableLoad
from csc_complaints.extract.rows import batched, grouped_by_key, upsert_statement


def load_row_by_row(load: TableLoad) -> None:
    """Upsert the table's changed rows (a reference table: all of them, and remove from staging
    the rows the source no longer has), counting what was read and written in ``load.progress``.
    """
    warehouse, progress, shaper = load.run.warehouse, load.progress, load.shaper
    table, key = load.staging, load.key
    upsert = upsert_statement(warehouse, load.source_table)
    rows = load.read_source()
    if load.is_reference:
        # Small, and keyed by text whose sort order differs between databases: count in memory.
        all_rows = list(rows)
        copies = Counter(r[key] for r in all_rows)
        last = {r[key]: r for r in all_rows}
        grouped: Iterable[tuple] = ((last[k], copies[k]) for k in last)
    else:
        grouped = grouped_by_key(rows, key, load.source_table)

    seen_keys = []
    for batch in batched(grouped, load.run.batch_size):
        staged = [shaper.shape(row, copies) for row, copies in batch]
        progress.rows_read += sum(copies for _, copies in batch)
        for row in staged:
            stamp = row.get("updated_at")
            if stamp is not None and (
                progress.high_water_mark is None or stamp > progress.high_water_mark
            ):
                progress.high_water_mark = stamp
        warehouse.execute(upsert, staged)
        if load.is_reference:
            seen_keys.extend(r[key] for r in staged)

    if load.is_reference:
        # A reference row removed from the source leaves staging too (copied whole).
        gone = delete(table).where(table.c.council_code == load.run.council_code)
        if seen_keys:
            gone = gone.where(table.c[key].not_in(seen_keys))
        warehouse.execute(gone)

    progress.rows_written = warehouse.execute(
        select(func.count())
        .select_from(table)
        .where(
            and_(
                table.c.council_code == load.run.council_code,
                table.c._run_id == load.run.run_id,
            )
        )
    ).scalar_one()
