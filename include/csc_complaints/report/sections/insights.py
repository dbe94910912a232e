"""The sections beyond the seed report: at a glance, five-year trends, escalation, response
times, who complained and how, Ombudsman outcomes and learning followed through.

Each reads the newer stats tables (docs/warehouse.md) through ``YearFigures``; every chart has
its numbers in a table beside it. Wording: ``include/templates/sections/insights.j2``.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from csc_complaints.measures import TIMELINESS_BY_NAME
from csc_complaints.report import sentences as say
from csc_complaints.report.document import Block, Chart, Heading, Paragraph, Table, TableRow
from csc_complaints.report.figures import YearFigures
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording

UPHELD = ("upheld", "partially_upheld")
TREND_TIMELINESS = ("stage1_within_10wd", "stage1_within_20wd", "stage2_within_25wd")
TREND_TIMELINESS += ("stage2_within_65wd",)


def _words():
    return wording("sections/insights")


def _percent(part: int, whole: int) -> Decimal | None:
    return None if whole <= 0 else say.percent_value(part, whole)


def _escalation_rate(year: YearFigures, stage: int = 1) -> Decimal | None:
    began, escalated = year.escalation.get(stage, (0, 0))
    return _percent(escalated, began)


def _timeliness_percent(year: YearFigures, measure: str) -> Decimal | None:
    responses, within = year.timeliness_of(measure)
    return _percent(within, responses)


def _upheld_share(year: YearFigures) -> Decimal | None:
    """Stage 1 decisions upheld or partially upheld, as a share of Stage 1 decisions."""
    decided = sum(sum(cells.values()) for cells in year.outcomes.get(1, {}).values())
    upheld = sum(
        cells.get(code, 0) for cells in year.outcomes.get(1, {}).values() for code in UPHELD
    )
    return _percent(upheld, decided)


def _maladministration(year: YearFigures) -> int:
    return year.headline("ombudsman_maladministration")


# (figure key, how it is read from a year, whether it is a percentage)
GLANCE = (
    ("complaints", lambda y: y.headline("complaints_received"), False),
    ("compliments", lambda y: y.headline("compliments_received"), False),
    ("stage1_10", lambda y: _timeliness_percent(y, "stage1_within_10wd"), True),
    ("stage1_20", lambda y: _timeliness_percent(y, "stage1_within_20wd"), True),
    ("escalation", _escalation_rate, True),
    ("upheld", _upheld_share, True),
    ("maladministration", _maladministration, False),
)


def _shown(value, is_percent: bool, words) -> str:
    if value is None:
        return words.text("not_measured")
    return say.percent_text(value) if is_percent else str(value)


def at_a_glance(report: ReportContext) -> list[Block]:
    """The year's headline figures, each with last year's and the direction of change."""
    words = _words()
    rows = []
    for key, read, is_percent in GLANCE:
        now = read(report.current)
        before = read(report.prior) if report.prior is not None else None
        rows.append(
            TableRow(
                (
                    words.text("glance_label", key),
                    _shown(now, is_percent, words),
                    _shown(before, is_percent, words) if report.prior else words.text("no_prior"),
                    words.text("direction", now, before),
                )
            )
        )
    return [
        Heading(1, words.text("glance_heading")),
        *words.blocks("glance_intro", report.year_label),
        _without_prior(
            Table(
                words.text("glance_caption", report.year_label),
                tuple(
                    words.text("glance_header", report.year_label, report.prior_label).split("|")
                ),
                tuple(rows),
                numeric_from=1,
                widths=(2.6, 1.5, 1.3, 1.1),
                style="headline",
            ),
            report,
        ),
    ]


def _without_prior(table: Table, report: ReportContext) -> Table:
    """``table`` less its last-year columns (and the change beside them) when there is no
    last year: nothing is compared with a year the warehouse does not hold."""
    if report.prior is not None:
        return table
    keep = [
        i
        for i, name in enumerate(table.header)
        if report.prior_label not in name and name != _words().text("change_column")
    ]
    return replace(
        table,
        header=tuple(table.header[i] for i in keep),
        rows=tuple(replace(r, cells=tuple(r.cells[i] for i in keep)) for r in table.rows),
        widths=tuple(table.widths[i] for i in keep) if table.widths else (),
    )


def _trend_series(history: list[YearFigures], read) -> tuple:
    return tuple(read(year) for year in history)


def five_year_trends(report: ReportContext) -> list[Block]:
    """Up to five years: received by stage, compliments, timeliness, escalation rate."""
    words = _words()
    blocks: list[Block] = [Heading(1, words.text("trends_heading"))]
    history = list(report.history) or [report.current]
    labels = tuple(y.year.label for y in history)
    if len(history) < 2:
        return blocks + words.blocks("trends_one_year", report.year_label)
    blocks += words.blocks("trends_intro", labels[0], labels[-1], len(history))
    groups = [
        (
            "received",
            [
                (
                    words.text("stage_label", stage),
                    lambda y, s=stage: y.headline(f"stage{s}_received"),
                )
                for stage in (1, 2, 3)
            ],
            False,
        ),
        (
            "compliments",
            [
                (
                    words.text("glance_label", "compliments"),
                    lambda y: y.headline("compliments_received"),
                )
            ],
            False,
        ),
        (
            "timeliness",
            [
                (
                    words.text(
                        "within_label",
                        TIMELINESS_BY_NAME[m].stage,
                        int(getattr(report.settings, TIMELINESS_BY_NAME[m].target_setting)),
                    ),
                    lambda y, m=m: _timeliness_percent(y, m),
                )
                for m in TREND_TIMELINESS
            ],
            True,
        ),
        ("escalation", [(words.text("glance_label", "escalation"), _escalation_rate)], True),
    ]
    for group, measures, is_percent in groups:
        title = words.text("trend_title", group)
        series = [(name, _trend_series(history, read)) for name, read in measures]
        # One row per figure, one column per year (oldest first), as the timescales table.
        rows = tuple(
            TableRow((name, *(_shown(value, is_percent, words) for value in values)))
            for name, values in series
        )
        blocks.append(Heading(2, title, toc=False))
        blocks.append(
            Table(
                words.text("trend_caption", title, labels[0], labels[-1]),
                (words.text("figure_column"), *labels),
                rows,
            )
        )
        plotted = tuple(
            (name, tuple(float(v) if v is not None else None for v in values))
            for name, values in series
        )
        alt = words.text("line_chart_alt", title, labels, plotted, is_percent)
        blocks.append(Chart(title, labels, plotted, alt, style="line"))
    return blocks


def escalation(report: ReportContext) -> list[Block]:
    """How many of the year's Stage 1 complaints went on to Stage 2, as at the last extract."""
    words = _words()
    blocks: list[Block] = [
        Heading(1, words.text("escalation_heading")),
        *words.blocks("escalation_note"),  # first: kept with the heading on its page
    ]
    as_at = report.as_at
    for stage in (1, 2):
        began, escalated = report.current.escalation.get(stage, (0, 0))
        prior = report.prior.escalation.get(stage, (0, 0)) if report.prior else None
        blocks.append(
            Paragraph(
                words.text(
                    "escalation_sentence",
                    stage,
                    began,
                    escalated,
                    _percent(escalated, began),
                    report.year_label,
                    as_at,
                    prior,
                    _percent(prior[1], prior[0]) if prior else None,
                    report.prior_label,
                )
            )
        )
    return blocks


