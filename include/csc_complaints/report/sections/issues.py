"""Breakdown of complaints by Issue: a chart, then the issues ranked (a paragraph each, as the
seed has them), ties said as ties; an issue reads as the setting ``issue_phrases`` says.

Wording: ``include/templates/sections/issues.j2`` and the house style's issue patterns.
"""

from __future__ import annotations

from csc_complaints.report import sentences as say
from csc_complaints.report.document import Block, Heading, Paragraph
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording


def complaints_by_issue(report: ReportContext) -> list[Block]:
    words = wording("sections/issues")
    blocks: list[Block] = [Heading(1, words.text("heading"))]
    # Every issue of this year or last, by its label: (label, complaints, last year's or None).
    labels = {code: label for code, (label, _) in report.current.issues.items()}
    if report.prior is not None:
        for code, (label, _) in report.prior.issues.items():
            labels.setdefault(code, label)
    issues = [
        (
            label,
            report.current.issue_count(code),
            report.prior_figure(lambda year, code=code: year.issue_count(code)),
        )
        for code, label in labels.items()
    ]
    if not any(complaints for _, complaints, _ in issues):
        blocks.append(Paragraph(words.text("none_received", report.year_label)))
        return blocks
    shown = sorted(
        [issue for issue in issues if issue[1] or issue[2]],
        key=lambda issue: (-issue[1], -(issue[2] or 0), issue[0].lower()),
    )
    blocks += report.bar_chart(
        words.text("chart_title"),
        [label for label, _, _ in shown],
        [complaints for _, complaints, _ in shown],
        [prior or 0 for _, _, prior in shown],
        (words.text("issue_axis"), words.text("count_axis")),
    )
    phrases = report.settings.issue_phrases
    for text in say.issue_sentences(issues, report.prior_label, report.thresholds, phrases):
        blocks.append(Paragraph(text))
    return blocks
