"""The breakdowns by service area and team: Stage 1, 2 and 3 complaints, comments, compliments.

Each is a total compared with last year, a chart by team, and one sentence per team grouped
under its service area. Wording: ``include/templates/sections/teams.j2``.
"""

from __future__ import annotations

from collections.abc import Callable

from csc_complaints.report import sentences as say
from csc_complaints.report.document import Block, Heading, Paragraph
from csc_complaints.report.figures import TeamCount, YearFigures
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording

WORDING = "sections/teams"
# The headline measure of each breakdown's total.
STAGE_RECEIVED = {1: "stage1_received", 2: "stage2_received", 3: "stage3_received"}
FEEDBACK_RECEIVED = {"comment": "comments_received", "compliment": "compliments_received"}

PriorCount = Callable[[YearFigures, str], int]  # last year's count of a team, by its name


def stage_complaints_by_team(report: ReportContext, stage: int) -> list[Block]:
    words = wording(WORDING)
    measure = STAGE_RECEIVED[stage]
    total = report.current.headline(measure)
    if stage == 1:
        clause = words.text("stage1_received", total, report.year_label)
        total_text = report.compared(clause, total, lambda y: y.headline(measure))
    else:
        total_text = say.stage_escalated(
            stage,
            total,
            report.year_label,
            report.prior_figure(lambda y: y.headline(measure)),
            report.prior_label,
            report.thresholds,
        )
    return [
        Heading(1, words.text("stage_heading", stage)),
        Paragraph(total_text),
        *_by_team(
            report,
            report.current.received_by_team(stage),
            lambda year, team: year.team_received(stage, team),
            words.text("stage_chart_title", stage),
            words.text("stage_counted"),
            note=words.text("teams_not_listed", stage, report.year_label),
        ),
    ]


def feedback_by_team(report: ReportContext, kind: str) -> list[Block]:
    """Comments (``kind="comment"``) or compliments by team."""
    words = wording(WORDING)
    counted = words.text("feedback_counted", kind)
    return [
        Heading(1, words.text("feedback_heading", kind)),
        Paragraph(report.council_received(FEEDBACK_RECEIVED[kind], counted)),
        *_by_team(
            report,
            report.current.feedback_by_team(kind),
            lambda year, team: year.team_feedback(kind, team),
            words.text("feedback_chart_title", kind),
            counted,
        ),
    ]


def _by_team(
    report: ReportContext,
    teams: list[TeamCount],
    prior_count: PriorCount,
    chart_title: str,
    counted: str,
    note: str | None = None,
) -> list[Block]:
    """The chart by team, a note under it, and the teams' sentences; nothing without teams."""
    if not teams:
        return []
    blocks = _team_chart(report, chart_title, teams, prior_count, counted)
    if note is not None:
        blocks.append(Paragraph(note, style="note"))
    return blocks + _team_sentences(report, teams, prior_count, counted)


def _team_chart(
    report: ReportContext,
    title: str,
    teams: list[TeamCount],
    prior_count: PriorCount,
    counted: str,
) -> list[Block]:
    ordered = [team for members in report.by_area(teams).values() for team in members]
    names = [team.team for team in ordered]
    words = wording(WORDING)
    return report.bar_chart(
        title,
        names,
        [team.count for team in ordered],
        report.prior_values(prior_count, names),
        (words.text("team_axis"), words.text("count_axis", counted)),
    )


def _team_sentences(
    report: ReportContext, teams: list[TeamCount], prior_count: PriorCount, counted: str
) -> list[Block]:
    """Under each service area's heading, one sentence per team compared with last year."""
    blocks: list[Block] = []
    for area, members in report.by_area(teams).items():
        blocks.append(Heading(2, area, toc=False))
        for team in members:
            prior = report.prior_figure(lambda year, name=team.team: prior_count(year, name))
            blocks.append(
                Paragraph(
                    say.team_received(
                        team.team,
                        team.count,
                        counted,
                        prior,
                        report.prior_label,
                        report.thresholds,
                    )
                )
            )
    return blocks
