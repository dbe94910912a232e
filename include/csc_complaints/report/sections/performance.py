"""Performance against the Procedure: timescales, Stages 1 to 3, the key performance indicator.

The timeliness measures, their printed labels and the settings of their targets come from the
registry (``csc_complaints.measures``). Percentages are carried as ``Decimal`` (one place, half
up) from the counts to the templates, which print them. Wording:
``include/templates/sections/performance.j2``.
"""

from __future__ import annotations

from decimal import Decimal

from csc_complaints.measures import TIMELINESS_BY_NAME, TIMELINESS_MEASURES
from csc_complaints.report import sentences as say
from csc_complaints.report.document import (
    Block,
    Bullets,
    Heading,
    Paragraph,
    Table,
    TableRow,
    linked_paragraph,
)
from csc_complaints.report.figures import YearFigures
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording

WORDING = "sections/performance"


def performance_against_the_procedure(report: ReportContext) -> list[Block]:
    words = wording(WORDING)
    has_prior = report.prior is not None
    return [
        Heading(1, words.text("heading")),
        *words.blocks("intro", report.year_label),
        Heading(2, words.text("timescales_heading")),
        *words.blocks(
            "timescales_table_intro", report.year_label, report.prior_label if has_prior else ""
        ),
        timescales_table(report),
        *stage1_timescales(report),
        *stage2_timescales(report),
        *stage3_timescales(report),
        *key_performance_indicator(report),
    ]


def _target(report: ReportContext, measure: str) -> int:
    """The measure's target in working days, from its setting."""
    return getattr(report.settings, TIMELINESS_BY_NAME[measure].target_setting)


def _percent_within(figures: YearFigures | None, measure: str) -> Decimal | None:
    """The percentage within target; None without figures or without responses."""
    if figures is None:
        return None
    responses, within = figures.timeliness_of(measure)
    return say.percent_value(within, responses) if responses else None


def timescales_table(report: ReportContext) -> Table:
    """Every timeliness measure: target, responses, within target, percentage (and last year's)."""
    words = wording(WORDING)
    has_prior = report.prior is not None
    no_responses = words.text("no_responses_cell")

    def percent_cell(value: Decimal | None) -> str:
        return no_responses if value is None else say.percent_text(value)

    rows = []
    for measure in TIMELINESS_MEASURES:
        responses, within = report.current.timeliness_of(measure.name)
        cells = [
            measure.label,
            words.text("target_cell", _target(report, measure.name)),
            str(responses),
            str(within),
            percent_cell(_percent_within(report.current, measure.name)),
        ]
        if has_prior:
            cells.append(percent_cell(_percent_within(report.prior, measure.name)))
        rows.append(TableRow(tuple(cells)))
    header = [
        *(
            words.text("timescales_column", c)
            for c in ("timescale", "target", "responses", "within")
        ),
        report.year_label,
    ]
    if has_prior:
        header.append(report.prior_label)
    return Table(
        words.text(
            "timescales_caption", report.year_label, report.prior_label if has_prior else ""
        ),
        tuple(header),
        tuple(rows),
        numeric_from=2,
        widths=(3.2, 1.4, 1.1, 1.1, 1.1, 1.1)[: len(header)],
    )


def _within(report: ReportContext, measure: str, lead: str) -> str | None:
    """``lead``, then how many of the measure's responses were within its target, the
    percentage and last year's; None when the measure has no responses this year."""
    responses, within = report.current.timeliness_of(measure)
    if not responses:
        return None
    percent = say.percent_value(within, responses)
    how = wording(WORDING).text("how", measure, _target(report, measure))
    clause = wording(WORDING).text("within", lead, within, percent, how)
    change = say.percent_change(percent, _percent_within(report.prior, measure), report.prior_label)
    return say.sentence(clause + change)


def _bullets(items: list[str | None]) -> Bullets:
    return Bullets(tuple(item for item in items if item is not None))


