"""Ombudsman complaints: referred to and determined by the LGSCO, compared with last year.

Wording: ``include/templates/sections/ombudsman.j2``.
"""

from __future__ import annotations

from csc_complaints.report.document import Block, Heading, Paragraph
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording

MEASURES = ("ombudsman_referred", "ombudsman_determined")


def ombudsman_complaints(report: ReportContext) -> list[Block]:
    words = wording("sections/ombudsman")
    blocks: list[Block] = [Heading(1, words.text("heading"))]
    for measure in MEASURES:
        n = report.current.headline(measure)
        clause = words.text("clause", measure, n, report.year_label)
        blocks.append(Paragraph(report.compared(clause, n, lambda y, m=measure: y.headline(m))))
    return blocks
