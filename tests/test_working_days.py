"""Working days (A < D <= B, Mon-Fri, not an England and Wales bank holiday) and financial years."""

from __future__ import annotations

import random
from datetime import date, timedelta

import holidays
import pytest

from csc_complaints.working_days import (
    bank_holiday_name,
    date_dimension_rows,
    is_working_day,
    working_day_index,
    working_days_between,
)


@pytest.mark.parametrize(
    ("start", "end", "expected", "why"),
    [
        ("2019-06-12", "2019-06-12", 0, "same day"),
        ("2019-06-14", "2019-06-15", 0, "Friday to Saturday"),
        ("2019-06-14", "2019-06-17", 1, "Friday to Monday"),
        ("2019-06-15", "2019-06-16", 0, "Saturday to Sunday"),
        ("2019-06-15", "2019-06-17", 1, "Saturday to Monday"),
        ("2019-04-01", "2019-04-15", 10, "two plain weeks"),
        ("2019-04-15", "2019-04-29", 8, "Easter 2019: Good Friday 19th, Easter Monday 22nd"),
        ("2020-04-09", "2020-04-14", 1, "Easter 2020: Thursday to Tuesday"),
        ("2019-12-24", "2019-12-27", 1, "Christmas 2019 on Wednesday and Thursday"),
        ("2019-12-20", "2020-01-06", 8, "Christmas and New Year 2019/20"),
        ("2020-12-24", "2020-12-29", 1, "Boxing Day 2020 on Saturday: Monday 28th substitute"),
        ("2021-12-24", "2021-12-29", 1, "Christmas 2021 at a weekend: 27th and 28th substitute"),
        ("2022-12-23", "2022-12-28", 1, "Christmas Day 2022 on Sunday: Tuesday 27th substitute"),
        ("2022-05-27", "2022-05-30", 1, "2022: the late-May bank holiday moved to 2 June"),
        ("2022-06-01", "2022-06-06", 1, "Platinum Jubilee: 2 and 3 June 2022"),
        ("2022-09-16", "2022-09-20", 1, "State Funeral of Queen Elizabeth II, 19 September 2022"),
        ("2023-05-05", "2023-05-09", 1, "Coronation of King Charles III, 8 May 2023"),
        ("2023-04-28", "2023-05-09", 5, "May Day and the Coronation in consecutive weeks"),
        ("2023-01-02", "2023-01-02", 0, "same day, on a bank holiday"),
        ("2022-12-31", "2023-01-03", 1, "New Year's Day 2023 on Sunday: Monday 2nd substitute"),
    ],
)
def test_working_days_between(start, end, expected, why):
    assert working_days_between(date.fromisoformat(start), date.fromisoformat(end)) == expected, why


def test_reversed_dates_give_the_negative():
    assert working_days_between(date(2019, 4, 15), date(2019, 4, 1)) == -10


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2019-12-25", False),
        ("2019-12-26", False),
        ("2019-12-27", True),
        ("2020-04-10", False),  # Good Friday
        ("2020-04-13", False),  # Easter Monday
        ("2020-05-08", False),  # VE Day: the early May bank holiday moved in 2020
        ("2020-05-04", True),  # ... so the first Monday of May was a working day
        ("2022-06-02", False),
        ("2022-06-03", False),
        ("2022-09-19", False),
        ("2023-05-08", False),
        ("2022-12-27", False),  # substitute day
        ("2023-06-17", False),  # Saturday
        ("2023-06-18", False),  # Sunday
        ("2023-06-19", True),
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(date.fromisoformat(day)) is working


def test_substitute_days_are_named():
    assert bank_holiday_name(date(2022, 12, 27)) == "Christmas Day (observed)"
    assert bank_holiday_name(date(2022, 12, 28)) is None


def _day_by_day(start: date, end: date, calendar) -> int:
    """An independent count, the definition read literally: D with start < D <= end."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            count += 1
    return count


def test_agrees_with_a_day_by_day_count_on_random_spans():
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(2014, 2032))
    rng = random.Random(20191231)
    for _ in range(2000):
        start = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 5500))
        end = start + timedelta(days=rng.randrange(0, 400))
        assert working_days_between(start, end) == _day_by_day(start, end, calendar), (start, end)


def test_index_does_not_depend_on_what_else_is_known():
    # dim_date can grow in either direction: a date's index is a property of the date alone.
    day = date(2021, 3, 15)
    assert working_day_index(day) - working_day_index(date(2021, 3, 12)) == 1
    later = date_dimension_rows(date(2021, 3, 1), date(2021, 3, 31))
    earlier = date_dimension_rows(date(2020, 12, 1), date(2021, 3, 31))
    by_key = {row["date_key"]: row["working_day_index"] for row in earlier}
    for row in later:
        assert by_key[row["date_key"]] == row["working_day_index"]


def test_date_dimension_rows():
    rows = date_dimension_rows(date(2022, 12, 23), date(2023, 1, 3))
    assert [r["date_key"] for r in rows][:3] == ["2022-12-23", "2022-12-24", "2022-12-25"]
    assert len(rows) == 12
    working = [r["date_key"] for r in rows if r["is_working_day"]]
    assert working == ["2022-12-23", "2022-12-28", "2022-12-29", "2022-12-30", "2023-01-03"]
    for previous, row in zip(rows, rows[1:], strict=False):
        assert row["working_day_index"] - previous["working_day_index"] == int(
            row["is_working_day"]
        )
    assert {r["financial_year"] for r in rows} == {"2022/23"}
    assert rows[-1]["bank_holiday"] is None
    assert rows[2]["bank_holiday"] == "Christmas Day"
