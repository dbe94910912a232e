"""The warehouse schema (the ``complaints_warehouse`` connection), for SQLite and PostgreSQL.

It is longer than this package's other modules because it declares every warehouse table, one
after another: one file to read for the whole schema (docs/warehouse.md describes it).

Four layers, each keyed by ``council_code`` so one warehouse can serve several councils:

* staging (``stg_*``): the source rows the figures need, as extracted, one row per source key.
  Business dates are kept as the source gave them (ISO text), so a date the source cannot parse
  is staged, caught by DQ02 and reported instead of crashing the extract. No personal data.
* bookkeeping (``etl_*``, ``dq_rejects``): high-water marks, extract runs, rejected rows.
* dimensions and facts (``dim_*``, ``fact_*``): built from staging minus deleted and rejected rows.
* statistics (``stats_*``): the contract of docs/warehouse.md, read by the report and BI tools.
  ``dim_measure`` is the measures registry (csc_complaints.measures) as SQL can read it.

Dates in the warehouse are ISO ``YYYY-MM-DD`` text everywhere: it sorts and compares the same way
on both databases, and every date joins to ``dim_date`` for its financial year and working-day
number, so no SQL file needs a dialect's date functions.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    inspect,
)
from sqlalchemy.schema import CreateColumn, CreateIndex

from csc_complaints.db import sql
from csc_complaints.locks import schema_lock

metadata = MetaData()

COUNCIL = 10  # ONS codes are nine characters
ISO_DATE = 40  # wide enough to stage an unparseable value and report it


def council_column() -> Column:
    """``council_code``: every council's rows share the warehouse (and the quality tables)."""
    return Column("council_code", String(COUNCIL), nullable=False)


def financial_year_column() -> Column:
    """``financial_year``, as ``2019/20`` (csc_complaints.dates.FinancialYear.label)."""
    return Column("financial_year", String(7), nullable=False)


def _unreadable_column() -> Column:
    """Which of the row's values could not be read as their column's type, and why (e.g.
    ``team_id is not a whole number; qualifying is not true or false``); such a value is staged
    as NULL and DQ11 rejects the row. Never the value itself (csc_complaints.extract.rows)."""
    return Column("_unreadable", Text, nullable=True)


def _extract_columns() -> list[Column]:
    """Source change tracking, the extract run that last wrote the row, and the fingerprint the
    source comparison checks it by."""
    return [
        # Nullable: a change stamp the source left empty or that is not a timestamp is staged
        # as NULL and the row rejected (DQ12, DQ11), rather than stopping the extract.
        Column("updated_at", DateTime, nullable=True),
        Column("deleted_at", DateTime, nullable=True),
        Column("_source_copies", Integer, nullable=False, default=1),
        Column("_run_id", String(250), nullable=False),
        _unreadable_column(),
        # A hash (hex) of the row as the source database rendered it when it was extracted
        # (csc_complaints.extract.fingerprints): the weekly source comparison adds these up by
        # key range and compares them with the source's own sums of the same hashes.
        Column("_source_hash", String(32), nullable=True),
    ]


# --- staging -------------------------------------------------------------------------------------
# One table per source table; the columns are exactly what the extract SQL selects
# (include/sql/extract/<table>.sql) plus bookkeeping. `_source_copies` counts how many source rows
# carried this key in the last extract: more than one is a duplicated key (DQ01).

stg_teams = Table(
    "stg_teams",
    metadata,
    council_column(),
    Column("team_id", Integer, nullable=False),
    Column("team_name", String(100)),
    Column("service_area", String(100)),
    Column("_source_copies", Integer, nullable=False, default=1),
    Column("_run_id", String(250), nullable=False),
    _unreadable_column(),
    PrimaryKeyConstraint("council_code", "team_id"),
)

stg_issue_categories = Table(
    "stg_issue_categories",
    metadata,
    council_column(),
    Column("code", String(40), nullable=False),
    Column("label", String(100)),
    Column("_source_copies", Integer, nullable=False, default=1),
    Column("_run_id", String(250), nullable=False),
    _unreadable_column(),
    PrimaryKeyConstraint("council_code", "code"),
)

