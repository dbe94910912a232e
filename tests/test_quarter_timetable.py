"""The quarter timetable of complaints_quarterly_monitoring, and the quarters it runs on
(csc_complaints.dates.FinancialQuarter): one run per quarter of the financial year, with the
quarter as its data interval, on the report's day of the month after the quarter ends."""

from __future__ import annotations

from datetime import date

import pendulum
import pytest
from airflow.timetables.base import DataInterval, TimeRestriction

from csc_complaints.dates import FinancialQuarter, FinancialYear
from csc_complaints.timetables import FinancialQuarterTimetable, FinancialYearTimetable

LONDON = "Europe/London"


def london(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=LONDON)


def test_a_financial_years_quarters():
    year = FinancialYear(2019)
    assert [(q.label, q.slug, q.start, q.last_day) for q in year.quarters] == [
        ("2019/20 Q1", "2019-20-q1", date(2019, 4, 1), date(2019, 6, 30)),
        ("2019/20 Q2", "2019-20-q2", date(2019, 7, 1), date(2019, 9, 30)),
        ("2019/20 Q3", "2019-20-q3", date(2019, 10, 1), date(2019, 12, 31)),
        ("2019/20 Q4", "2019-20-q4", date(2020, 1, 1), date(2020, 3, 31)),
    ]
    assert FinancialQuarter.containing(date(2020, 2, 29)) == year.quarter(4)
    assert FinancialQuarter.containing(date(2019, 4, 1)) == year.quarter(1)
    assert year.quarter(4).next == FinancialYear(2020).quarter(1)
    assert year.quarter(1).prior == FinancialYear(2018).quarter(4)
    assert year.quarter(3).so_far == year.quarters[:3]
    assert year.quarter(2).same_quarter_last_year == FinancialYear(2018).quarter(2)
    assert FinancialQuarter.parse("2019/20 Q3") == FinancialQuarter.parse("2019/20q3")
    for bad in ("2019/20 Q5", "2019 Q1", "Q1", ""):
        with pytest.raises(ValueError):
            FinancialQuarter.parse(bad)


def test_each_run_covers_one_quarter_and_runs_on_the_day_after_it_ends():
    table = FinancialQuarterTimetable(15, "06:00", LONDON)
    restriction = TimeRestriction(earliest=london(2019, 4, 1), latest=None, catchup=True)
    infos, last = [], None
    for _ in range(5):
        info = table.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        infos.append(info)
        last = info.data_interval
    assert [(i.data_interval.start, i.data_interval.end, i.run_after) for i in infos] == [
        (london(2019, 4, 1), london(2019, 7, 1), london(2019, 7, 15, 6)),
        (london(2019, 7, 1), london(2019, 10, 1), london(2019, 10, 15, 6)),
        (london(2019, 10, 1), london(2020, 1, 1), london(2020, 1, 15, 6)),
        (london(2020, 1, 1), london(2020, 4, 1), london(2020, 4, 15, 6)),
        (london(2020, 4, 1), london(2020, 7, 1), london(2020, 7, 15, 6)),
    ]
    assert table.financial_quarter(infos[1].data_interval.start).label == "2019/20 Q2"


def test_a_start_inside_a_quarter_begins_with_the_next_and_an_end_date_stops_it():
    table = FinancialQuarterTimetable(15, "06:00", LONDON)
    restriction = TimeRestriction(
        earliest=london(2019, 5, 10), latest=london(2019, 10, 1), catchup=True
    )
    first = table.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert first.data_interval.start == london(2019, 7, 1)
    second = table.next_dagrun_info(
        last_automated_data_interval=first.data_interval, restriction=restriction
    )
    assert second.data_interval.start == london(2019, 10, 1)
    assert (
        table.next_dagrun_info(
            last_automated_data_interval=second.data_interval, restriction=restriction
        )
        is None
    )


def test_without_catchup_only_the_latest_ended_quarter_is_scheduled():
    table = FinancialQuarterTimetable(15, "06:00", LONDON)
    restriction = TimeRestriction(earliest=london(2010, 4, 1), latest=None, catchup=False)
    info = table.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    latest = FinancialQuarter.containing(pendulum.now(LONDON).date()).prior
    assert table.financial_quarter(info.data_interval.start) == latest


@pytest.mark.parametrize(
    ("run_after", "label"),
    [
        (pendulum.datetime(2019, 7, 1, tz="UTC"), "2019/20 Q2"),  # a logical date naming it
        (london(2019, 10, 1), "2019/20 Q3"),
        (london(2019, 11, 20, 9), "2019/20 Q2"),  # any other moment: the last quarter ended
        (london(2020, 4, 2, 9), "2019/20 Q4"),
    ],
)
def test_manual_runs_build_the_quarter_named_or_the_one_just_ended(run_after, label):
    table = FinancialQuarterTimetable(15, "06:00", LONDON)
    assert table.financial_quarter(None, run_after).label == label
    interval = table.infer_manual_data_interval(run_after=run_after)
    quarter = FinancialQuarter.parse(label)
    assert interval == DataInterval(
        london(quarter.start.year, quarter.start.month, 1),
        london(quarter.end.year, quarter.end.month, 1),
    )


def test_serialize_round_trip_keeps_the_class():
    table = FinancialQuarterTimetable(3, "21:30", LONDON)
    again = FinancialQuarterTimetable.deserialize(table.serialize())
    assert again == table and type(again) is FinancialQuarterTimetable
    assert again != FinancialYearTimetable(3, "21:30", LONDON)
    assert "quarter" in table.description and "21:30" in table.summary
