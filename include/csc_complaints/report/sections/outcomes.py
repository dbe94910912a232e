"""Complaint Outcomes: for each stage, the decisions of the year by team and outcome.

Rows are teams under their service area, each area closed by a subtotal row, the table by the
council's total; the columns are the registry's outcomes (``csc_complaints.measures.OUTCOMES``)
plus any code outside it, so no figure is dropped. Wording:
``include/templates/sections/outcomes.j2``.
"""

from __future__ import annotations

from collections import defaultdict

from csc_complaints.measures import OUTCOME_LABELS, OUTCOMES
from csc_complaints.report.document import Block, Heading, Paragraph, Table, TableRow
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import Wording, wording

Counts = dict[str, int]  # outcome code -> decisions


def complaint_outcomes(report: ReportContext) -> list[Block]:
    words = wording("sections/outcomes")
    blocks: list[Block] = [Heading(1, words.text("heading"))]
    for stage in (1, 2, 3):
        cells = {
            team: counts
            for team, counts in report.current.outcomes.get(stage, {}).items()
            if sum(counts.values())
        }
        if not cells:
            blocks.append(Paragraph(words.text("none_reached", stage, report.year_label)))
            continue
        blocks.append(Paragraph(words.text("intro", stage, report.year_label)))
        blocks.append(_outcome_table(report, words, stage, cells))
    return blocks


def _outcome_table(
    report: ReportContext, words: Wording, stage: int, cells: dict[tuple[str, str], Counts]
) -> Table:
    """``cells``: (service area, team) -> its decisions by outcome code; areas and teams in
    the council's order (the settings)."""
    order = report.settings.order_key
    codes = [outcome.code for outcome in OUTCOMES if outcome.applies_to(stage)]
    codes += sorted({code for counts in cells.values() for code in counts} - set(codes))
    header = (
        words.text("team_column"),
        *[OUTCOME_LABELS.get(code, code) for code in codes],
        words.text("total_column"),
    )

    def numbers(counts: Counts) -> tuple[str, ...]:
        values = [counts.get(code, 0) for code in codes]
        return (*[str(v) for v in values], str(sum(values)))

    areas: dict[str, list[tuple[str, Counts]]] = defaultdict(list)
    for (area, team), counts in cells.items():
        areas[area].append((team, counts))
    rows: list[TableRow] = []
    council: Counts = defaultdict(int)
    for area in sorted(areas, key=order):
        rows.append(TableRow((area,) + ("",) * (len(header) - 1), "area"))
        subtotal: Counts = defaultdict(int)
        for team, counts in sorted(areas[area], key=lambda t, area=area: order(area, t[0])):
            rows.append(TableRow((team, *numbers(counts)), "row"))
            for code, n in counts.items():
                subtotal[code] += n
                council[code] += n
        rows.append(TableRow((words.text("area_total", area), *numbers(subtotal)), "subtotal"))
    rows.append(TableRow((words.text("council_total"), *numbers(council)), "total"))
    caption = words.text("table_caption", stage, report.year_label, sum(council.values()))
    return Table(caption, header, tuple(rows), widths=(3.2,) + (1.0,) * (len(header) - 1))