def response_times(report: ReportContext) -> list[Block]:
    """Mean and median working days at Stages 1 and 2 against the targets, with last year's."""
    words = _words()
    settings = report.settings
    targets = {1: settings.stage1_target_wd, 2: settings.stage2_target_wd}
    blocks: list[Block] = [Heading(1, words.text("response_heading"))]
    rows = []
    for stage in (1, 2):
        now = report.current.response_days.get(stage)
        before = report.prior.response_days.get(stage) if report.prior else None
        blocks.append(
            Paragraph(
                words.text(
                    "response_sentence",
                    stage,
                    now,
                    before,
                    int(targets[stage]),
                    report.year_label,
                    report.prior_label,
                )
            )
        )
        rows.append(
            TableRow(
                (
                    words.text("stage_label", stage),
                    str(int(targets[stage])),
                    *(words.text("days", f[1]) if f else "-" for f in (now,)),
                    *(words.text("days", f[2]) if f else "-" for f in (now,)),
                    *(words.text("days", f[1]) if f else "-" for f in (before,)),
                    *(words.text("days", f[2]) if f else "-" for f in (before,)),
                )
            )
        )
    blocks.append(
        _without_prior(
            Table(
                words.text("response_caption", report.year_label),
                tuple(
                    words.text("response_header", report.year_label, report.prior_label).split("|")
                ),
                tuple(rows),
            ),
            report,
        )
    )
    return blocks