stg_complaints = Table(
    "stg_complaints",
    metadata,
    council_column(),
    Column("complaint_id", Integer, nullable=False),
    Column("reference", String(40)),
    Column("received_date", String(ISO_DATE)),
    Column("qualifying", Boolean),
    Column("issue", String(40)),
    Column("channel", String(20)),
    # The complainant's relationship to the child (a category, joined by the extract SQL): the
    # only thing taken from the complainant, whose table never leaves the source.
    Column("relationship", String(40)),
    *_extract_columns(),
    PrimaryKeyConstraint("council_code", "complaint_id"),
    # DQ01 (reference shared) and its incremental scope look a checked complaint's reference up.
    Index("ix_stg_complaints_reference", "council_code", "reference"),
)

stg_complaint_stages = Table(
    "stg_complaint_stages",
    metadata,
    council_column(),
    Column("stage_id", Integer, nullable=False),
    Column("complaint_id", Integer),
    Column("stage", Integer),
    Column("team_id", Integer),
    Column("requested_date", String(ISO_DATE)),
    Column("extension_agreed", Boolean),
    Column("response_date", String(ISO_DATE)),
    Column("outcome", String(30)),
    Column("panel_date", String(ISO_DATE)),
    Column("panel_report_date", String(ISO_DATE)),
    *_extract_columns(),
    PrimaryKeyConstraint("council_code", "stage_id"),
    Index("ix_stg_complaint_stages_complaint", "council_code", "complaint_id"),
)

stg_feedback = Table(
    "stg_feedback",
    metadata,
    council_column(),
    Column("feedback_id", Integer, nullable=False),
    Column("kind", String(20)),
    Column("team_id", Integer),
    Column("received_date", String(ISO_DATE)),
    *_extract_columns(),
    PrimaryKeyConstraint("council_code", "feedback_id"),
)

stg_ombudsman_cases = Table(
    "stg_ombudsman_cases",
    metadata,
    council_column(),
    Column("ombudsman_case_id", Integer, nullable=False),
    Column("complaint_id", Integer),
    Column("referred_date", String(ISO_DATE)),
    Column("decision_date", String(ISO_DATE)),
    Column("decision", String(60)),
    Column("maladministration", Boolean),
    *_extract_columns(),
    PrimaryKeyConstraint("council_code", "ombudsman_case_id"),
)

stg_learning_actions = Table(
    "stg_learning_actions",
    metadata,
    council_column(),
    Column("action_id", Integer, nullable=False),
    Column("complaint_id", Integer),
    Column("team_id", Integer),
    Column("agreed_date", String(ISO_DATE)),
    Column("action_text", Text),  # written for publication: printed in the report
    Column("status", String(20)),
    Column("completed_date", String(ISO_DATE)),
    *_extract_columns(),
    PrimaryKeyConstraint("council_code", "action_id"),
)

# Source table name -> (staging table, source key column), in load order.
STAGING: dict[str, tuple[Table, str]] = {
    "teams": (stg_teams, "team_id"),
    "issue_categories": (stg_issue_categories, "code"),
    "complaints": (stg_complaints, "complaint_id"),
    "complaint_stages": (stg_complaint_stages, "stage_id"),
    "feedback": (stg_feedback, "feedback_id"),
    "ombudsman_cases": (stg_ombudsman_cases, "ombudsman_case_id"),
    "learning_actions": (stg_learning_actions, "action_id"),
}
# Small lookup tables copied whole on every run; the rest are extracted by `updated_at`.
REFERENCE_TABLES = ("teams", "issue_categories")

# --- bookkeeping ---------------------------------------------------------------------------------

etl_watermarks = Table(
    "etl_watermarks",
    metadata,
    council_column(),
    Column("source_table", String(60), nullable=False),
    # The largest source `updated_at` loaded so far; the next run reads from here less the overlap.
    Column("high_water_mark", DateTime, nullable=False),
    Column("run_id", String(250), nullable=False),
    PrimaryKeyConstraint("council_code", "source_table"),
)

etl_extract_runs = Table(
    "etl_extract_runs",
    metadata,
    council_column(),
    Column("run_id", String(250), nullable=False),
    Column("source_table", String(60), nullable=False),
    Column("read_since", DateTime, nullable=True),  # NULL: a whole copy
    Column("rows_read", Integer, nullable=False),
    Column("rows_written", Integer, nullable=False),
    # Rows the source held that are not deleted, counted in the same run (RC01's left side).
    Column("source_rows", Integer, nullable=False),
    Column("started_at", DateTime, nullable=False),  # "later than the extract ran" (DQ02)
    Column("finished_at", DateTime, nullable=False),
    PrimaryKeyConstraint("council_code", "run_id", "source_table"),
)

