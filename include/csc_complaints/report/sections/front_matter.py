"""The opening sections: fixed passages about the law, the team and the complaints process.

Wording: ``include/templates/sections/front_matter.j2``. Only the settings (council name,
advocacy provider) and the year vary.
"""

from __future__ import annotations

from csc_complaints.report.document import Block, Heading
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import wording

WORDING = "sections/front_matter"


def _passage_section(name: str, *args, level: int = 1, toc: bool = True) -> list[Block]:
    """A heading (macro ``<name>_heading``) and its passage (macro ``<name>``)."""
    words = wording(WORDING)
    return [Heading(level, words.text(f"{name}_heading"), toc), *words.blocks(name, *args)]


def introduction(report: ReportContext) -> list[Block]:
    return _passage_section("introduction", report.settings, report.year_label)


def the_law(report: ReportContext) -> list[Block]:
    return _passage_section("the_law", report.settings)


def complaints_team(report: ReportContext) -> list[Block]:
    return _passage_section("complaints_team", report.settings)


def public_information(report: ReportContext) -> list[Block]:
    return _passage_section("public_information", report.settings)


def complaints_process(report: ReportContext) -> list[Block]:
    """The four steps a complaint can go through, each under its own listed heading."""
    blocks: list[Block] = [Heading(1, wording(WORDING).text("complaints_process_heading"))]
    for step in ("process_stage1", "process_stage2", "process_stage3", "process_ombudsman"):
        blocks += _passage_section(step, report.settings, level=2)
    return blocks


def external_support(report: ReportContext) -> list[Block]:
    """Who the council contracts to support complaints (headings left out of Contents)."""
    blocks: list[Block] = [Heading(1, wording(WORDING).text("external_support_heading"))]
    for support in ("advocacy", "investigating_officers", "independent_persons", "review_panels"):
        blocks += _passage_section(support, report.settings, level=2, toc=False)
    return blocks
