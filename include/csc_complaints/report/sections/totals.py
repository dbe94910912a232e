"""Total Complaints, Compliments and Comments received: a chart and one sentence per total.

Wording: ``include/templates/sections/totals.j2``.
"""

from __future__ import annotations

from csc_complaints.report.document import Block, Heading, Paragraph
from csc_complaints.report.figures import YearFigures
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording

# The headline measures of the section, in the order of the chart and the sentences.
TOTALS = (
    "complaints_received",
    "compliments_received",
    "comments_received",
    "non_qualifying_received",
)


def totals_received(report: ReportContext) -> list[Block]:
    words = wording("sections/totals")
    measures = list(TOTALS)
    blocks: list[Block] = [Heading(1, words.text("heading"))]
    blocks += report.bar_chart(
        words.text("chart_title"),
        [words.text("category", measure) for measure in measures],
        [report.current.headline(measure) for measure in measures],
        report.prior_values(YearFigures.headline, measures),
        ("", words.text("count_axis")),
    )
    for measure in measures:
        blocks.append(Paragraph(report.council_received(measure, words.text("counted", measure))))
    return blocks
