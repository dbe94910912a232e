"""The two figures each reconciliation rule compares, for a year where the rule holds.

A rule's query (run by GX) returns its discrepancies, so a rule that holds returns nothing, and
the report's annex would have no numbers to show. Each RC rule's ``meta.compared_query`` in
``expectations/rc_warehouse.json`` returns the year's two figures the rule compares (for RC03,
complaints received and Stage 1 complaints received), which its ``meta.plain_english`` names in
that order. The query is
scoped like the rule's, by ``{batch} AS scope``, here the same scopes as plain SQL
(``gx_validation.scope_query``). A rule that fails keeps the figures of its first discrepancy.

RC01 compares each source table's rows with the rows the warehouse accounts for; its query
gives the source's total and leaves the other figure empty: where RC01 holds, every table's
figures were found equal, so the total accounted for is the source's (``compared_figures``
fills it in); where it fails, the discrepancy's own figures are shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from csc_complaints.quality.gx_validation import scope_query
from csc_complaints.quality.suites import Rule

Figures = tuple[Any, Any]  # (expected, observed)


def figure_value(value: Any) -> Any:
    """A figure as JSON shows it: PostgreSQL's SUM gives Decimal, SQLite's an int."""
    if isinstance(value, Decimal | float) and value == int(value):
        return int(value)
    return value


def compared_figures(
    engine: Engine, rules: Iterable[Rule], scopes: Sequence[dict[str, str]]
) -> dict[str, dict[str | None, Figures]]:
    """``{rule code: {financial year: (expected, observed)}}`` for every rule with a
    ``compared_query``; a council-scoped rule's figures are under the year ``None``."""
    batch = f"({scope_query(scopes)})"
    found: dict[str, dict[str | None, Figures]] = {}
    with engine.connect() as connection:
        for rule in rules:
            if not rule.compared_query:
                continue
            query = rule.compared_query.replace("{batch}", batch)
            rows = connection.execute(text(query)).mappings()
            found[rule.code] = {
                row.get("financial_year"): (
                    figure_value(row["expected"]),
                    figure_value(row["observed"]),
                )
                for row in rows
            }
    return found


def figures_for(
    found: dict[str, dict[str | None, Figures]], code: str, year: str
) -> Figures | None:
    """The year's compared figures of a rule that holds (``observed`` defaulting to
    ``expected``: the rule found them equal), or None when its suite gives none."""
    by_year = found.get(code)
    if not by_year:
        return None
    expected, observed = by_year.get(year, by_year.get(None, (None, None)))
    if expected is None:
        return None
    return expected, expected if observed is None else observed
