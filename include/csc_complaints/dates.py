"""Dates as the pipeline reads them: financial years and ISO calendar dates.

The one home of two ideas every layer shares (docs/counting-rules.md):

- ``FinancialYear``: 1 April to 31 March, printed ``2019/20``, in folder and file names
  ``2019-20``. The warehouse, the report, the command line, the timetable and the tests all use
  this type; nothing else parses or formats a financial year.
- ``FinancialQuarter``: a quarter of a financial year (Q1 April to June ... Q4 January to March),
  printed ``2019/20 Q1``, in file names ``2019-20-q1``; the quarterly monitoring pack, its
  timetable and the quarterly stats use it.
- ISO calendar dates (``YYYY-MM-DD``, exactly ten characters): how staging holds a business date.
  ``ISO_DATE_PATTERN`` is the Python pattern, ``ISO_DATE_SQL_PATTERN`` the same pattern for a
  database's regular-expression match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

# ISO 8601 calendar date, exactly ten characters ('2019-04-01'); date.fromisoformat alone would
# also accept '20190401', which is not what staging promises.
ISO_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATE_SQL_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_FINANCIAL_YEAR_LABEL = re.compile(r"^(\d{4})/(\d{2})$")


def parse_iso_date(value: object) -> date | None:
    """A staged date text as a date, or None when it is not an ISO 'YYYY-MM-DD' calendar date."""
    if not isinstance(value, str) or not ISO_DATE_PATTERN.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True, order=True)
class FinancialYear:
    """The financial year that starts on 1 April of ``start_year``."""

    start_year: int

    @classmethod
    def parse(cls, label: str) -> FinancialYear:
        """``'2019/20'`` -> FinancialYear(2019); anything else is a clear error."""
        match = _FINANCIAL_YEAR_LABEL.match(label or "")
        if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
            raise ValueError(f"financial year {label!r} is not written like '2019/20'")
        return cls(int(match.group(1)))

    @classmethod
    def containing(cls, day: date) -> FinancialYear:
        """The financial year a calendar date falls in."""
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def label_of(cls, day: date) -> str:
        """The printed label of the financial year a date falls in: ``'2019/20'``."""
        return cls.containing(day).label

    @property
    def label(self) -> str:
        """As printed: ``2019/20``."""
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def slug(self) -> str:
        """As used in folder and file names: ``2019-20``."""
        return self.label.replace("/", "-")

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def end(self) -> date:
        """The first day after the year (1 April of the next year): an exclusive bound."""
        return date(self.start_year + 1, 4, 1)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def prior(self) -> FinancialYear:
        return FinancialYear(self.start_year - 1)

    @property
    def next(self) -> FinancialYear:
        return FinancialYear(self.start_year + 1)

    def quarter(self, number: int) -> FinancialQuarter:
        """Quarter ``number`` (1 to 4) of the year."""
        return FinancialQuarter(self, number)

    @property
    def quarters(self) -> tuple[FinancialQuarter, ...]:
        return tuple(FinancialQuarter(self, n) for n in range(1, QUARTERS + 1))

    def __str__(self) -> str:
        return self.label


QUARTERS = 4  # a financial year's quarters: Q1 April-June, Q2 July-September, Q3 October-
# December, Q4 January-March
_QUARTER_LABEL = re.compile(r"^(\d{4}/\d{2}) ?[Qq]([1-4])$")


@dataclass(frozen=True, order=True)
class FinancialQuarter:
    """Quarter ``number`` of a financial year: three calendar months, the first from April."""

    year: FinancialYear
    number: int

    def __post_init__(self) -> None:
        if self.number not in range(1, QUARTERS + 1):
            raise ValueError(f"quarter {self.number!r} is not 1, 2, 3 or 4")

    @classmethod
    def parse(cls, label: str) -> FinancialQuarter:
        """``'2019/20 Q1'`` (or ``'2019/20Q1'``) -> the first quarter of 2019/20."""
        match = _QUARTER_LABEL.match((label or "").strip())
        if not match:
            raise ValueError(f"quarter {label!r} is not written like '2019/20 Q1'")
        return cls(FinancialYear.parse(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> FinancialQuarter:
        """The quarter a calendar date falls in (April to June is Q1, January to March Q4)."""
        return cls(FinancialYear.containing(day), (day.month - 4) % 12 // 3 + 1)

    @property
    def label(self) -> str:
        """As printed: ``2019/20 Q1``."""
        return f"{self.year.label} Q{self.number}"

    @property
    def slug(self) -> str:
        """As used in file names: ``2019-20-q1``."""
        return f"{self.year.slug}-q{self.number}"

    @property
    def start(self) -> date:
        month = (self.number - 1) * 3 + 4
        return date(self.year.start_year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        """The first day after the quarter: an exclusive bound."""
        return self.next.start

    @property
    def last_day(self) -> date:
        """The quarter's last day: the day its open cases are counted at."""
        return self.end - timedelta(days=1)

    @property
    def next(self) -> FinancialQuarter:
        if self.number == QUARTERS:
            return FinancialQuarter(self.year.next, 1)
        return FinancialQuarter(self.year, self.number + 1)

    @property
    def prior(self) -> FinancialQuarter:
        if self.number == 1:
            return FinancialQuarter(self.year.prior, QUARTERS)
        return FinancialQuarter(self.year, self.number - 1)

    @property
    def so_far(self) -> tuple[FinancialQuarter, ...]:
        """The year's quarters up to and including this one (year to date)."""
        return self.year.quarters[: self.number]

    @property
    def same_quarter_last_year(self) -> FinancialQuarter:
        return FinancialQuarter(self.year.prior, self.number)

    def __str__(self) -> str:
        return self.label
