"""Further recommendations: where a stage's longest timescale was met too rarely, and the
texts the settings add for the year.

The measures come from the registry (those with a ``recommendation_label``); the threshold is
the ``recommendation_below_percent`` setting. Wording:
``include/templates/sections/recommendations.j2``.
"""

from __future__ import annotations

from decimal import Decimal

from csc_complaints.measures import TIMELINESS_MEASURES
from csc_complaints.report import sentences as say
from csc_complaints.report.document import Block, Heading, Paragraph, linked_paragraph
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording


def further_recommendations(report: ReportContext) -> list[Block]:
    words = wording("sections/recommendations")
    blocks: list[Block] = [Heading(1, words.text("heading"))]
    # Compared as decimals: the percentage is exact to one place, the setting a float.
    below = Decimal(str(report.settings.recommendation_below_percent))
    texts = []
    for measure in TIMELINESS_MEASURES:
        if measure.recommendation_label is None:
            continue
        responses, within = report.current.timeliness_of(measure.name)
        if responses and say.percent_value(within, responses) < below:
            texts.append(words.text("recommendation", measure.recommendation_label))
    extra = report.settings.recommendations_for(report.year_label)
    if not texts and not extra:
        return blocks + words.blocks("no_recommendations", report.year_label)
    return blocks + [Paragraph(text) for text in texts] + [linked_paragraph(t) for t in extra]
