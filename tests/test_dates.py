"""One financial-year type and ISO calendar dates (csc_complaints.dates)."""

from __future__ import annotations

from datetime import date

import pytest

from csc_complaints.dates import FinancialYear, parse_iso_date


@pytest.mark.parametrize(
    ("day", "year"),
    [
        ("2019-04-01", "2019/20"),
        ("2020-03-31", "2019/20"),
        ("2020-04-01", "2020/21"),
        ("2019-03-31", "2018/19"),
        ("1999-04-01", "1999/00"),
        ("2099-12-31", "2099/00"),
    ],
)
def test_financial_year(day, year):
    assert FinancialYear.label_of(date.fromisoformat(day)) == year
    assert str(FinancialYear.containing(date.fromisoformat(day))) == year


def test_financial_year_bounds():
    year = FinancialYear.parse("2019/20")
    assert (year.start, year.last_day, year.end) == (
        date(2019, 4, 1),
        date(2020, 3, 31),
        date(2020, 4, 1),
    )
    year = FinancialYear.parse("1999/00")
    assert (year.start, year.last_day) == (date(1999, 4, 1), date(2000, 3, 31))
    assert (year.label, year.slug, year.prior.label, year.next.label) == (
        "1999/00",
        "1999-00",
        "1998/99",
        "2000/01",
    )
    for bad in ("2019/21", "2019-20", "19/20", ""):
        with pytest.raises(ValueError, match="financial year"):
            FinancialYear.parse(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-02-29", date(2020, 2, 29)),
        ("2019-02-29", None),  # not a leap year
        ("2019-13-01", None),
        ("20190401", None),  # ISO basic format: not what staging promises
        ("2019-4-1", None),
        (" 2019-04-01", None),
        ("01/04/2019", None),
        ("2019-04-01T00:00:00", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_iso_date(text, expected):
    assert parse_iso_date(text) == expected