def _categories(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Largest first, then by name; 'not recorded' last."""
    return sorted(counts.items(), key=lambda kv: (kv[0] == "not recorded", -kv[1], kv[0]))


def who_complained_and_how(report: ReportContext) -> list[Block]:
    """Complaints by the complainant's relationship and by channel, in words."""
    words = _words()
    total = report.current.headline("complaints_received")
    blocks: list[Block] = [Heading(1, words.text("who_heading"))]
    for kind, counts in (
        ("relationship", report.current.by_relationship),
        ("channel", report.current.by_channel),
    ):
        blocks.append(
            Paragraph(
                words.text("who_sentence", kind, total, _categories(counts), report.year_label)
            )
        )
        if counts:
            prior = (
                report.prior.by_relationship
                if (report.prior and kind == "relationship")
                else (report.prior.by_channel if report.prior else {})
            )
            table = Table(
                words.text("who_caption", kind, report.year_label),
                (words.text("who_column", kind), report.year_label, report.prior_label),
                tuple(
                    TableRow((words.text("category", name), str(n), str(prior.get(name, 0))))
                    for name, n in _categories(counts)
                ),
            )
            blocks.append(_without_prior(table, report))
    return blocks


def ombudsman_outcomes(report: ReportContext) -> list[Block]:
    """The LGSCO's decisions in the year by outcome, and how many found maladministration."""
    words = _words()
    decisions = report.current.ombudsman_decisions
    cases = sum(c for c, _ in decisions.values())
    found = sum(m for _, m in decisions.values())
    ordered = sorted(decisions.items(), key=lambda kv: (-kv[1][0], kv[0]))
    blocks: list[Block] = [
        Heading(1, words.text("ombudsman_heading")),
        Paragraph(words.text("ombudsman_sentence", cases, found, ordered, report.year_label)),
    ]
    if decisions:
        blocks.append(
            Table(
                words.text("ombudsman_caption", report.year_label),
                tuple(words.text("ombudsman_header").split("|")),
                tuple(
                    TableRow((words.text("category", d), str(c), str(m))) for d, (c, m) in ordered
                ),
            )
        )
    return blocks


def learning_followed_through(report: ReportContext) -> list[Block]:
    """For each team, the actions agreed in the year and how many are completed now."""
    words = _words()
    teams = sorted(report.current.learning_by_team, key=lambda t: (t[0].lower(), t[1].lower()))
    agreed = sum(t[2] for t in teams)
    completed = sum(t[3] for t in teams)
    blocks: list[Block] = [
        Heading(1, words.text("learning_heading")),
        Paragraph(
            words.text("learning_sentence", agreed, completed, report.year_label, report.as_at)
        ),
    ]
    if teams:
        rows = [TableRow((team, str(a), str(c))) for _area, team, a, c in teams]
        rows.append(TableRow((words.text("total"), str(agreed), str(completed)), kind="total"))
        blocks.append(
            Table(
                words.text("learning_caption", report.year_label),
                tuple(words.text("learning_header").split("|")),
                tuple(rows),
            )
        )
    return blocks
