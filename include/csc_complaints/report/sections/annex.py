"""Annex: How these figures were checked: every reconciliation result, and the rows held back.

Read from the year's reconciliation (``csc_complaints.report.reconciliation``). Each check is
written for a member of the public: its code (the data team's), the rule in one plain sentence
(its suite's ``meta.plain_english``, ``csc_complaints.quality.suites``), the two figures it
compared, in the order the sentence names them, and its result; no cell is left blank.
The technical wording stays in ``reconciliation.json`` and the Data Docs. Wording:
``include/templates/sections/annex.j2``.
"""

from __future__ import annotations

from csc_complaints.quality.suites import rule_by_code
from csc_complaints.report import sentences as say
from csc_complaints.report.document import Block, Heading, Paragraph, Table, TableRow
from csc_complaints.report.reconciliation import CheckResult, Reconciliation
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.wording import Wording, wording


def annex(report: ReportContext) -> list[Block]:
    words = wording("sections/annex")
    year = report.year_label
    reconciliation = report.reconciliation
    blocks: list[Block] = [Heading(1, words.text("heading")), *words.blocks("intro", year)]
    if not reconciliation.available:
        return blocks + words.blocks("not_reconciled", year)
    blocks.append(_checks_table(words, reconciliation, year))
    if not reconciliation.rejected_total:
        return blocks + words.blocks("no_rejects", year)
    blocks += [
        Paragraph(say.sentence(words.text("rejected", reconciliation.rejected_total, year))),
        _rejects_table(words, reconciliation, year),
    ]
    if reconciliation.held_back:
        blocks.append(_held_back_table(words, reconciliation, year))
        hidden = len(reconciliation.held_back) - MAX_ROWS_LISTED
        if hidden > 0:
            more = words.text("more_held_back", hidden, reconciliation.path.name)
            blocks.append(Paragraph(say.sentence(more)))
    return blocks


def _checks_table(words: Wording, reconciliation: Reconciliation, year: str) -> Table:
    # The check's sentence heads its row (what a screen reader announces); the code follows.
    columns = ("check", "code", "compared", "result")
    return Table(
        words.text("checks_caption", year),
        tuple(words.text("checks_column", column) for column in columns),
        tuple(
            TableRow(
                (
                    rule_by_code(result.code).plain_english,
                    result.code,
                    _compared(words, result),
                    words.text("result", result.passed),
                )
            )
            for result in reconciliation.results
        ),
        numeric_from=99,  # no column is a number to align
        widths=(3.9, 0.6, 1.5, 0.7),
    )


def _compared(words: Wording, result: CheckResult) -> str:
    """The two figures the check compared, in the order its sentence names them; "not
    recorded" for a figure missing from an older reconciliation.json, never a blank cell."""

    def figure(value: str) -> str:
        return value if value != "" else words.text("not_recorded")

    return words.text(
        "compared", figure(result.expected), figure(result.observed), result.is_row_check
    )


def _rejects_table(words: Wording, reconciliation: Reconciliation, year: str) -> Table:
    return Table(
        words.text("rejects_caption", year),
        tuple(words.text("rejects_column", column) for column in ("code", "check", "rows")),
        tuple(
            TableRow((code, rule_by_code(code).summary, str(rows)))
            for code, rows in reconciliation.rejected_rows.items()
        ),
        numeric_from=2,
        widths=(0.8, 5.0, 0.8),
    )


# The annex of a draft lists the rows held back, one line each; past this, the rest are counted
# and left to reconciliation.json and dq_rejects.
MAX_ROWS_LISTED = 200


def _held_back_table(words: Wording, reconciliation: Reconciliation, year: str) -> Table:
    """Each row held back, by its complaint's reference (what the complaints team searches by),
    then its record and the check it failed."""
    columns = ("reference", "record", "code", "why")
    return Table(
        words.text("held_back_caption", year),
        tuple(words.text("held_back_column", column) for column in columns),
        tuple(
            TableRow(
                (
                    row.reference or words.text("no_reference"),
                    f"{row.source_table} {row.source_key}",
                    row.code,
                    row.message,
                )
            )
            for row in reconciliation.held_back[:MAX_ROWS_LISTED]
        ),
        numeric_from=99,
        widths=(1.3, 1.6, 0.6, 3.1),
    )
