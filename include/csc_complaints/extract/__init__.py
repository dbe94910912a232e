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

The package, by step:

* ``run``: one run (``run_extract``): the tables in turn, high-water marks, source counts (RC01).
* ``context``: what the steps of a run share (``ExtractContext``) and one table's part of it.
* ``rows``: row shaping, date and timestamp coercion, the upsert, and ``ExtractError``.
* ``row_by_row``: staging with executemany (SQLite, and the reference tables everywhere).
* ``copy_path``: staging by COPY on a PostgreSQL warehouse; ``pg_copy``: its COPY helpers.
"""

from csc_complaints.extract.context import ExtractContext, TableExtract
from csc_complaints.extract.rows import BOOKKEEPING, UNREADABLE_DATE, ExtractError
from csc_complaints.extract.run import ExtractResult, run_extract

__all__ = [
    "BOOKKEEPING",
    "UNREADABLE_DATE",
    "ExtractContext",
    "ExtractError",
    "ExtractResult",
    "TableExtract",
    "run_extract",
]
