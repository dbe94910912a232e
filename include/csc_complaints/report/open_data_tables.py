"""What the open data publishes: one declaration per CSV file, and nothing else to edit.

Each ``OpenDataTable`` names the stats table it is read from, the file a reader downloads, what
one row counts (the counting rule), the columns in order (each with its meaning, unit and CSV on
the Web datatype, and where its value comes from), and the zero-fill domain: the keys every
year's file lists, a zero included, so a pivot of the file never brings back a blank cell.

The writer (``csc_complaints.report.open_data``) turns these into the CSV files, the year's
``README.md`` (the data dictionary) and the CSVW ``metadata.json``; the tests read them too.
Adding a stats table to the open data is one entry in ``OPEN_DATA_TABLES``. The module is long
(over 400 lines) because it is declarations only: one entry, with every column's wording, per
published file.

Labels are not listed here: each comes from its one home (the measures registry for outcomes
and measures, the stats table or ``dim_issue_category`` for issues, the report's wording for the
kind of feedback).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from csc_complaints import measures

Row = dict[str, Any]  # a CSV row under construction: stats columns plus derived ones


@dataclass(frozen=True)
class OpenDataContext:
    """What a column's value or a domain may need besides the stats row."""

    council_code: str
    financial_year: str
    status: str  # "draft" or "final"
    targets: Mapping[str, int]  # timeliness measure name -> its target in working days
    teams: tuple[tuple[str, str], ...]  # (service area, team), every team of the year
    issues: tuple[tuple[str, str], ...]  # (code, label), every issue category
    feedback_labels: Mapping[str, str]  # feedback kind -> its label as the report prints it


# A value read from the row (and the context): the CSV cell, before it is written.
Value = Callable[[Row, OpenDataContext], Any]
# A zero-fill dimension: given the key columns chosen so far, the key columns it adds, in order.
Dimension = Callable[[Row, OpenDataContext], Iterable[Row]]


@dataclass(frozen=True)
class OpenDataColumn:
    """One column of a CSV file, as the data dictionary and the CSVW metadata describe it."""

    name: str  # the CSV header
    title: str  # a human title (CSVW ``titles``)
    meaning: str  # one sentence for the data dictionary
    datatype: str = "string"  # CSVW datatype: string, integer or decimal
    unit: str = ""  # what a number counts or measures; empty for text
    source: str | None = None  # the stats table's column it copies (default: ``name``)
    value: Value | None = None  # else a value derived from the row (a label, a target...)
    derived_from: str = ""  # for a derived value: where it comes from, for the dictionary

    @property
    def stats_column(self) -> str | None:
        """The stats column it copies, or None for a derived column."""
        return None if self.value is not None else (self.source or self.name)


@dataclass(frozen=True)
class OpenDataTable:
    """One CSV file of the open data, read from one stats table."""

    stats_table: str  # csc_complaints.warehouse.schema: the table its figures come from
    file_name: str  # what a reader downloads, e.g. complaints-received-by-team.csv
    title: str
    description: str  # what one row is
    counting_rule: str  # what is counted, in plain words (docs/counting-rules.md)
    key: tuple[str, ...]  # the stats columns that identify a row (less council and year)
    columns: tuple[OpenDataColumn, ...]  # after council_code, financial_year and status
    zero_fill: tuple[Dimension, ...] = field(default=())  # the domain: every key listed


# --- the common columns -----------------------------------------------------------------------

COMMON_COLUMNS = (
    OpenDataColumn(
        "council_code",
        "Council code",
        "The council's ONS code (for example E06000005).",
    ),
    OpenDataColumn(
        "financial_year",
        "Financial year",
        "The financial year the figures are for, 1 April to 31 March, written 2019/20.",
    ),
    OpenDataColumn(
        "status",
        "Status",
        "draft: not yet signed off, the figures may still change; final: the figures of the "
        "signed-off report.",
        value=lambda row, context: context.status,
        derived_from="whether the report was signed off when the file was written",
    ),
)


# --- the zero-fill dimensions -----------------------------------------------------------------

STAGES = (1, 2, 3)


def each_stage(keys: Row, context: OpenDataContext) -> Iterable[Row]:
    for stage in STAGES:
        yield {"stage": stage}


def each_escalated_stage(keys: Row, context: OpenDataContext) -> Iterable[Row]:
    """The stages a complaint can be escalated from: 1 and 2."""
    for stage in STAGES[:-1]:
        yield {"stage": stage}


def each_team(keys: Row, context: OpenDataContext) -> Iterable[Row]:
    for area, team in context.teams:
        yield {"service_area": area, "team": team}