dq_rejects = Table(
    "dq_rejects",
    metadata,
    council_column(),
    Column("rule_code", String(10), nullable=False),
    Column("source_table", String(60), nullable=False),
    Column("source_key", String(60), nullable=False),
    Column("run_id", String(250), nullable=False),  # the run that last found it
    Column("message", Text, nullable=False),  # never personal data
    Column("first_run_id", String(250), nullable=False),
    # The complaint's reference (CSC-2019-0042): of the row itself, or of the complaint a stage
    # row, learning action or ombudsman case belongs to; NULL for teams, issue categories,
    # feedback and a row whose complaint is unknown.
    Column("reference", String(40), nullable=True),
    PrimaryKeyConstraint("council_code", "rule_code", "source_table", "source_key"),
    # Every lookup (is this staged row rejected?) is by source row, across rules: the primary key,
    # led by council and rule, does not serve it.
    Index("ix_dq_rejects_source_row", "council_code", "source_table", "source_key"),
)

# Indexes added after warehouses were first created: create_all leaves the indexes of a table
# that already exists alone, so create_warehouse_schema adds these to older warehouses.
ADDED_INDEXES = (
    *(i for i in dq_rejects.indexes if i.name == "ix_dq_rejects_source_row"),
    *(i for i in stg_complaints.indexes if i.name == "ix_stg_complaints_reference"),
)

# --- dimensions and facts (built by csc_complaints.warehouse.build; include/sql/warehouse/) ----
# Facts hold the staged rows that count: not deleted, not belonging to a deleted or uncounted
# complaint, not in dq_rejects, every date a real calendar date. Each counted date carries its
# financial year; each stage row carries its working-day durations, computed once here.
# The facts have no primary key and no index: they are rebuilt whole from staging on every
# build, read by grouped passes (the stats of every year at once) and hash joins, and a fact row
# is unique by construction (it is a staging row, and staging's key is unique; RC01 would see a
# row counted twice). Keeping a million-row index up to date during each rebuild would cost
# more than the rest of the rebuild together.

# Shared by every council: England and Wales bank holidays are the same for all of them.
dim_date = Table(
    "dim_date",
    metadata,
    Column("date_key", String(10), nullable=False),  # ISO 'YYYY-MM-DD', as staged
    Column("financial_year", String(7), nullable=False),  # '2019/20'
    Column("is_working_day", Boolean, nullable=False),
    # Working days on or before the date from a fixed origin (csc_complaints.working_days):
    # working days A -> B = index(B) - index(A).
    Column("working_day_index", Integer, nullable=False),
    Column("bank_holiday", String(100), nullable=True),  # its name, for people reading the table
    PrimaryKeyConstraint("date_key"),
    Index("ix_dim_date_financial_year", "financial_year"),
)

dim_team = Table(
    "dim_team",
    metadata,
    council_column(),
    Column("team_id", Integer, nullable=False),
    Column("team_name", String(100), nullable=False),
    Column("service_area", String(100), nullable=False),
    PrimaryKeyConstraint("council_code", "team_id"),
)

dim_issue_category = Table(
    "dim_issue_category",
    metadata,
    council_column(),
    Column("code", String(40), nullable=False),
    Column("label", String(100), nullable=False),
    PrimaryKeyConstraint("council_code", "code"),
)

fact_complaints = Table(
    "fact_complaints",
    metadata,
    council_column(),
    Column("complaint_id", Integer, nullable=False),
    Column("received_date", String(10), nullable=False),
    Column("received_fy", String(7), nullable=False),
    Column("qualifying", Boolean, nullable=False),
    Column("issue", String(40), nullable=True),
    Column("channel", String(20), nullable=True),
    Column("relationship", String(40), nullable=True),
)

# The working-day durations fact_stages.sql computes for each stage row, by the two dates of the
# stage row they run between, and their columns. A timeliness measure (csc_complaints.measures)
# runs between one of these pairs (checked when the schema is created); stats_timeliness.sql
# reads each pair from its column.
STAGE_DURATIONS = {
    ("requested_date", "response_date"): "wd_request_to_response",
    ("requested_date", "panel_date"): "wd_request_to_panel",
    ("panel_date", "panel_report_date"): "wd_panel_to_report",
    ("panel_report_date", "response_date"): "wd_report_to_response",
}

