"""The registry of published measures: the one list each figure's name, meaning and label come from.

The names are a contract (docs/warehouse.md): outside tools read them from the stats tables, so
they are never renamed. Everything that needs a list of measures reads it here: the warehouse
build's targets and its timeliness counts, the zero rows, the report's figures, sentences and
timescales table, the reconciliation rule RC06, and the open data.

SQL cannot import this module, so the warehouse holds a copy of it as the table ``dim_measure``,
rewritten from here whenever it differs (``csc_complaints.warehouse.schema``): the SQL steps and
the suite's RC06 join that table instead of listing names.

What a new measure takes: a timeliness measure is counted from its fields alone (its stage, its
two dates and its target setting); a headline needs its count written in
``include/sql/warehouse/stats_headlines.sql`` (every headline is a different count), and the zero
rows, RC06 and the CSV follow from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TimelinessMeasure:
    """One statutory timescale: ``within`` of ``responses`` (docs/counting-rules.md).

    ``responses`` are the stage rows whose ``end_date`` falls in the year; ``within`` are those
    whose working days from ``start_date`` to ``end_date`` are at most the target, which is the
    setting named ``target_setting`` (working days).
    """

    name: str  # the published measure name, e.g. stage1_within_10wd
    stage: int
    start_date: str  # the stage row's date the clock starts from
    end_date: str  # the stage row's date the clock stops at; it decides the year
    target_setting: str  # settings key of the target in working days
    label: str  # as printed in the report's timescales table
    decisions_measure: str | None  # the headline its responses must equal (RC06), if any
    recommendation_label: str | None = None  # set on each stage's longest timescale: how a
    # "Further recommendations" sentence names it when too few responses are within it
    extends: str | None = None  # the shorter timescale this one extends (same responses): its
    # within must be at most this one's (RC06)


TIMELINESS_MEASURES: tuple[TimelinessMeasure, ...] = (
    TimelinessMeasure(
        "stage1_within_10wd",
        stage=1,
        start_date="requested_date",
        end_date="response_date",
        target_setting="stage1_target_wd",
        label="Stage 1 response",
        decisions_measure="stage1_decisions",
    ),
    TimelinessMeasure(
        "stage1_within_20wd",
        stage=1,
        start_date="requested_date",
        end_date="response_date",
        target_setting="stage1_extended_wd",
        label="Stage 1 response, extended",
        decisions_measure="stage1_decisions",
        recommendation_label="Stage 1",
        extends="stage1_within_10wd",
    ),
    TimelinessMeasure(
        "stage2_within_25wd",
        stage=2,
        start_date="requested_date",
        end_date="response_date",
        target_setting="stage2_target_wd",
        label="Stage 2 response",
        decisions_measure="stage2_decisions",
    ),
    TimelinessMeasure(
        "stage2_within_65wd",
        stage=2,
        start_date="requested_date",
        end_date="response_date",
        target_setting="stage2_extended_wd",
        label="Stage 2 response, maximum",
        decisions_measure="stage2_decisions",
        recommendation_label="Stage 2",
        extends="stage2_within_25wd",
    ),
    TimelinessMeasure(
        "stage3_panel_within_30wd",
        stage=3,
        start_date="requested_date",
        end_date="panel_date",
        target_setting="stage3_panel_wd",
        label="Stage 3 review panel held",
        decisions_measure=None,
        recommendation_label="Stage 3 review panel",
    ),
    TimelinessMeasure(
        "stage3_panel_report_within_5wd",
        stage=3,
        start_date="panel_date",
        end_date="panel_report_date",
        target_setting="stage3_panel_report_wd",
        label="Stage 3 panel's findings sent",
        decisions_measure=None,
        recommendation_label="Stage 3 panel findings",
    ),
    TimelinessMeasure(
        "stage3_director_within_15wd",
        stage=3,
        start_date="panel_report_date",
        end_date="response_date",
        target_setting="stage3_director_wd",
        label="Stage 3 Director's response",
        decisions_measure="stage3_decisions",
        recommendation_label="Stage 3 Director's response",
    ),
)

TIMELINESS_BY_NAME = {m.name: m for m in TIMELINESS_MEASURES}


@dataclass(frozen=True)
class HeadlineMeasure:
    """One row of ``stats_headlines``: a count of the year (docs/counting-rules.md)."""

    name: str
    counts: str  # what is counted, in a sentence for the open-data dictionary


HEADLINE_MEASURES: tuple[HeadlineMeasure, ...] = (
    HeadlineMeasure("complaints_received", "qualifying complaints received in the year"),
    HeadlineMeasure("non_qualifying_received", "non-qualifying complaints received in the year"),
    HeadlineMeasure("compliments_received", "compliments received in the year"),
    HeadlineMeasure("comments_received", "comments received in the year"),
    HeadlineMeasure("stage1_received", "Stage 1 complaints begun (requested) in the year"),
    HeadlineMeasure("stage2_received", "Stage 2 investigations requested in the year"),
    HeadlineMeasure("stage3_received", "Stage 3 review panels requested in the year"),
    HeadlineMeasure("stage1_decisions", "Stage 1 complaints responded to in the year"),
    HeadlineMeasure("stage2_decisions", "Stage 2 investigations responded to in the year"),
    HeadlineMeasure("stage3_decisions", "Stage 3 Director's responses sent in the year"),
    HeadlineMeasure("ombudsman_referred", "complaints referred to the Ombudsman in the year"),
    HeadlineMeasure("ombudsman_determined", "Ombudsman decisions made in the year"),
    HeadlineMeasure(
        "ombudsman_maladministration",
        "Ombudsman decisions made in the year that found maladministration (the KPI)",
    ),
    HeadlineMeasure("learning_actions_agreed", "learning actions agreed in the year"),
)

HEADLINE_NAMES = tuple(m.name for m in HEADLINE_MEASURES)


@dataclass(frozen=True)
class Outcome:
    """A stage decision's outcome code and its printed label (docs/source-schema.md)."""

    code: str
    label: str
    stage1_only: bool = False

    def applies_to(self, stage: int) -> bool:
        return stage == 1 or not self.stage1_only


