"""Organisational Learning: the year's learning-action texts, grouped by team.

As in the seed, the teams come in the order their first action of the year was agreed, and
each team's actions in the order they were agreed (by agreed date, then as the source numbered
them): the story of the year's learning, not an index of teams.

The texts come from the source and are printed as they are (``Texts`` blocks: the PDF does not
parse them as markup). Wording: ``include/templates/sections/learning.j2``.
"""

from __future__ import annotations

from collections import defaultdict

from csc_complaints.report.document import Block, Heading, Texts
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording


def organisational_learning(report: ReportContext) -> list[Block]:
    words = wording("sections/learning")
    blocks: list[Block] = [Heading(1, words.text("heading"))]
    actions = report.current.learning
    if not actions:
        return blocks + words.blocks("no_learning", report.year_label)
    blocks += words.blocks("intro", report.year_label)
    missing = words.text("learning_text_missing")
    by_team: dict[tuple[str, str], list[str]] = defaultdict(list)
    for action in sorted(actions, key=lambda a: (a.agreed_date, a.action_id)):
        by_team[(action.service_area, action.team)].append(action.text or missing)
    for (_area, team), texts in by_team.items():
        blocks += [Heading(2, team, toc=False), Texts(tuple(texts))]
    return blocks
