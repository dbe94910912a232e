"""Organisational Learning: the year's learning-action texts, grouped by team.

As in the seed, the actions come in the order the council recorded them (the source's action
id), grouped by team, each team where its first action of the year was recorded: the seed's
order (Life Stages 0 - 25, Safeguarding Team A, Safeguarding Team D, Fostering, Keeping
Families Together), which neither the teams' names nor the agreed dates give.

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
    for action in sorted(actions, key=lambda a: a.action_id):
        by_team[(action.service_area, action.team)].append(action.text or missing)
    for (_area, team), texts in by_team.items():
        blocks += [Heading(2, team, toc=False), Texts(tuple(texts))]
    return blocks
