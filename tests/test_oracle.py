"""The oracle's own arithmetic (tests/oracle.py), on figures worked out by hand: it is the
yardstick the warehouse is held to, so its rounding and medians are checked first."""

from __future__ import annotations

import pytest

from tests.oracle import mean_and_median, working_days


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([4], (4.0, 4.0)),
        ([2, 3, 5, 9], (4.8, 4.0)),  # mean 4.75 rounds up; median (3 + 5) / 2
        ([1, 2], (1.5, 1.5)),
        ([0, 0, 1], (0.3, 0.0)),  # mean 0.333...
        ([1, 1, 1, 2, 2, 2, 2, 2], (1.6, 2.0)),  # mean 1.625 -> 1.6; middle two 2 and 2
        ([10, 0, 5, 1], (4.0, 3.0)),  # unsorted: the middle two of 0, 1, 5, 10
        ([3, 4, 4, 4], (3.8, 4.0)),  # mean 3.75: a half, rounded up
        ([1] * 3 + [2] * 17, (1.9, 2.0)),  # mean 1.85: a half, rounded up (not to even)
    ],
)
def test_mean_and_median_to_one_decimal_place_half_up(values, expected):
    assert mean_and_median(values) == expected


def test_working_days_skip_weekends_and_bank_holidays():
    from datetime import date

    # Thursday 9 April 2020 -> Tuesday 14 April: Good Friday and Easter Monday are not counted.
    assert working_days(date(2020, 4, 9), date(2020, 4, 14)) == 1
    assert working_days(date(2020, 4, 9), date(2020, 4, 9)) == 0