fact_stages = Table(
    "fact_stages",
    metadata,
    council_column(),
    Column("stage_id", Integer, nullable=False),
    Column("complaint_id", Integer, nullable=False),
    Column("stage", Integer, nullable=False),
    Column("team_id", Integer, nullable=False),
    Column("outcome", String(30), nullable=True),
    Column("extension_agreed", Boolean, nullable=True),
    Column("requested_date", String(10), nullable=False),
    Column("requested_fy", String(7), nullable=False),
    Column("response_date", String(10), nullable=True),
    Column("response_fy", String(7), nullable=True),
    Column("panel_date", String(10), nullable=True),
    Column("panel_fy", String(7), nullable=True),
    Column("panel_report_date", String(10), nullable=True),
    Column("panel_report_fy", String(7), nullable=True),
    # Working days (docs/counting-rules.md); NULL when either date is missing.
    *(Column(name, Integer, nullable=True) for name in STAGE_DURATIONS.values()),
)

fact_feedback = Table(
    "fact_feedback",
    metadata,
    council_column(),
    Column("feedback_id", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("team_id", Integer, nullable=False),
    Column("received_date", String(10), nullable=False),
    Column("received_fy", String(7), nullable=False),
)

fact_ombudsman_cases = Table(
    "fact_ombudsman_cases",
    metadata,
    council_column(),
    Column("ombudsman_case_id", Integer, nullable=False),
    Column("complaint_id", Integer, nullable=True),
    Column("referred_date", String(10), nullable=False),
    Column("referred_fy", String(7), nullable=False),
    Column("decision_date", String(10), nullable=True),
    Column("decision_fy", String(7), nullable=True),
    Column("decision", String(60), nullable=True),
    Column("maladministration", Boolean, nullable=True),
)

fact_learning_actions = Table(
    "fact_learning_actions",
    metadata,
    council_column(),
    Column("action_id", Integer, nullable=False),
    Column("complaint_id", Integer, nullable=False),
    Column("team_id", Integer, nullable=False),
    Column("agreed_date", String(10), nullable=False),
    Column("agreed_fy", String(7), nullable=False),
    Column("action_text", Text, nullable=True),  # written for publication
    Column("status", String(20), nullable=True),
    Column("completed_date", String(10), nullable=True),
)

# Each stage row open at the end of a quarter (requested by then, not responded to by then),
# for every quarter of the warehouse's years that ended before the council's latest extract
# (fact_open_stages.sql): counted again whole by a full build or once another quarter end is to
# be counted, otherwise only for the complaints an incremental build rebuilds.
# stats_quarterly_open counts it; the quarterly monitoring pack's annex lists its rows past
# target by complaint reference. Not a stats table: it names cases, and is never published.
fact_open_stages = Table(
    "fact_open_stages",
    metadata,
    council_column(),
    Column("as_at", String(10), nullable=False),  # the quarter's last day (ISO)
    Column("financial_year", String(7), nullable=False),
    Column("quarter", Integer, nullable=False),
    Column("stage_id", Integer, nullable=False),
    Column("complaint_id", Integer, nullable=False),
    Column("stage", Integer, nullable=False),
    Column("team_id", Integer, nullable=False),
    # Working days from requested_date to as_at (docs/counting-rules.md).
    Column("working_days_open", Integer, nullable=False),
    # Past a target as at as_at: a timescale of its stage (measures registry, not an extended
    # one) whose clock had started and not stopped, with more working days gone than its target.
    Column("past_target", Boolean, nullable=False),
)

FACTS = (
    fact_complaints,
    fact_stages,
    fact_feedback,
    fact_ombudsman_cases,
    fact_learning_actions,
)

# In load order: a fact may be built from the ones before it (stages keep only counted complaints).
DIMENSIONS_AND_FACTS = (dim_team, dim_issue_category, *FACTS)

# One row per (council, year) whose stats tables are built: a fingerprint of that year's stats
# rows, so a re-run that computes the same figures writes nothing, and the quality step and the
# report know which years really changed (and when, by which run).
etl_year_builds = Table(
    "etl_year_builds",
    metadata,
    council_column(),
    financial_year_column(),
    Column("fingerprint", String(64), nullable=False),  # sha256 of the year's stats rows
    Column("stats_rows", Integer, nullable=False),
    Column("built_at", DateTime, nullable=False),
    Column("run_id", String(250), nullable=False),
    PrimaryKeyConstraint("council_code", "financial_year"),
)

# What the incremental build (csc_complaints.warehouse.build) works from. Every writer of staging
# and of dq_rejects logs the rows it changed in ``etl_changed_rows``, in the transaction that
# changes them: the extract and the source comparison (rows written by their run, rows removed;
# a table's first load logs ``*``, its whole table) and the row checks (rows newly rejected or no
# longer rejected). The build reads the council's log, rebuilds the facts of those rows and of
# the rows that depend on them, and deletes the log rows it used in the same transaction.
etl_changed_rows = Table(
    "etl_changed_rows",
    metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    council_column(),
    Column("source_table", String(60), nullable=False),
    Column("source_key", String(60), nullable=False),  # as dq_rejects.source_key; '*': all rows
    Index("ix_etl_changed_rows_council", "council_code"),
)

# The (council, year) pairs whose stats a build still owes: written with the facts they follow
# from (the years of the changed fact rows, before and after the change; ``*`` for every year),
# each deleted in the transaction that replaces (or confirms) that year's stats. A build killed
# between the two leaves them here for the next one.
etl_build_owed = Table(
    "etl_build_owed",
    metadata,
    council_column(),
    financial_year_column(),  # or '*': every year
    PrimaryKeyConstraint("council_code", "financial_year"),
)

# One row per council whose facts are built: what they were built by (a sha256 of the warehouse
# SQL, the fact and stats tables' columns, the measures and the targets). An incremental build
# is only possible while it is unchanged; any other build is a full one.
etl_build_state = Table(
    "etl_build_state",
    metadata,
    council_column(),
    Column("definition", String(64), nullable=False),
    Column("built_at", DateTime, nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("mode", String(20), nullable=False),  # full or incremental: the last build's
    # The last quarter end whose open cases fact_open_stages holds (warehouse.build.
    # last_quarter_counted): with no change logged and the same quarter, a build has nothing to do.
    Column("open_cases_to", String(10)),
    # How many quarter ends of dim_date (shared by the councils) it counted them at: another
    # council's build may have added a year of quarter ends before that day since.
    Column("open_cases_quarter_ends", Integer),
    # sha256 of the staged teams and issue categories the dimensions were built from
    # (incremental.references_fingerprint): the extract does not log those tables, so a build
    # with nothing logged still rebuilds the dimensions when they changed.
    Column("references_hash", String(64)),
    PrimaryKeyConstraint("council_code"),
)

# For each fact table, how the incremental build finds its rows of the changed source rows:
# (fact column, source table whose keys in scope it matches). A complaint is rebuilt with all its
# stage rows, learning actions and ombudsman cases (they count only with their complaint), and a
# changed stage row brings its complaint into scope (a complaint counts only while no stage row
# of it is rejected), before and after the change. The fact SQL files
# (include/sql/warehouse/fact_*.sql) restrict their rows by the same pairs.
FACT_SCOPES = {
    "fact_complaints": (("complaint_id", "complaints"),),
    "fact_stages": (("complaint_id", "complaints"),),
    "fact_feedback": (("feedback_id", "feedback"),),
    "fact_ombudsman_cases": (
        ("complaint_id", "complaints"),
        ("ombudsman_case_id", "ombudsman_cases"),
    ),
    "fact_learning_actions": (("complaint_id", "complaints"), ("action_id", "learning_actions")),
    # Not a fact of FACTS (no dates of its own to owe years by): a stage row's open quarters
    # follow from its fact_stages row, so they are rebuilt with it (build._update_open_stages).
    "fact_open_stages": (("complaint_id", "complaints"),),
}

# --- statistics (docs/warehouse.md: the warehouse's public face; names are a contract) ---------


def _stats(name: str, *columns: Column, key: tuple[str, ...]) -> Table:
    return Table(
        name,
        metadata,
        council_column(),
        financial_year_column(),
        *columns,
        PrimaryKeyConstraint("council_code", "financial_year", *key),
    )


stats_headlines = _stats(
    "stats_headlines",
    Column("measure", String(60), nullable=False),
    Column("value", Integer, nullable=False),
    key=("measure",),
)
stats_received_by_team = _stats(
    "stats_received_by_team",
    Column("stage", Integer, nullable=False),
    Column("service_area", String(100), nullable=False),
    Column("team", String(100), nullable=False),
    Column("received", Integer, nullable=False),
    key=("stage", "team"),
)
stats_outcomes_by_team = _stats(
    "stats_outcomes_by_team",
    Column("stage", Integer, nullable=False),
    Column("service_area", String(100), nullable=False),
    Column("team", String(100), nullable=False),
    Column("outcome", String(30), nullable=False),
    Column("decisions", Integer, nullable=False),
    key=("stage", "team", "outcome"),
)
stats_issues = _stats(
    "stats_issues",
    Column("issue", String(40), nullable=False),
    Column("label", String(100), nullable=False),
    Column("complaints", Integer, nullable=False),
    key=("issue",),
)
stats_feedback_by_team = _stats(
    "stats_feedback_by_team",
    Column("kind", String(20), nullable=False),
    Column("service_area", String(100), nullable=False),
    Column("team", String(100), nullable=False),
    Column("received", Integer, nullable=False),
    key=("kind", "team"),
)
stats_timeliness = _stats(
    "stats_timeliness",
    Column("measure", String(60), nullable=False),
    Column("responses", Integer, nullable=False),
    Column("within_target", Integer, nullable=False),
    key=("measure",),
)

# Added for the report's newer sections (docs/warehouse.md). A category the source left empty
# (NULL or '') is counted as NOT_RECORDED.
NOT_RECORDED = "not recorded"

stats_complaints_by_relationship = _stats(
    "stats_complaints_by_relationship",
    Column("relationship", String(40), nullable=False),
    Column("complaints", Integer, nullable=False),
    key=("relationship",),
)
stats_complaints_by_channel = _stats(
    "stats_complaints_by_channel",
    Column("channel", String(20), nullable=False),
    Column("complaints", Integer, nullable=False),
    key=("channel",),
)
stats_escalation = _stats(
    "stats_escalation",
    Column("stage", Integer, nullable=False),  # 1 or 2
    Column("complaints", Integer, nullable=False),  # stage rows requested in the year
    Column("escalated", Integer, nullable=False),  # of those, with a next-stage row (as at build)
    key=("stage",),
)
stats_response_days = _stats(
    "stats_response_days",
    Column("stage", Integer, nullable=False),
    Column("responses", Integer, nullable=False),
    # Working days requested_date -> response_date, to one decimal place, a half rounded up
    # (worked out in whole tenths by the SQL). A float, not a NUMERIC: SQLite would store a
    # NUMERIC 4.0 as the integer 4, so the two databases would print it differently.
    Column("mean_working_days", Float, nullable=False),
    Column("median_working_days", Float, nullable=False),
    key=("stage",),
)
stats_ombudsman_decisions = _stats(
    "stats_ombudsman_decisions",
    Column("decision", String(60), nullable=False),
    Column("cases", Integer, nullable=False),
    Column("maladministration", Integer, nullable=False),
    key=("decision",),
)
stats_learning_actions = _stats(
    "stats_learning_actions",
    Column("service_area", String(100), nullable=False),
    Column("team", String(100), nullable=False),
    Column("agreed", Integer, nullable=False),
    Column("completed", Integer, nullable=False),  # status 'completed' as at the build
    key=("team",),
)

# Quarterly stats (docs/warehouse.md): the quarterly monitoring pack's figures, quarter by
# quarter (csc_complaints.dates.FinancialQuarter: Q1 is April to June), so a year to date is the
# sum of its quarters. RC13 holds the quarters to the year's own figures.
stats_quarterly_stages = _stats(
    "stats_quarterly_stages",
    Column("quarter", Integer, nullable=False),
    Column("stage", Integer, nullable=False),
    Column("received", Integer, nullable=False),  # stage rows requested in the quarter
    Column("decided", Integer, nullable=False),  # stage rows responded to in the quarter
    key=("quarter", "stage"),
)
stats_quarterly_timeliness = _stats(
    "stats_quarterly_timeliness",
    Column("quarter", Integer, nullable=False),
    Column("measure", String(60), nullable=False),
    Column("responses", Integer, nullable=False),  # end date in the quarter
    Column("within_target", Integer, nullable=False),
    key=("quarter", "measure"),
)
stats_quarterly_open = _stats(
    "stats_quarterly_open",
    Column("quarter", Integer, nullable=False),
    Column("stage", Integer, nullable=False),
    Column("as_at", String(10), nullable=False),  # the quarter's last day (ISO)
    Column("open_cases", Integer, nullable=False),  # stage rows open at the end of as_at
    Column("past_target", Integer, nullable=False),  # of those, past their target date
    key=("quarter", "stage"),
)

# The quarterly monitoring pack's tables: management information for the council, never part of
# the annual report's open data (csc_complaints.report.open_data leaves them out by this list).
MONITORING_STATS_TABLES = (stats_quarterly_stages, stats_quarterly_timeliness, stats_quarterly_open)

# The one list of the stats tables: the build, the report's figures and the CSV open data read it.
STATS_TABLES = (
    stats_headlines,
    stats_received_by_team,
    stats_outcomes_by_team,
    stats_issues,
    stats_feedback_by_team,
    stats_timeliness,
    stats_complaints_by_relationship,
    stats_complaints_by_channel,
    stats_escalation,
    stats_response_days,
    stats_ombudsman_decisions,
    stats_learning_actions,
    *MONITORING_STATS_TABLES,
)

# The stats tables of the annual report's CSV open data: all but the monitoring pack's.
PUBLISHED_STATS_TABLES = tuple(t for t in STATS_TABLES if t not in MONITORING_STATS_TABLES)

# The measures registry (csc_complaints.measures) as SQL can read it: SQL cannot import Python,
# and the suite's RC06 runs in GX, where no bind parameter can reach it, so the zero rows, the
# timeliness counts and RC06 join this table instead of each listing the measures. One row per
# published measure, rewritten from the registry by create_warehouse_schema whenever the two
# differ; shared by every council (the measures are national).
dim_measure = Table(
    "dim_measure",
    metadata,
    Column("measure", String(60), nullable=False),
    Column("stats_table", String(60), nullable=False),  # the stats table whose rows it names
    # Timeliness measures only (NULL for headlines): see csc_complaints.measures.
    Column("stage", Integer, nullable=True),
    Column("start_date", String(30), nullable=True),
    Column("end_date", String(30), nullable=True),  # the stage row's date that decides the year
    Column("target_setting", String(60), nullable=True),
    Column("decisions_measure", String(60), nullable=True),  # RC06: responses = this headline
    Column("extends_measure", String(60), nullable=True),  # RC06: its within <= this one's
    PrimaryKeyConstraint("measure"),
)


# Indexes that earlier versions created and nothing reads any more (the facts' year indexes,
# from when the stats were counted one year at a time): dropped, as each costs every rebuild.
RETIRED_INDEXES = (
    "ix_fact_complaints_received_fy",
    "ix_fact_stages_requested_fy",
    "ix_fact_stages_response_fy",
    "ix_fact_feedback_received_fy",
)


def measure_rows() -> list[dict[str, object]]:
    """``dim_measure``'s rows: the registry's measures, checked to be countable."""
    from csc_complaints import measures

    measures.check_registry()
    rows = []
    for headline in measures.HEADLINE_MEASURES:
        rows.append({column.name: None for column in dim_measure.columns})
        rows[-1].update(measure=headline.name, stats_table=stats_headlines.name)
    for measure in measures.TIMELINESS_MEASURES:
        if (measure.start_date, measure.end_date) not in STAGE_DURATIONS:
            raise measures.MeasureRegistryError(
                f"timeliness measure {measure.name}: fact_stages counts no working days from "
                f"{measure.start_date} to {measure.end_date} (it counts "
                + ", ".join(f"{start} to {end}" for start, end in STAGE_DURATIONS)
                + "): add the duration to STAGE_DURATIONS, fact_stages.sql and "
                "stats_timeliness.sql first"
            )
        rows.append(
            {
                "measure": measure.name,
                "stats_table": stats_timeliness.name,
                "stage": measure.stage,
                "start_date": measure.start_date,
                "end_date": measure.end_date,
                "target_setting": measure.target_setting,
                "decisions_measure": measure.decisions_measure,
                "extends_measure": measure.extends,
            }
        )
    return rows


def sync_measures(conn) -> None:
    """Make ``dim_measure`` hold exactly the registry's measures; nothing is written when it
    already does (this runs on every extract and build)."""
    wanted = {row["measure"]: row for row in measure_rows()}
    present = {row.measure: dict(row._mapping) for row in conn.execute(dim_measure.select())}
    stale = [{"measure": name} for name in sorted(set(present) - set(wanted))]
    changed = [row for name, row in wanted.items() if present.get(name) != row]
    if stale:
        conn.execute(sql("warehouse", "delete_measure"), stale)
    if changed:
        conn.execute(sql("warehouse", "upsert_measure"), changed)


def create_warehouse_schema(engine) -> None:
    """Create every warehouse table and index that does not exist yet, bring the tables of an
    older version up to date, and ``dim_measure`` up to the measures registry (idempotent; one
    process at a time: two first loads at once raced on CREATE TABLE)."""
    with engine.begin() as conn, schema_lock(conn):
        metadata.create_all(conn)
        _add_missing_columns(conn)
        sync_measures(conn)
        for name in RETIRED_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        if conn.dialect.name == "postgresql":
            # The facts' primary keys of earlier versions (SQLite cannot drop a constraint; its
            # facts are small and keep theirs). Looked up first: ALTER TABLE locks the table
            # against every reader even when there is nothing to drop, and this runs on every
            # extract and build.
            keys = [f"{table.name}_pkey" for table in FACTS]
            present = conn.exec_driver_sql(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint"
                " WHERE contype = 'p' AND conname = ANY(%(keys)s)"
                " AND connamespace = current_schema()::regnamespace",
                {"keys": keys},
            ).all()
            for table_name, key in present:
                conn.exec_driver_sql(f"ALTER TABLE {table_name} DROP CONSTRAINT {key}")
        # Looked up first as well: on PostgreSQL even CREATE INDEX IF NOT EXISTS of an index
        # that exists waits for a SHARE lock on its table, so every council's extract and build
        # would queue behind any open write to stg_complaints. The ones missing are created
        # with IF NOT EXISTS (both dialects): two tasks at once may both find one missing.
        found = inspect(conn).get_multi_indexes(
            filter_names=list({index.table.name for index in ADDED_INDEXES})
        )
        present = {ix["name"] for indexes in found.values() for ix in indexes}
        for index in ADDED_INDEXES:
            if index.name not in present:
                conn.execute(CreateIndex(index, if_not_exists=True))


# Tables that gained columns after warehouses were first created (create_all leaves a table
# that exists alone): the staging tables (``_unreadable``, ``_source_hash``, and
# ``stg_complaints.relationship``; ``updated_at`` became nullable), ``dq_rejects``
# (``reference``), ``fact_complaints`` (``relationship``) and ``etl_build_state``
# (``open_cases_to``, ``open_cases_quarter_ends``, ``references_hash``).
UPGRADED_TABLES = (
    *(table for table, _key in STAGING.values()),
    dq_rejects,
    fact_complaints,
    etl_build_state,
)


def _add_missing_columns(conn) -> None:
    """Add the columns an older warehouse lacks (all nullable) and let ``updated_at`` be NULL."""
    found = inspect(conn).get_multi_columns(filter_names=[t.name for t in UPGRADED_TABLES])
    existing = {table: {c["name"]: c for c in columns} for (_, table), columns in found.items()}
    for table in UPGRADED_TABLES:
        columns = existing.get(table.name, {})
        for column in table.columns:
            if column.name not in columns:
                ddl = CreateColumn(column).compile(dialect=conn.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
        if "updated_at" in columns and not columns["updated_at"]["nullable"]:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ALTER updated_at DROP NOT NULL")
            else:
                _rebuild_sqlite_table(conn, table)


def _rebuild_sqlite_table(conn, table: Table) -> None:
    """SQLite cannot drop a NOT NULL: copy the table into one created as the schema says."""
    old = f"{table.name}__old"
    conn.exec_driver_sql(f"ALTER TABLE {table.name} RENAME TO {old}")
    for index in table.indexes:  # they moved with the rename; their names are needed again
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
    table.create(conn)
    names = ", ".join(c.name for c in table.columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {old}")
    conn.exec_driver_sql(f"DROP TABLE {old}")
