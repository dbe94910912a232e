"""What a run of the DAGs left behind, read back for the person who started it (``make run``,
``make demo``): the headline figures, the rows held back by rule, and every output file.

Plain functions: the warehouse is opened read-only and never created (a run that failed before
the warehouse existed has no figures, and says so).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from csc_complaints.dates import FinancialYear
from csc_complaints.db import sql

# Complaint references shown per rule; the rest are in dq_rejects and reconciliation.json.
SHOWN_PER_RULE = 10


@dataclass(frozen=True)
class HeldBackRow:
    """A row a DQ rule keeps out of the figures until the source is corrected."""

    rule_code: str
    source_table: str
    source_key: str
    reference: str | None  # the complaint's reference, when the row belongs to a complaint

    @property
    def name(self) -> str:
        """``CSC-2019-0042 (complaint_stages 101)``, or ``feedback 202`` without a complaint."""
        row = f"{self.source_table} {self.source_key}"
        return f"{self.reference} ({row})" if self.reference else row


def headline_figures(
    warehouse: Engine, council_code: str, financial_years: Iterable[str]
) -> dict[str, dict[str, int]]:
    """``{year: {measure: value}}`` from ``stats_headlines`` (years without figures left out)."""
    from csc_complaints.warehouse.schema import stats_headlines as h

    years = sorted(financial_years)
    query = (
        select(h.c.financial_year, h.c.measure, h.c.value)
        .where(h.c.council_code == council_code, h.c.financial_year.in_(years))
        .order_by(h.c.financial_year, h.c.measure)
    )
    figures: dict[str, dict[str, int]] = {}
    with warehouse.connect() as conn:
        for year, measure, value in conn.execute(query):
            figures.setdefault(year, {})[measure] = value
    return figures


def held_back_rows(warehouse: Engine, council_code: str) -> list[HeldBackRow]:
    """Every row the DQ rules hold back for the council, with its complaint's reference (as
    the row checks stored it in ``dq_rejects``)."""
    with warehouse.connect() as conn:
        rows = conn.execute(sql("quality", "select_rejects"), {"council_code": council_code})
        return [
            HeldBackRow(row.rule_code, row.source_table, row.source_key, row.reference)
            for row in rows
        ]


def describe_held_back(rows: Sequence[HeldBackRow]) -> list[tuple[str, str]]:
    """(heading, rows) per rule for a terminal: the rule, its wording and how many rows; then
    which rows, by complaint reference where the row belongs to a complaint."""
    from csc_complaints.quality.suites import rule_by_code

    by_rule: dict[str, list[HeldBackRow]] = {}
    for row in rows:
        by_rule.setdefault(row.rule_code, []).append(row)
    lines = []
    for code, held in sorted(by_rule.items()):
        try:
            rule = rule_by_code(code)
            wording = rule.summary or rule.rule or code
        except KeyError:
            wording = code
        count = f"{len(held)} row{'s' if len(held) != 1 else ''}"
        names = [row.name for row in held[:SHOWN_PER_RULE]]
        more = len(held) - len(names)
        lines.append(
            (
                f"{code} ({count}): {wording.removeprefix(f'{code}: ')}",
                ", ".join(names) + (f" and {more} more" if more else ""),
            )
        )
    return lines


def output_paths(output_dir: Path, financial_years: Iterable[str]) -> list[Path]:
    """Every file a run wrote for the years (report, CSVs, reconciliation.json), then the Data
    Docs' front page."""
    paths = []
    for label in sorted(financial_years):
        folder = Path(output_dir) / FinancialYear.parse(label).slug
        if folder.is_dir():
            paths += sorted(
                p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
    docs = Path(output_dir) / "data-docs" / "index.html"
    if docs.is_file():
        paths.append(docs)
    return paths


def read_warehouse(
    warehouse: Engine, council_code: str, financial_years: Iterable[str]
) -> tuple[dict[str, dict[str, int]], list[HeldBackRow]] | None:
    """(figures, held-back rows), or None when there is no warehouse to read yet."""
    try:
        return (
            headline_figures(warehouse, council_code, financial_years),
            held_back_rows(warehouse, council_code),
        )
    except DBAPIError:  # no such file or table: the run stopped before the warehouse was built
        return None