def each_outcome_of_the_stage(keys: Row, context: OpenDataContext) -> Iterable[Row]:
    for outcome in measures.OUTCOMES:
        if outcome.applies_to(int(keys["stage"])):
            yield {"outcome": outcome.code}


def each_issue(keys: Row, context: OpenDataContext) -> Iterable[Row]:
    for code, label in context.issues:
        yield {"issue": code, "label": label}


def each_feedback_kind(keys: Row, context: OpenDataContext) -> Iterable[Row]:
    for kind in context.feedback_labels:
        yield {"kind": kind}


def each_headline(keys: Row, context: OpenDataContext) -> Iterable[Row]:
    for measure in measures.HEADLINE_MEASURES:
        yield {"measure": measure.name}


def each_timeliness_measure(keys: Row, context: OpenDataContext) -> Iterable[Row]:
    for measure in measures.TIMELINESS_MEASURES:
        yield {"measure": measure.name}


# --- derived values ---------------------------------------------------------------------------


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _headline_label(row: Row, context: OpenDataContext) -> str:
    found = {m.name: m.counts for m in measures.HEADLINE_MEASURES}.get(row["measure"])
    return _first_upper(found) if found else ""


def _timeliness_label(row: Row, context: OpenDataContext) -> str:
    found = measures.TIMELINESS_BY_NAME.get(row["measure"])
    return found.label if found else ""


def _target(row: Row, context: OpenDataContext) -> int | None:
    return context.targets.get(row["measure"])


def _percentage(row: Row, context: OpenDataContext) -> Decimal | None:
    """Within target as a percentage of responses, as the report prints it; None without any."""
    from csc_complaints.report.sentences import percent_value

    responses = int(row["responses"])
    return percent_value(int(row["within_target"]), responses) if responses else None


TEAM_COLUMNS = (
    OpenDataColumn("service_area", "Service area", "The service area the team belongs to."),
    OpenDataColumn("team", "Team", "The team's name."),
)
STAGE_COLUMN = OpenDataColumn(
    "stage",
    "Stage",
    "The stage of the complaints procedure: 1 (local resolution), 2 (investigation) or 3 "
    "(review panel).",
    datatype="integer",
)


# --- the files --------------------------------------------------------------------------------

