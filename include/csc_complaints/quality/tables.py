"""Warehouse tables of the quality step, besides ``dq_rejects`` (in the warehouse schema).

* ``dq_published_years`` / ``dq_published_figures``: a year's figures as they stood when its final
  report was published; RC07 compares every later build of that year with them.
* ``dq_alerts``: what the alerts already reported (a fingerprint per failing unit), so an
  unchanged failure is not sent again on every run.
* ``dq_reconciliations`` / ``dq_reconciliation_results``: each year's latest reconciliation, with
  the fingerprint of the stats it checked and every DQ and RC result. The warehouse's record of
  which years are reconciled: ``reconciliation.json`` is written from it, and rewritten from it
  when missing or stale (csc_complaints.quality.reconciliation_record).
* ``dq_check_state`` / ``dq_check_scope`` / ``dq_checked_references``: what the last row check
  saw (csc_complaints.quality.check_scope), so the next one checks only the rows that changed
  since and the rows whose verdict can change with them.
* the view ``stats_figures``: the stats tables flattened to (stats_table, figure, value); the
  one definition both storing and comparing published figures read.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    inspect,
)
from sqlalchemy.exc import DatabaseError

from csc_complaints.db import sql
from csc_complaints.locks import schema_lock
from csc_complaints.warehouse.schema import (
    council_column,
    create_warehouse_schema,
    financial_year_column,
)

quality_metadata = MetaData()

dq_published_years = Table(
    "dq_published_years",
    quality_metadata,
    council_column(),
    financial_year_column(),
    Column("figures", Integer, nullable=False),  # how many figures were stored
    Column("published_at", DateTime, nullable=False),
    Column("run_id", String(250), nullable=False),
    PrimaryKeyConstraint("council_code", "financial_year"),
)

dq_published_figures = Table(
    "dq_published_figures",
    quality_metadata,
    council_column(),
    financial_year_column(),
    Column("stats_table", String(60), nullable=False),
    Column("figure", String(400), nullable=False),  # e.g. "stage=1;team=Safeguarding Team A"
    Column("value", Integer, nullable=False),
    PrimaryKeyConstraint("council_code", "financial_year", "stats_table", "figure"),
)

dq_alerts = Table(
    "dq_alerts",
    quality_metadata,
    council_column(),
    Column("check_name", String(20), nullable=False),  # "row_checks" or "reconciliation"
    Column("unit", String(100), nullable=False),  # "DQ05" or "2019/20 RC02"
    Column("fingerprint", String(64), nullable=False),  # sha256 of what was reported
    Column("dag_id", String(250), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("sent_at", DateTime, nullable=False),
    PrimaryKeyConstraint("council_code", "check_name", "unit"),
)

# One row per (council, year) reconciled: the year's latest reconciliation. A year is reconciled
# when its stats_fingerprint is the fingerprint of the stats it now holds (etl_year_builds) and
# its rejects_fingerprint that of the rows rejected now; any other year is owed a
# reconciliation, which the next run does however the last one ended.
dq_reconciliations = Table(
    "dq_reconciliations",
    quality_metadata,
    council_column(),
    financial_year_column(),
    # etl_year_builds.fingerprint of the stats checked, read before they were; NULL: no stats.
    Column("stats_fingerprint", String(64), nullable=True),
    # sha256 of the rejected rows (rule, table, key) that touched the year when it was checked:
    # a row rejected later changes the year's DQ verdict even when no figure moves.
    Column("rejects_fingerprint", String(64), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("reconciled_at", DateTime, nullable=False),  # UTC; reconciliation.json's generated_at
    Column("data_docs", Text, nullable=True),  # the validation's Data Docs page
    # When the alert step dealt with this result (sent its failures, or had none to send).
    # NULL: not yet, so the next run reconciles the year again and alerts.
    Column("reported_at", DateTime, nullable=True),
    PrimaryKeyConstraint("council_code", "financial_year"),
)

# Every rule's verdict in a year's latest reconciliation, in the order reconciliation.json lists
# them (RC rules, then DQ). Values are stored as JSON text, so the file rewritten from these rows
# is byte for byte the file first written.
dq_reconciliation_results = Table(
    "dq_reconciliation_results",
    quality_metadata,
    council_column(),
    financial_year_column(),
    Column("rule_code", String(10), nullable=False),
    Column("position", Integer, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("description", Text, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("expected", Text, nullable=False),  # JSON
    Column("observed", Text, nullable=False),  # JSON
    # JSON: RC discrepancies, or DQ rejected rows by table and one message per row (keys, codes
    # and dates only, as in dq_rejects).
    Column("details", Text, nullable=False),
    PrimaryKeyConstraint("council_code", "financial_year", "rule_code"),
)

# One row per council whose staging was row-checked: what the check was run by and what it saw,
# so the next check knows what changed since (csc_complaints.quality.check_scope).
dq_check_state = Table(
    "dq_check_state",
    quality_metadata,
    council_column(),
    # sha256 of the DQ suite file and the scope SQL: a check by another definition is a full one.
    Column("definition", String(64), nullable=False),
    Column("as_of_date", String(10), nullable=False),  # DQ02's date in the last check
    # etl_changed_rows.change_id of the last change the check saw (0: none).
    Column("change_id", Integer, nullable=False),
    Column("checked_at", DateTime, nullable=False),  # UTC
    Column("run_id", String(250), nullable=False),
    Column("mode", String(12), nullable=False),  # "full" or "incremental"
    Column("full_checked_at", DateTime, nullable=False),  # UTC, the last full check
    PrimaryKeyConstraint("council_code"),
)

# The rows an incremental row check validates, filled anew by each check (check_scope_*.sql):
# every rule query of the DQ suite joins it (suites.scoped_to_checked_rows).
dq_check_scope = Table(
    "dq_check_scope",
    quality_metadata,
    council_column(),
    Column("source_table", String(60), nullable=False),
    Column("source_key", String(60), nullable=False),  # as dq_rejects.source_key
    Column("key_value", Integer, nullable=True),  # the key as a number; NULL: issue categories
    Index("ix_dq_check_scope_value", "council_code", "source_table", "key_value"),
    Index("ix_dq_check_scope_key", "council_code", "source_table", "source_key"),
)

# The teams and issue categories as the last row check saw them (a hash per row): the extract
# copies these small tables whole and logs none of their rows, so the next check compares them.
dq_checked_references = Table(
    "dq_checked_references",
    quality_metadata,
    council_column(),
    Column("source_table", String(60), nullable=False),
    Column("source_key", String(60), nullable=False),
    Column("row_hash", String(64), nullable=False),  # sha256 of the staged row's values
    PrimaryKeyConstraint("council_code", "source_table", "source_key"),
)


def create_quality_schema(engine: Engine) -> None:
    """Create the warehouse schema, these tables and the ``stats_figures`` view (idempotent)."""
    create_warehouse_schema(engine)
    with engine.begin() as conn, schema_lock(conn):  # two tasks at once raced on CREATE TABLE
        quality_metadata.create_all(conn)
    if "stats_figures" in inspect(engine).get_view_names():
        return
    try:
        with engine.begin() as conn:
            conn.execute(sql("quality", "stats_figures_view"))
    except DatabaseError:
        # Another task created it at the same moment (neither dialect has CREATE VIEW IF NOT
        # EXISTS in common); anything else is a real error.
        if "stats_figures" not in inspect(engine).get_view_names():
            raise