# In the order of the report's outcome table columns.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("escalated_without_response", "Escalated to Stage 2 (No S1 Response)", True),
    Outcome("inconclusive", "Inconclusive"),
    Outcome("not_upheld", "Not Upheld"),
    Outcome("partially_upheld", "Partially Upheld"),
    Outcome("upheld", "Upheld"),
    Outcome("withdrawn", "Withdrawn"),
)

OUTCOME_LABELS = {o.code: o.label for o in OUTCOMES}


# The stage row's dates a timeliness measure may start or stop its clock at (docs/source-schema.md).
STAGE_DATES = ("requested_date", "response_date", "panel_date", "panel_report_date")


class MeasureRegistryError(ValueError):
    """The registry contradicts itself: a figure it describes could not be counted or checked."""


def check_registry() -> None:
    """Refuse a registry whose measures cannot all be counted, zero-filled and reconciled.

    Reads the module's lists when called (not when imported), so a registry changed at run time
    (by a test, say) is the one checked.
    """
    names = [m.name for m in HEADLINE_MEASURES] + [m.name for m in TIMELINESS_MEASURES]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise MeasureRegistryError(f"measure names used twice: {', '.join(repeated)}")
    headlines = {m.name for m in HEADLINE_MEASURES}
    timeliness = {m.name: m for m in TIMELINESS_MEASURES}
    for measure in TIMELINESS_MEASURES:
        where = f"timeliness measure {measure.name}"
        if measure.stage not in (1, 2, 3):
            raise MeasureRegistryError(f"{where}: stage {measure.stage} is not 1, 2 or 3")
        for date_name in (measure.start_date, measure.end_date):
            if date_name not in STAGE_DATES:
                raise MeasureRegistryError(
                    f"{where}: {date_name!r} is not a stage row's date ({', '.join(STAGE_DATES)})"
                )
        if measure.decisions_measure is not None and measure.decisions_measure not in headlines:
            raise MeasureRegistryError(
                f"{where}: decisions_measure {measure.decisions_measure!r} is not a headline"
            )
        if measure.extends is not None:
            shorter = timeliness.get(measure.extends)
            same_responses = shorter is not None and (
                (shorter.stage, shorter.start_date, shorter.end_date)
                == (measure.stage, measure.start_date, measure.end_date)
            )
            if not same_responses:
                raise MeasureRegistryError(
                    f"{where}: extends {measure.extends!r}, which is not a timeliness measure "
                    "of the same stage and dates"
                )