def stage1_timescales(report: ReportContext) -> list[Block]:
    """Within the target, within the extension only, and within the extension in total."""
    words = wording(WORDING)
    blocks: list[Block] = [Heading(3, words.text("stage_heading", 1))]
    blocks += words.blocks("stage1_target", report.settings)
    responses, within_target = report.current.timeliness_of("stage1_within_10wd")
    if not responses:
        return blocks + [Paragraph(words.text("no_responses", 1, report.year_label))]
    _, within_extended = report.current.timeliness_of("stage1_within_20wd")
    further = within_extended - within_target
    lead = words.text("responses_lead", 1, responses, report.year_label)
    further_text = words.text(
        "stage1_further",
        further,
        say.percent_value(further, responses),
        _target(report, "stage1_within_20wd"),
    )
    items = [
        _within(report, "stage1_within_10wd", lead),
        further_text,
        _within(report, "stage1_within_20wd", words.text("in_total")),
    ]
    blocks.append(_bullets(items))
    # Each percentage is its own count of the responses, rounded on its own; when the two
    # printed parts do not add up to the printed total, a note says why (docs/report.md).
    parts = (say.percent_value(within_target, responses), say.percent_value(further, responses))
    total = say.percent_value(within_extended, responses)
    if sum(parts) != total:
        blocks.append(Paragraph(words.text("rounding_note", *parts, total), style="note"))
    return blocks


def stage2_timescales(report: ReportContext) -> list[Block]:
    """Within the target, within the maximum in total, and after the maximum."""
    words = wording(WORDING)
    blocks: list[Block] = [Heading(3, words.text("stage_heading", 2))]
    blocks += words.blocks("stage2_target", report.settings)
    maximum = "stage2_within_65wd"
    responses, _ = report.current.timeliness_of("stage2_within_25wd")
    if not responses:
        return blocks + [Paragraph(words.text("no_responses", 2, report.year_label))]
    late = responses - report.current.timeliness_of(maximum)[1]
    prior_late = None
    if report.prior is not None:
        prior_responses, prior_within = report.prior.timeliness_of(maximum)
        if prior_responses:
            prior_late = say.percent_value(prior_responses - prior_within, prior_responses)
    late_text = words.text(
        "stage2_late",
        late,
        say.percent_value(late, responses),
        _target(report, maximum),
        prior_late,
        report.prior_label,
    )
    lead = words.text("responses_lead", 2, responses, report.year_label)
    items = [
        _within(report, "stage2_within_25wd", lead),
        _within(report, maximum, words.text("in_total")),
        say.sentence(late_text),
    ]
    return blocks + [_bullets(items)]


def stage3_timescales(report: ReportContext) -> list[Block]:
    """One bullet per Stage 3 measure: its target, then how many were within it."""
    words = wording(WORDING)
    items = []
    for measure in (m for m in TIMELINESS_MEASURES if m.stage == 3):
        target = words.text("stage3_target", measure.name, _target(report, measure.name))
        responses, _ = report.current.timeliness_of(measure.name)
        if responses:
            lead = words.text("stage3_lead", measure.name, responses, report.year_label)
            body = _within(report, measure.name, lead)
        else:
            body = words.text("stage3_none", measure.name, report.year_label)
        items.append(f"{target} {body}")
    return [Heading(3, words.text("stage_heading", 3)), Bullets(tuple(items))]


def key_performance_indicator(report: ReportContext) -> list[Block]:
    words = wording(WORDING)
    return [
        Heading(2, words.text("kpi_heading")),
        *words.blocks("kpi_intro", report.settings),
        Paragraph(
            report.council_received("ombudsman_maladministration", words.text("kpi_counted"))
        ),
        # The texts the settings add for the year (the seed's Cabinet reports), with links.
        *(linked_paragraph(text) for text in report.settings.kpi_notes_for(report.year_label)),
    ]
