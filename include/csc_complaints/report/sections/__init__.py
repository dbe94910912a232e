"""The report's sections, in the seed report's order (docs/report.md), and the whole document.

Each section is a function of the ``ReportContext`` that returns its blocks, starting with its
heading; its words are in ``include/templates/sections/<module>.j2``. A new section is a
function here, its template, and its place in ``SECTIONS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import partial

from csc_complaints.report.document import Block, Document, Paragraph
from csc_complaints.report.figures import YearFigures
from csc_complaints.report.reconciliation import Reconciliation
from csc_complaints.report.sections import (
    annex,
    front_matter,
    insights,
    issues,
    learning,
    ombudsman,
    outcomes,
    performance,
    recommendations,
    teams,
    totals,
)
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.sign_off import SignOff
from csc_complaints.report.wording import wording
from csc_complaints.settings import Settings

Section = Callable[[ReportContext], list[Block]]

SECTIONS: tuple[Section, ...] = (
    insights.at_a_glance,
    front_matter.introduction,
    front_matter.the_law,
    front_matter.complaints_team,
    front_matter.public_information,
    front_matter.complaints_process,
    front_matter.external_support,
    totals.totals_received,
    partial(teams.stage_complaints_by_team, stage=1),
    partial(teams.stage_complaints_by_team, stage=2),
    partial(teams.stage_complaints_by_team, stage=3),
    issues.complaints_by_issue,
    partial(teams.feedback_by_team, kind="comment"),
    partial(teams.feedback_by_team, kind="compliment"),
    outcomes.complaint_outcomes,
    ombudsman.ombudsman_complaints,
    insights.ombudsman_outcomes,
    learning.organisational_learning,
    insights.learning_followed_through,
    performance.performance_against_the_procedure,
    insights.response_times,
    insights.escalation,
    insights.who_complained_and_how,
    insights.five_year_trends,
    recommendations.further_recommendations,
    annex.annex,
)


def build_document(
    current: YearFigures,
    prior: YearFigures,
    settings: Settings,
    reconciliation: Reconciliation,
    history: Sequence[YearFigures] = (),
    as_at: date | None = None,
    sign_off: SignOff | None = None,
) -> Document:
    """The whole report for ``current``; ``prior`` is compared only when ``prior.present``.
    ``history``: up to five years ending with ``current`` (the trends); ``as_at``: the last
    successful extract's date; ``sign_off``: who approved it and when (None: not signed off)."""
    report = ReportContext(
        current,
        prior if prior.present else None,
        settings,
        reconciliation,
        tuple(history),
        as_at,
    )
    words = wording("document")
    url = settings.publication_url.strip()
    return Document(
        title_lines=tuple(words.text("title_lines").splitlines()),
        council_name=settings.council_name,
        year_label=report.year_label,
        title=words.text("title", report.year_label),
        blocks=[block for section in SECTIONS for block in section(report)],
        approved=None
        if sign_off is None
        else words.text("approved_by", sign_off.name, sign_off.role, sign_off.approved_on),
        approved_at=None if sign_off is None else sign_off.utc,
        approved_on=None if sign_off is None else sign_off.approved_on,
        published_at=Paragraph(words.text("published_at", url), links=((url, url),))
        if url
        else None,
    )