OPEN_DATA_TABLES: tuple[OpenDataTable, ...] = (
    OpenDataTable(
        stats_table="stats_headlines",
        file_name="headline-figures.csv",
        title="Headline figures",
        description="One row per headline measure of the year.",
        counting_rule="Each measure counts what its label says, for the financial year; a "
        "complaint, compliment or comment counts in the year it was received, a decision in the "
        "year it was made.",
        key=("measure",),
        columns=(
            OpenDataColumn("measure", "Measure", "The measure's code, fixed from year to year."),
            OpenDataColumn(
                "measure_label",
                "Measure (label)",
                "What the measure counts.",
                value=_headline_label,
                derived_from="the measures registry (csc_complaints.measures)",
            ),
            OpenDataColumn("value", "Value", "The count.", datatype="integer", unit="count"),
        ),
        zero_fill=(each_headline,),
    ),
    OpenDataTable(
        stats_table="stats_received_by_team",
        file_name="complaints-received-by-team.csv",
        title="Complaints received by team, per stage",
        description="One row per stage and team: every team of the year, zero included.",
        counting_rule="A complaint counts at a stage in the year that stage was requested, "
        "under the team dealing with it at that stage.",
        key=("stage", "team"),
        columns=(
            STAGE_COLUMN,
            *TEAM_COLUMNS,
            OpenDataColumn(
                "received",
                "Complaints received",
                "Complaints requested at this stage in the year for the team.",
                datatype="integer",
                unit="complaints",
            ),
        ),
        zero_fill=(each_stage, each_team),
    ),
    OpenDataTable(
        stats_table="stats_outcomes_by_team",
        file_name="complaint-outcomes-by-team.csv",
        title="Complaint outcomes by team, per stage",
        description="One row per stage, team and outcome: every team of the year and every "
        "outcome of the stage, zero included.",
        counting_rule="A decision counts in the year its response was sent, under the team "
        "and the outcome recorded for it at that stage.",
        key=("stage", "team", "outcome"),
        columns=(
            STAGE_COLUMN,
            *TEAM_COLUMNS,
            OpenDataColumn("outcome", "Outcome", "The outcome's code."),
            OpenDataColumn(
                "outcome_label",
                "Outcome (label)",
                "The outcome as the report prints it.",
                value=lambda row, context: measures.OUTCOME_LABELS.get(row["outcome"], ""),
                derived_from="the measures registry (csc_complaints.measures.OUTCOMES)",
            ),
            OpenDataColumn(
                "decisions",
                "Decisions",
                "Decisions reached at this stage in the year for the team, with this outcome.",
                datatype="integer",
                unit="decisions",
            ),
        ),
        zero_fill=(each_stage, each_team, each_outcome_of_the_stage),
    ),
    OpenDataTable(
        stats_table="stats_issues",
        file_name="complaints-by-issue.csv",
        title="Complaints by issue",
        description="One row per issue category, zero included.",
        counting_rule="A qualifying complaint counts once, under its primary issue, in the year "
        "it was received.",
        key=("issue",),
        columns=(
            OpenDataColumn("issue", "Issue", "The issue category's code."),
            OpenDataColumn(
                "issue_label",
                "Issue (label)",
                "The issue category as the report prints it.",
                source="label",
            ),
            OpenDataColumn(
                "complaints",
                "Complaints",
                "Qualifying complaints received in the year about this issue.",
                datatype="integer",
                unit="complaints",
            ),
        ),
        zero_fill=(each_issue,),
    ),
    OpenDataTable(
        stats_table="stats_feedback_by_team",
        file_name="compliments-and-comments-by-team.csv",
        title="Compliments and comments by team",
        description="One row per kind of feedback and team: every team of the year, zero included.",
        counting_rule="A compliment or comment counts in the year it was received, under the "
        "team it was about.",
        key=("kind", "team"),
        columns=(
            OpenDataColumn("kind", "Kind", "compliment or comment."),
            OpenDataColumn(
                "kind_label",
                "Kind (label)",
                "The kind as the report's headings name it.",
                value=lambda row, context: context.feedback_labels.get(row["kind"], ""),
                derived_from="the report's wording (include/templates/sections/teams.j2)",
            ),
            *TEAM_COLUMNS,
            OpenDataColumn(
                "received",
                "Received",
                "Compliments or comments received in the year for the team.",
                datatype="integer",
                unit="compliments or comments",
            ),
        ),
        zero_fill=(each_feedback_kind, each_team),
    ),
    OpenDataTable(
        stats_table="stats_timeliness",
        file_name="response-times.csv",
        title="Response times against the statutory timescales",
        description="One row per timescale.",
        counting_rule="A stage counts in the year of the date that stops the timescale's clock "
        "(the response, the panel, or the panel's report); it is within the timescale when the "
        "working days (Monday to Friday, less bank holidays in England) from the date that "
        "starts the clock are at most the target.",
        key=("measure",),
        columns=(
            OpenDataColumn("measure", "Measure", "The timescale's code, fixed from year to year."),
            OpenDataColumn(
                "measure_label",
                "Measure (label)",
                "The timescale as the report's timescales table names it.",
                value=_timeliness_label,
                derived_from="the measures registry (csc_complaints.measures)",
            ),
            OpenDataColumn(
                "target_working_days",
                "Target (working days)",
                "The timescale: the most working days a response may take.",
                datatype="integer",
                unit="working days",
                value=_target,
                derived_from="the council's settings, through the measures registry",
            ),
            OpenDataColumn(
                "responses",
                "Responses",
                "Responses sent in the year (the denominator).",
                datatype="integer",
                unit="responses",
            ),
            OpenDataColumn(
                "within_target",
                "Within target",
                "Of those, the responses sent within the target (the numerator).",
                datatype="integer",
                unit="responses",
            ),
            OpenDataColumn(
                "percentage_within_target",
                "Percentage within target",
                "within_target as a percentage of responses, to one decimal place (half up), "
                "as the report prints it; empty when there were no responses.",
                datatype="decimal",
                unit="percent",
                value=_percentage,
                derived_from="responses and within_target",
            ),
        ),
        zero_fill=(each_timeliness_measure,),
    ),
    # The tables beyond the seed report's (escalation, response times, who complained and how,
    # Ombudsman outcomes, learning followed through). A relationship, channel or Ombudsman
    # decision is recorded in words, so its value is its own label, and only the values the
    # year holds are listed (the source keeps no fixed list of them).
    OpenDataTable(
        stats_table="stats_complaints_by_relationship",
        file_name="complaints-by-who-complained.csv",
        title="Complaints by who made them",
        description="One row per relationship to the child recorded in the year.",
        counting_rule="A qualifying complaint counts once, in the year it was received, under "
        "the complainant's relationship to the child as the case-management system records it "
        "(not recorded when it does not).",
        key=("relationship",),
        columns=(
            OpenDataColumn(
                "relationship",
                "Relationship to the child",
                "The complainant's relationship to the child, in words (for example parent).",
            ),
            OpenDataColumn(
                "complaints",
                "Complaints",
                "Qualifying complaints received in the year from complainants of this "
                "relationship.",
                datatype="integer",
                unit="complaints",
            ),
        ),
    ),
    OpenDataTable(
        stats_table="stats_complaints_by_channel",
        file_name="complaints-by-channel.csv",
        title="Complaints by how they came in",
        description="One row per channel recorded in the year.",
        counting_rule="A qualifying complaint counts once, in the year it was received, under "
        "the way it reached the Council (not recorded when the system does not say).",
        key=("channel",),
        columns=(
            OpenDataColumn(
                "channel",
                "Channel",
                "How the complaint reached the Council, in words (for example email).",
            ),
            OpenDataColumn(
                "complaints",
                "Complaints",
                "Qualifying complaints received in the year through this channel.",
                datatype="integer",
                unit="complaints",
            ),
        ),
    ),
    OpenDataTable(
        stats_table="stats_escalation",
        file_name="complaints-escalated.csv",
        title="Complaints that went on to the next stage",
        description="One row per stage that can be escalated (Stages 1 and 2).",
        counting_rule="A complaint counts at a stage in the year that stage was requested; it "
        "is escalated when it has a request for the next stage, as the figures stood when these "
        "files were written (a past year's figure can still rise as cases progress).",
        key=("stage",),
        columns=(
            STAGE_COLUMN,
            OpenDataColumn(
                "complaints",
                "Complaints",
                "Complaints requested at this stage in the year.",
                datatype="integer",
                unit="complaints",
            ),
            OpenDataColumn(
                "escalated",
                "Escalated",
                "Of those, the complaints taken on to the next stage.",
                datatype="integer",
                unit="complaints",
            ),
        ),
        zero_fill=(each_escalated_stage,),
    ),
    OpenDataTable(
        stats_table="stats_response_days",
        file_name="response-days-by-stage.csv",
        title="How long responses took, per stage",
        description="One row per stage.",
        counting_rule="A response counts in the year it was sent; its time is the working days "
        "(Monday to Friday, less bank holidays in England) from the request to the response (at "
        "Stage 3, the Director's letter).",
        key=("stage",),
        columns=(
            STAGE_COLUMN,
            OpenDataColumn(
                "responses",
                "Responses",
                "Responses sent at this stage in the year.",
                datatype="integer",
                unit="responses",
            ),
            OpenDataColumn(
                "mean_working_days",
                "Mean (working days)",
                "The mean time a response took, to one decimal place (half up); empty when "
                "there were no responses.",
                datatype="decimal",
                unit="working days",
            ),
            OpenDataColumn(
                "median_working_days",
                "Median (working days)",
                "The median time a response took, to one decimal place (of an even number of "
                "responses, the mean of the middle two); empty when there were no responses.",
                datatype="decimal",
                unit="working days",
            ),
        ),
        zero_fill=(each_stage,),
    ),
    OpenDataTable(
        stats_table="stats_ombudsman_decisions",
        file_name="ombudsman-decisions.csv",
        title="Ombudsman decisions by outcome",
        description="One row per decision recorded in the year.",
        counting_rule="A case counts in the year the Local Government and Social Care Ombudsman "
        "made its decision, under that decision as the case-management system records it.",
        key=("decision",),
        columns=(
            OpenDataColumn(
                "decision",
                "Decision",
                "The Ombudsman's decision, in words (for example not upheld).",
            ),
            OpenDataColumn(
                "cases",
                "Cases",
                "Ombudsman decisions of this kind made in the year.",
                datatype="integer",
                unit="cases",
            ),
            OpenDataColumn(
                "maladministration",
                "Maladministration found",
                "Of those, the decisions that found maladministration.",
                datatype="integer",
                unit="cases",
            ),
        ),
    ),
    OpenDataTable(
        stats_table="stats_learning_actions",
        file_name="learning-actions-by-team.csv",
        title="Learning actions agreed and completed, by team",
        description="One row per team: every team of the year, zero included.",
        counting_rule="A learning action counts in the year it was agreed, under the team it is "
        "for; it is completed when the system records it so, as the figures stood when these "
        "files were written.",
        key=("team",),
        columns=(
            *TEAM_COLUMNS,
            OpenDataColumn(
                "agreed",
                "Agreed",
                "Learning actions agreed in the year for the team.",
                datatype="integer",
                unit="learning actions",
            ),
            OpenDataColumn(
                "completed",
                "Completed",
                "Of those, the actions completed.",
                datatype="integer",
                unit="learning actions",
            ),
        ),
        zero_fill=(each_team,),
    ),
)

OPEN_DATA_BY_STATS_TABLE = {table.stats_table: table for table in OPEN_DATA_TABLES}
