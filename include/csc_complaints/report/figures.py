"""The figures of one financial year, read from the warehouse's stats tables (docs/warehouse.md).

Only the ``stats_*`` tables (``csc_complaints.warehouse.schema.STATS_TABLES``) and the
learning-action texts are read (and, for the open data's zero rows, the teams and issue
categories); a missing row means zero. This module is the one place text from the source (team,
service area and issue names, learning-action texts) enters the report and the open data from
the warehouse: every text value read here is passed through ``safe_text.clean_value`` (no NUL,
no bidirectional control characters). The annex's complaint references come from
``reconciliation.json`` and are cleaned the same way where it is read
(``report.reconciliation``). Each stats table is read by its file
in ``include/sql/report/``. The measures and outcomes the figures name are those of the
registry, ``csc_complaints.measures``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, func, select

from csc_complaints.dates import FinancialYear
from csc_complaints.db import sql
from csc_complaints.report.safe_text import clean_value
from csc_complaints.warehouse.schema import STATS_TABLES


@dataclass(frozen=True)
class TeamCount:
    service_area: str
    team: str
    count: int


@dataclass(frozen=True)
class LearningAction:
    service_area: str
    team: str
    agreed_date: str
    text: str
    action_id: int = 0


@dataclass
class YearFigures:
    """Everything the report prints about one year. Lookups default to zero."""

    year: FinancialYear
    present: bool  # the warehouse holds figures for this year
    headlines: dict[str, int] = field(default_factory=dict)
    received: dict[int, list[TeamCount]] = field(default_factory=dict)  # stage -> teams
    outcomes: dict[int, dict[tuple[str, str], dict[str, int]]] = field(default_factory=dict)
    issues: dict[str, tuple[str, int]] = field(default_factory=dict)  # code -> (label, count)
    feedback: dict[str, list[TeamCount]] = field(default_factory=dict)  # kind -> teams
    timeliness: dict[str, tuple[int, int]] = field(default_factory=dict)  # -> (responses, within)
    learning: list[LearningAction] = field(default_factory=list)
    # The newer tables (docs/warehouse.md), read by csc_complaints.report.sections.insights.
    by_relationship: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, int] = field(default_factory=dict)
    escalation: dict[int, tuple[int, int]] = field(default_factory=dict)  # -> (began, escalated)
    response_days: dict[int, tuple[int, float, float]] = field(default_factory=dict)  # -> (n,
    # mean, median working days)
    ombudsman_decisions: dict[str, tuple[int, int]] = field(default_factory=dict)  # -> (cases,
    # of which maladministration)
    learning_by_team: list[tuple[str, str, int, int]] = field(default_factory=list)  # (area,
    # team, agreed, completed)

    def headline(self, measure: str) -> int:
        return self.headlines.get(measure, 0)

    def received_by_team(self, stage: int) -> list[TeamCount]:
        return [t for t in self.received.get(stage, []) if t.count]

    def team_received(self, stage: int, team: str) -> int:
        return sum(t.count for t in self.received.get(stage, []) if t.team == team)

    def feedback_by_team(self, kind: str) -> list[TeamCount]:
        return [t for t in self.feedback.get(kind, []) if t.count]

    def team_feedback(self, kind: str, team: str) -> int:
        return sum(t.count for t in self.feedback.get(kind, []) if t.team == team)

    def issue_count(self, code: str) -> int:
        return self.issues.get(code, ("", 0))[1]

    def timeliness_of(self, measure: str) -> tuple[int, int]:
        return self.timeliness.get(measure, (0, 0))


def _read(connection, name: str, params: dict[str, Any]) -> tuple[tuple[str, ...], list[tuple]]:
    """Run ``include/sql/report/<name>.sql``: its column names and rows, every text cleaned."""
    result = connection.execute(sql("report", name), params)
    return tuple(result.keys()), [tuple(clean_value(v) for v in row) for row in result]


def _rows(connection, name: str, params: dict[str, Any]) -> list[Any]:
    names, rows = _read(connection, name, params)
    return [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in rows]


def read_stats_rows(engine: Engine, council_code: str, year: FinancialYear) -> dict[str, tuple]:
    """Each stats table's rows for the year: ``name -> (column names, rows)``."""
    params = {"council_code": council_code, "financial_year": year.label}
    with engine.connect() as connection:
        return {table.name: _read(connection, table.name, params) for table in STATS_TABLES}


