"""The independent oracle: every stats_* figure computed in plain Python from the SOURCE rows.

It is the yardstick for the warehouse SQL, so it shares nothing with it: it reads the source
tables with SQLAlchemy Core, applies the counting rules of docs/counting-rules.md (with the
decisions recorded there) with loops and dictionaries, and counts working days with its own
day-by-day loop. Keep it small and obviously correct.

It assumes a source that is clean under the DQ rules (docs/quality.md): rows the warehouse would
reject are counted here like any other row, so compare on clean data only.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import holidays
from sqlalchemy import create_engine, select

from csc_complaints.warehouse import schema as wh
from csc_complaints_demo.models import (
    Complainant,
    Complaint,
    ComplaintStage,
    Feedback,
    IssueCategory,
    LearningAction,
    OmbudsmanCase,
    Team,
)

# Timeliness measure -> (stage, start column, end column, target in working days). A deliberate
# copy of the measures registry (csc_complaints.measures) and the default targets: the oracle
# shares nothing with the code it checks, so a mistake in the registry shows as a difference.
TIMELINESS = {
    "stage1_within_10wd": (1, "requested_date", "response_date", 10),
    "stage1_within_20wd": (1, "requested_date", "response_date", 20),
    "stage2_within_25wd": (2, "requested_date", "response_date", 25),
    "stage2_within_65wd": (2, "requested_date", "response_date", 65),
    "stage3_panel_within_30wd": (3, "requested_date", "panel_date", 30),
    "stage3_panel_report_within_5wd": (3, "panel_date", "panel_report_date", 5),
    "stage3_director_within_15wd": (3, "panel_report_date", "response_date", 15),
}

Stats = dict[str, dict[tuple, object]]

# What a missing category is published as (relationship, channel, Ombudsman decision).
NOT_RECORDED = "not recorded"


def as_date(value) -> date | None:
    """A date from whatever the driver returned: date, datetime, ISO string or None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def financial_year(day: date | None) -> str | None:
    """'2019/20' for any day from 1 April 2019 to 31 March 2020."""
    if day is None:
        return None
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days(start: date, end: date) -> int:
    """Working days D with start < D <= end (same day = 0), one day at a time."""
    if end < start:
        raise ValueError(f"working_days: end {end} is before start {start}")
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def one_decimal(value: Decimal) -> float:
    """``value`` to one decimal place, a half rounded up (2.25 -> 2.3)."""
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def mean_and_median(values: list[int]) -> tuple[float, float]:
    """Mean and median to one decimal place, half up; an even count's median is the mean of
    the middle two."""
    ordered = sorted(values)
    n = len(ordered)
    mean = Decimal(sum(ordered)) / Decimal(n)
    if n % 2:
        median = Decimal(ordered[n // 2])
    else:
        median = Decimal(ordered[n // 2 - 1] + ordered[n // 2]) / Decimal(2)
    return one_decimal(mean), one_decimal(median)


def _rows(conn, model) -> list[dict]:
    return [dict(row._mapping) for row in conn.execute(select(model.__table__))]


def expected_stats(source_url: str) -> Stats:
    """Every stats_* figure, keyed as docs/warehouse.md says, computed from the source rows."""
    engine = create_engine(source_url)
    try:
        with engine.connect() as conn:
            teams = {row["team_id"]: row for row in _rows(conn, Team)}
            labels = {row["code"]: row["label"] for row in _rows(conn, IssueCategory)}
            # Only the relationship, and only of a complainant record that is not deleted.
            relationship_of = {
                row["complainant_id"]: row["relationship"]
                for row in _rows(conn, Complainant)
                if row["deleted_at"] is None
            }
            complaints = _rows(conn, Complaint)
            stages = _rows(conn, ComplaintStage)
            feedback = _rows(conn, Feedback)
            ombudsman = _rows(conn, OmbudsmanCase)
            learning = _rows(conn, LearningAction)
    finally:
        engine.dispose()

    live_complaints = {c["complaint_id"] for c in complaints if c["deleted_at"] is None}

    def counts(row) -> bool:
        """Not deleted, and not belonging to a deleted complaint."""
        if row["deleted_at"] is not None:
            return False
        return row.get("complaint_id") is None or row["complaint_id"] in live_complaints

    complaints = [c for c in complaints if counts(c)]
    stages = [s for s in stages if counts(s)]
    feedback = [f for f in feedback if counts(f)]
    ombudsman = [o for o in ombudsman if counts(o)]
    learning = [a for a in learning if counts(a)]

    def team_of(row) -> tuple[str, str]:
        team = teams[row["team_id"]]
        return team["service_area"], team["team_name"]

    headlines: Counter = Counter()
    received_by_team: Counter = Counter()
    outcomes_by_team: Counter = Counter()
    issues: Counter = Counter()
    feedback_by_team: Counter = Counter()
    timeliness: dict[tuple, list[int]] = {}
    by_relationship: Counter = Counter()
    by_channel: Counter = Counter()
    escalation: Counter = Counter()
    response_days: dict[tuple, list[int]] = {}
    ombudsman_decisions: Counter = Counter()
    learning_by_team: Counter = Counter()

    for c in complaints:
        fy = financial_year(as_date(c["received_date"]))
        if c["qualifying"]:
            headlines[(fy, "complaints_received")] += 1
            issues[(fy, c["issue"], labels[c["issue"]])] += 1
            relationship = relationship_of.get(c["complainant_id"]) or NOT_RECORDED
            by_relationship[(fy, relationship)] += 1
            by_channel[(fy, c["channel"] or NOT_RECORDED)] += 1
        else:
            headlines[(fy, "non_qualifying_received")] += 1

    stages_of: dict[int, set[int]] = {}
    for s in stages:
        stages_of.setdefault(s["complaint_id"], set()).add(int(s["stage"]))

    for s in stages:
        stage = int(s["stage"])
        area, team = team_of(s)
        fy_requested = financial_year(as_date(s["requested_date"]))
        headlines[(fy_requested, f"stage{stage}_received")] += 1
        received_by_team[(fy_requested, stage, area, team)] += 1
        if stage in (1, 2):
            escalation[(fy_requested, stage, "n")] += 1
            if stage + 1 in stages_of[s["complaint_id"]]:
                escalation[(fy_requested, stage, "escalated")] += 1
        response = as_date(s["response_date"])
        if response is not None:
            fy_response = financial_year(response)
            headlines[(fy_response, f"stage{stage}_decisions")] += 1
            outcomes_by_team[(fy_response, stage, area, team, s["outcome"])] += 1
            days = working_days(as_date(s["requested_date"]), response)
            response_days.setdefault((fy_response, stage), []).append(days)
        for measure, (measure_stage, start_col, end_col, target) in TIMELINESS.items():
            if measure_stage != stage:
                continue
            end = as_date(s[end_col])
            if end is None:
                continue  # not a response (yet) in any year
            start = as_date(s[start_col])
            tally = timeliness.setdefault((financial_year(end), measure), [0, 0])
            tally[0] += 1
            if start is not None and working_days(start, end) <= target:
                tally[1] += 1

    for f in feedback:
        fy = financial_year(as_date(f["received_date"]))
        kind = f["kind"]
        headlines[(fy, f"{kind}s_received")] += 1
        feedback_by_team[(fy, kind, *team_of(f))] += 1

    for o in ombudsman:
        headlines[(financial_year(as_date(o["referred_date"])), "ombudsman_referred")] += 1
        decided = as_date(o["decision_date"])
        if decided is not None:
            headlines[(financial_year(decided), "ombudsman_determined")] += 1
            decision = (financial_year(decided), o["decision"] or NOT_RECORDED)
            ombudsman_decisions[(*decision, "cases")] += 1
            if o["maladministration"]:
                headlines[(financial_year(decided), "ombudsman_maladministration")] += 1
                ombudsman_decisions[(*decision, "maladministration")] += 1

    for a in learning:
        fy = financial_year(as_date(a["agreed_date"]))
        headlines[(fy, "learning_actions_agreed")] += 1
        learning_by_team[(fy, *team_of(a), "agreed")] += 1
        if a["status"] == "completed":
            learning_by_team[(fy, *team_of(a), "completed")] += 1

    return {
        "stats_headlines": _nonzero(headlines),
        "stats_received_by_team": _nonzero(received_by_team),
        "stats_outcomes_by_team": _nonzero(outcomes_by_team),
        "stats_issues": _nonzero(issues),
        "stats_feedback_by_team": _nonzero(feedback_by_team),
        "stats_timeliness": {
            key: (responses, within)
            for key, (responses, within) in timeliness.items()
            if responses != 0
        },
        "stats_complaints_by_relationship": _nonzero(by_relationship),
        "stats_complaints_by_channel": _nonzero(by_channel),
        "stats_escalation": _pairs(escalation, "n", "escalated"),
        "stats_response_days": {
            key: (len(days), *mean_and_median(days)) for key, days in response_days.items()
        },
        "stats_ombudsman_decisions": _pairs(ombudsman_decisions, "cases", "maladministration"),
        "stats_learning_actions": _pairs(learning_by_team, "agreed", "completed"),
    }


def _pairs(counter: Counter, total: str, part: str) -> dict[tuple, tuple[int, int]]:
    """``{key: (total, part)}`` from a counter keyed ``(*key, total)`` and ``(*key, part)``:
    every key with a non-zero total (the part of a key is never more than its total)."""
    return {
        key[:-1]: (n, counter[(*key[:-1], part)])
        for key, n in counter.items()
        if key[-1] == total and n != 0
    }


def _nonzero(counter: Counter) -> dict[tuple, int]:
    return {key: value for key, value in counter.items() if value != 0}


# The newer stats tables with more than one figure a row: (table, key columns, figure columns),
# read as (first figure, second figure, ...); a row whose first figure is zero is dropped.
PAIRED_LAYOUTS = (
    ("stats_escalation", ("financial_year", "stage"), ("complaints", "escalated")),
    (
        "stats_response_days",
        ("financial_year", "stage"),
        ("responses", "mean_working_days", "median_working_days"),
    ),
    ("stats_ombudsman_decisions", ("financial_year", "decision"), ("cases", "maladministration")),
    (
        "stats_learning_actions",
        ("financial_year", "service_area", "team"),
        ("agreed", "completed"),
    ),
)


def _number(value) -> int | float:
    """A stats figure as the oracle writes it: whole numbers as int, tenths as float."""
    number = float(value)
    return int(number) if isinstance(value, int) else round(number, 1)


def stats_from_warehouse(warehouse_url: str, council_code: str) -> Stats:
    """Every stats_* table of one council, in the shape of ``expected_stats`` (zeros dropped)."""
    layouts = {
        wh.stats_headlines: (("financial_year", "measure"), "value"),
        wh.stats_received_by_team: (
            ("financial_year", "stage", "service_area", "team"),
            "received",
        ),
        wh.stats_outcomes_by_team: (
            ("financial_year", "stage", "service_area", "team", "outcome"),
            "decisions",
        ),
        wh.stats_issues: (("financial_year", "issue", "label"), "complaints"),
        wh.stats_feedback_by_team: (("financial_year", "kind", "service_area", "team"), "received"),
    }
    result: Stats = {}
    for name in ("stats_complaints_by_relationship", "stats_complaints_by_channel"):
        column = "relationship" if "relationship" in name else "channel"
        layouts[wh.metadata.tables[name]] = (("financial_year", column), "complaints")
    engine = create_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            for table, (key_columns, value_column) in layouts.items():
                rows = conn.execute(select(table).where(table.c.council_code == council_code))
                figures = {}
                for row in rows:
                    m = row._mapping
                    key = tuple(int(m[col]) if col == "stage" else m[col] for col in key_columns)
                    if m[value_column] != 0:
                        figures[key] = int(m[value_column])
                result[table.name] = figures
            table = wh.stats_timeliness
            rows = conn.execute(select(table).where(table.c.council_code == council_code))
            result[table.name] = {
                (r.financial_year, r.measure): (int(r.responses), int(r.within_target))
                for r in rows
                if r.responses != 0
            }
            for table, key_columns, value_columns in PAIRED_LAYOUTS:
                table = wh.metadata.tables[table]
                rows = conn.execute(select(table).where(table.c.council_code == council_code))
                result[table.name] = {
                    tuple(int(m[c]) if c == "stage" else m[c] for c in key_columns): tuple(
                        _number(m[c]) for c in value_columns
                    )
                    for m in (row._mapping for row in rows)
                    if m[value_columns[0]] != 0
                }
    finally:
        engine.dispose()
    return result


# --- quarters (the quarterly monitoring pack) --------------------------------------------------

# Calendar month -> quarter of the financial year (April to June is the first). A deliberate
# copy of csc_complaints.dates.FinancialQuarter.
QUARTER_OF_MONTH = {4: 1, 5: 1, 6: 1, 7: 2, 8: 2, 9: 2, 10: 3, 11: 3, 12: 3, 1: 4, 2: 4, 3: 4}
# Each quarter's last day as (month, day).
QUARTER_ENDS = {1: (6, 30), 2: (9, 30), 3: (12, 31), 4: (3, 31)}

# When an open stage row is past its target: stage -> the clocks that can be running on it
# (start column, end column, target in working days): the timescales that are not an extended
# one, with the default targets. Another deliberate copy of the registry.
OPEN_CASE_TARGETS = {
    1: (("requested_date", "response_date", 10),),
    2: (("requested_date", "response_date", 25),),
    3: (
        ("requested_date", "panel_date", 30),
        ("panel_date", "panel_report_date", 5),
        ("panel_report_date", "response_date", 15),
    ),
}


def quarter_end(year: str, quarter: int) -> date:
    """The last day of ``quarter`` of ``year`` ('2019/20')."""
    month, day = QUARTER_ENDS[quarter]
    start = int(year[:4])
    return date(start + 1 if month <= 3 else start, month, day)


def expected_quarterly(source_url: str, years: set[str], as_of: date) -> Stats:
    """The three stats_quarterly_* tables and each counted quarter's overdue cases, from the
    source rows. Open cases are counted at the last day of each quarter of ``years`` that is
    before ``as_of`` (the day the latest extract finished), as the warehouse does.

    Returns ``stats_quarterly_stages`` {(year, quarter, stage): (received, decided)},
    ``stats_quarterly_timeliness`` {(year, quarter, measure): (responses, within)},
    ``stats_quarterly_open`` {(year, quarter, stage): (open, past target)} and ``overdue``
    {(year, quarter): [(reference, stage, team, working days open), ...] sorted}; zeros dropped.
    """
    engine = create_engine(source_url)
    try:
        with engine.connect() as conn:
            teams = {row["team_id"]: row["team_name"] for row in _rows(conn, Team)}
            complaints = _rows(conn, Complaint)
            stages = _rows(conn, ComplaintStage)
    finally:
        engine.dispose()
    live = {c["complaint_id"]: c["reference"] for c in complaints if c["deleted_at"] is None}
    stages = [s for s in stages if s["deleted_at"] is None and s["complaint_id"] in live]

    def quarter(day: date) -> tuple[str, int]:
        return financial_year(day), QUARTER_OF_MONTH[day.month]

    activity: dict[tuple, list[int]] = {}
    timeliness: dict[tuple, list[int]] = {}
    for s in stages:
        stage = int(s["stage"])
        requested = as_date(s["requested_date"])
        activity.setdefault((*quarter(requested), stage), [0, 0])[0] += 1
        response = as_date(s["response_date"])
        if response is not None:
            activity.setdefault((*quarter(response), stage), [0, 0])[1] += 1
        for measure, (measure_stage, start_col, end_col, target) in TIMELINESS.items():
            end = as_date(s[end_col])
            if measure_stage != stage or end is None:
                continue
            start = as_date(s[start_col])
            tally = timeliness.setdefault((*quarter(end), measure), [0, 0])
            tally[0] += 1
            if start is not None and working_days(start, end) <= target:
                tally[1] += 1

    open_counts: dict[tuple, list[int]] = {}
    overdue: dict[tuple, list[tuple]] = {}
    for year in sorted(years):
        for number in QUARTER_ENDS:
            day = quarter_end(year, number)
            if day >= as_of:
                continue
            for s in stages:
                requested = as_date(s["requested_date"])
                response = as_date(s["response_date"])
                if requested > day or (response is not None and response <= day):
                    continue
                stage = int(s["stage"])
                tally = open_counts.setdefault((year, number, stage), [0, 0])
                tally[0] += 1
                past = False
                for start_col, end_col, target in OPEN_CASE_TARGETS[stage]:
                    start, end = as_date(s[start_col]), as_date(s[end_col])
                    running = start is not None and start <= day and (end is None or end > day)
                    if running and working_days(start, day) > target:
                        past = True
                if past:
                    tally[1] += 1
                    overdue.setdefault((year, number), []).append(
                        (
                            live[s["complaint_id"]],
                            stage,
                            teams[s["team_id"]],
                            working_days(requested, day),
                        )
                    )
    return {
        "stats_quarterly_stages": {k: tuple(v) for k, v in activity.items()},
        "stats_quarterly_timeliness": {k: tuple(v) for k, v in timeliness.items()},
        "stats_quarterly_open": {k: tuple(v) for k, v in open_counts.items()},
        "overdue": {k: sorted(v) for k, v in overdue.items()},
    }


def quarterly_from_warehouse(warehouse_url: str, council_code: str) -> Stats:
    """The warehouse's quarterly stats and overdue cases, in the shape of
    ``expected_quarterly`` (zeros dropped)."""
    engine = create_engine(warehouse_url)
    result: Stats = {}
    try:
        with engine.connect() as conn:
            for table, key, values in (
                (wh.stats_quarterly_stages, "stage", ("received", "decided")),
                (wh.stats_quarterly_timeliness, "measure", ("responses", "within_target")),
                (wh.stats_quarterly_open, "stage", ("open_cases", "past_target")),
            ):
                rows = conn.execute(select(table).where(table.c.council_code == council_code))
                result[table.name] = {
                    (r.financial_year, int(r.quarter), r._mapping[key]): tuple(
                        int(r._mapping[v]) for v in values
                    )
                    for r in rows
                    if any(r._mapping[v] for v in values)
                }
            o, c, t = wh.fact_open_stages, wh.stg_complaints, wh.dim_team
            rows = conn.execute(
                select(o.c.financial_year, o.c.quarter, c.c.reference, o.c.stage, t.c.team_name)
                .add_columns(o.c.working_days_open)
                .join(
                    c,
                    (c.c.council_code == o.c.council_code) & (c.c.complaint_id == o.c.complaint_id),
                )
                .join(t, (t.c.council_code == o.c.council_code) & (t.c.team_id == o.c.team_id))
                .where(o.c.council_code == council_code, o.c.past_target.is_(True))
            )
            overdue: dict[tuple, list[tuple]] = {}
            for r in rows:
                overdue.setdefault((r.financial_year, int(r.quarter)), []).append(
                    (r.reference, int(r.stage), r.team_name, int(r.working_days_open))
                )
            result["overdue"] = {k: sorted(v) for k, v in overdue.items()}
    finally:
        engine.dispose()
    return result
