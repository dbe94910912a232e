"""The registry of published measures: the one list each figure's name, meaning and label come from.

The names are a contract (docs/warehouse.md): outside tools read them from the stats tables, so
they are never renamed. Everything that needs a list of measures reads it here: the warehouse
SQL's bind parameters and zero rows, the report's figures, sentences and timescales table, the
reconciliation rule RC06, and the open data's dictionary.
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
