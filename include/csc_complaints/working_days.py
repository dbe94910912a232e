"""Working days, as the counting rules define them (docs/counting-rules.md).

A working day is Monday to Friday and not an England and Wales bank holiday, substitute days
included, as the ``holidays`` package knows them (country GB, subdivision ENG; England and Wales
share their bank holidays). Working days from A to B count the working days D with A < D <= B, so
the day of receipt is not counted and a same-day response takes 0 working days.

Every date gets a *working-day index*: the number of working days on or before it, counted from
the first year the ``holidays`` package covers. The index of a date never depends on which other
dates are known, so ``dim_date`` can grow in any direction without renumbering, and the working
days from A to B are simply ``index(B) - index(A)``.
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from functools import cache

from csc_complaints.dates import FinancialYear

HOLIDAY_COUNTRY = "GB"
HOLIDAY_SUBDIVISION = "ENG"


def _holiday_calendar():
    import holidays  # not needed at DAG parse time

    return holidays.country_holidays(HOLIDAY_COUNTRY, subdiv=HOLIDAY_SUBDIVISION)


@cache
def first_holiday_year() -> int:
    """The first year the holidays package has bank holidays for (the index starts here)."""
    return int(_holiday_calendar().start_year)


@cache
def _named_bank_holidays(year: int) -> dict[date, str]:
    import holidays

    if year < first_holiday_year():
        return {}
    calendar = holidays.country_holidays(HOLIDAY_COUNTRY, subdiv=HOLIDAY_SUBDIVISION, years=year)
    return dict(calendar.items())


def bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays of one calendar year, substitute days included."""
    return frozenset(_named_bank_holidays(year))


def bank_holiday_name(day: date) -> str | None:
    """The bank holiday's name (e.g. 'Christmas Day (observed)'), or None."""
    return _named_bank_holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _named_bank_holidays(day.year)


@cache
def _weekday_holidays_until(year: int) -> tuple[date, ...]:
    """Sorted bank holidays falling Monday to Friday, from the first year up to ``year``."""
    days: list[date] = []
    for each in range(first_holiday_year(), year + 1):
        days.extend(d for d in bank_holidays(each) if d.weekday() < 5)
    return tuple(sorted(days))


def _weekdays_on_or_before(day: date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday, ordinal 1) up to ``day`` inclusive."""
    ordinal = day.toordinal()
    return ordinal // 7 * 5 + min(ordinal % 7, 5)


def working_day_index(day: date) -> int:
    """The number of working days on or before ``day`` (a fixed origin, so indexes subtract)."""
    holidays_so_far = bisect.bisect_right(_weekday_holidays_until(day.year), day)
    return _weekdays_on_or_before(day) - holidays_so_far


def working_days_between(start: date, end: date) -> int:
    """Working days D with start < D <= end (same day = 0; negative when end is before start)."""
    return working_day_index(end) - working_day_index(start)


def date_dimension_rows(first: date, last: date) -> list[dict[str, object]]:
    """One ``dim_date`` row per day from ``first`` to ``last`` inclusive."""
    rows: list[dict[str, object]] = []
    day = first
    index = working_day_index(day)
    while day <= last:
        if day != first and is_working_day(day):
            index += 1
        rows.append(
            {
                "date_key": day.isoformat(),
                "financial_year": FinancialYear.label_of(day),
                "is_working_day": is_working_day(day),
                "working_day_index": index,
                "bank_holiday": bank_holiday_name(day),
            }
        )
        day += timedelta(days=1)
    return rows