def read_open_data_domain(
    engine: Engine, council_code: str
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The council's teams (service area, team) and issue categories (code, label)."""
    params = {"council_code": council_code}
    with engine.connect() as connection:
        teams = _read(connection, "open_data_teams", params)[1]
        issues = _read(connection, "open_data_issues", params)[1]
    return tuple(map(tuple, teams)), tuple(map(tuple, issues))


def stats_row_count(engine: Engine, council_code: str, year: FinancialYear) -> int:
    """How many stats rows the council has for the year, over every stats table. Zero means
    the warehouse holds no figures for that year: the report then makes no comparison with it."""
    counts = [
        select(func.count())
        .select_from(table)
        .where(table.c.council_code == council_code, table.c.financial_year == year.label)
        .scalar_subquery()
        for table in STATS_TABLES
    ]
    total = counts[0]
    for count in counts[1:]:
        total = total + count
    with engine.connect() as connection:
        return int(connection.execute(select(total)).scalar_one())


def load_year(
    engine: Engine, council_code: str, year: FinancialYear, learning: bool = True
) -> YearFigures:
    """Read one year's figures and (unless ``learning`` is false) its learning actions.

    The report prints only the report year's learning actions: the prior year, read for its
    figures, skips them (a big council agrees thousands a year).
    """
    params = {"council_code": council_code, "financial_year": year.label}
    figures = YearFigures(year=year, present=stats_row_count(engine, council_code, year) > 0)
    with engine.connect() as connection:
        for row in _rows(connection, "stats_headlines", params):
            figures.headlines[row.measure] = int(row.value)
        received: dict[int, list[TeamCount]] = defaultdict(list)
        for row in _rows(connection, "stats_received_by_team", params):
            received[int(row.stage)].append(
                TeamCount(row.service_area, row.team, int(row.received))
            )
        figures.received = dict(received)
        outcomes: dict[int, dict[tuple[str, str], dict[str, int]]] = defaultdict(dict)
        for row in _rows(connection, "stats_outcomes_by_team", params):
            cells = outcomes[int(row.stage)].setdefault((row.service_area, row.team), {})
            cells[row.outcome] = cells.get(row.outcome, 0) + int(row.decisions)
        figures.outcomes = dict(outcomes)
        for row in _rows(connection, "stats_issues", params):
            figures.issues[row.issue] = (row.label, int(row.complaints))
        feedback: dict[str, list[TeamCount]] = defaultdict(list)
        for row in _rows(connection, "stats_feedback_by_team", params):
            feedback[row.kind].append(TeamCount(row.service_area, row.team, int(row.received)))
        figures.feedback = dict(feedback)
        for row in _rows(connection, "stats_timeliness", params):
            figures.timeliness[row.measure] = (int(row.responses), int(row.within_target))
        for row in _rows(connection, "stats_complaints_by_relationship", params):
            figures.by_relationship[row.relationship] = int(row.complaints)
        for row in _rows(connection, "stats_complaints_by_channel", params):
            figures.by_channel[row.channel] = int(row.complaints)
        for row in _rows(connection, "stats_escalation", params):
            figures.escalation[int(row.stage)] = (int(row.complaints), int(row.escalated))
        for row in _rows(connection, "stats_response_days", params):
            figures.response_days[int(row.stage)] = (
                int(row.responses),
                float(row.mean_working_days),
                float(row.median_working_days),
            )
        for row in _rows(connection, "stats_ombudsman_decisions", params):
            figures.ombudsman_decisions[row.decision] = (int(row.cases), int(row.maladministration))
        figures.learning_by_team = [
            (r.service_area, r.team, int(r.agreed), int(r.completed))
            for r in _rows(connection, "stats_learning_actions", params)
        ]
        if learning:
            figures.learning = [
                LearningAction(
                    r.service_area, r.team, r.agreed_date, r.action_text or "", int(r.action_id)
                )
                for r in _rows(connection, "learning_actions", params)
            ]
    return figures


def load_history(
    engine: Engine, council_code: str, year: FinancialYear, years: int = 5
) -> list[YearFigures]:
    """The figures of up to ``years`` financial years ending with ``year``, oldest first: those
    the warehouse holds, back to the first year it has none for (the five-year trends)."""
    history = []
    for _ in range(years):
        figures = load_year(engine, council_code, year, learning=False)
        if not figures.present:
            break
        history.append(figures)
        year = year.prior
    return list(reversed(history))


def last_extract_date(engine: Engine, council_code: str):
    """The date the council's last successful extract finished (the date as-at figures stand
    at), or None before any."""
    with engine.connect() as connection:
        value = connection.execute(
            sql("report", "last_extract_finished"), {"council_code": council_code}
        ).scalar()
    if value is None:
        return None
    if isinstance(value, str):
        from datetime import datetime

        value = datetime.fromisoformat(value)
    return value.date()
