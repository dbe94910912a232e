"""The April report schedule: when the annual report of each financial year runs.

The quarterly monitoring pack runs on the same day of the month and time, in the month after each
quarter of the financial year ends (15 July, 15 October, 15 January and 15 April at 06:00 by
default): the ``quarter_*`` methods.

Plain date arithmetic, no Airflow (the year itself is ``csc_complaints.dates.FinancialYear``).
``csc_complaints.timetables.FinancialYearTimetable`` adapts it to Airflow's timetable protocol,
so the scheduler, a manual run and the report's own tasks agree on what "the year just ended" is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from csc_complaints.dates import FinancialQuarter, FinancialYear


def parse_clock(value: str) -> time:
    """``'06:00'`` -> time(6, 0), with an error that names the setting."""
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"report_time {value!r} is not a time like '06:00'") from exc


@dataclass(frozen=True)
class ReportSchedule:
    """When the annual report runs: each April on ``day_of_april`` at ``clock`` local time."""

    day_of_april: int = 15
    clock: str = "06:00"
    timezone: str = "Europe/London"

    def __post_init__(self) -> None:
        if not 1 <= self.day_of_april <= 30:
            raise ValueError(f"report_day_of_april {self.day_of_april} is not a day of April")
        parse_clock(self.clock)
        ZoneInfo(self.timezone)  # raises for an unknown zone

    @classmethod
    def from_settings(cls, settings) -> ReportSchedule:
        """The schedule of ``report_day_of_april``, ``report_time`` and ``timezone``."""
        return cls(settings.report_day_of_april, settings.report_time, settings.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def interval(self, year: FinancialYear) -> tuple[datetime, datetime]:
        """The data interval: local midnight 1 April to local midnight 1 April next year."""
        return (
            datetime.combine(year.start, time(0), self.zone),
            datetime.combine(year.end, time(0), self.zone),
        )

    def run_at(self, year: FinancialYear) -> datetime:
        """When the report for ``year`` runs: in April just after the year ends."""
        day = date(year.start_year + 1, 4, self.day_of_april)
        return datetime.combine(day, parse_clock(self.clock), self.zone)

    def local_date(self, moment: datetime) -> date:
        """The calendar date of an aware moment in the schedule's time zone."""
        return moment.astimezone(self.zone).date()

    def year_of_interval(self, start: datetime) -> FinancialYear:
        """The financial year a run's data interval covers (it starts at local midnight 1 April,
        which is 23:00 UTC the day before in summer time)."""
        return FinancialYear.containing(self.local_date(start))

    def first_year_from(self, earliest: datetime) -> FinancialYear:
        """The first financial year that starts on or after ``earliest``'s local date.

        Compared on local calendar dates, so a UTC-midnight bound (as the backfill command
        gives) still picks the year that starts that day in London.
        """
        day = self.local_date(earliest)
        year = FinancialYear.containing(day)
        return year if year.start >= day else year.next

    def last_year_ended_by(self, moment: datetime) -> FinancialYear:
        """The most recent financial year whose end is at or before ``moment``."""
        local = moment.astimezone(self.zone)
        return FinancialYear.containing(local.date()).prior

    def year_for_manual_run(self, run_after: datetime) -> FinancialYear:
        """The year a manual run (or a run given a logical date) reports on.

        Midnight at the start of 1 April, local or UTC, is read as a logical date naming the
        year that starts then (``airflow dags test complaints_annual_report 2019-04-01`` builds
        2019/20); any other moment builds the most recent year that has ended.
        """
        for moment in (run_after.astimezone(self.zone), run_after.astimezone(UTC)):
            if (moment.month, moment.day) == (4, 1) and moment.time() == time(0):
                return FinancialYear(moment.year)
        return self.last_year_ended_by(run_after)

    # --- the quarterly monitoring pack -----------------------------------------------------------

    def quarter_interval(self, quarter: FinancialQuarter) -> tuple[datetime, datetime]:
        """A quarter's data interval: local midnight of its first day to that of the next's."""
        return (
            datetime.combine(quarter.start, time(0), self.zone),
            datetime.combine(quarter.end, time(0), self.zone),
        )

    def quarter_run_at(self, quarter: FinancialQuarter) -> datetime:
        """When the pack for ``quarter`` runs: the report's day of the month, in the month after
        the quarter ends, at the report's time."""
        day = quarter.end.replace(day=self.day_of_april)
        return datetime.combine(day, parse_clock(self.clock), self.zone)

    def quarter_of_interval(self, start: datetime) -> FinancialQuarter:
        """The quarter a run's data interval covers (it starts at local midnight)."""
        return FinancialQuarter.containing(self.local_date(start))

    def first_quarter_from(self, earliest: datetime) -> FinancialQuarter:
        """The first quarter that starts on or after ``earliest``'s local date."""
        day = self.local_date(earliest)
        quarter = FinancialQuarter.containing(day)
        return quarter if quarter.start >= day else quarter.next

    def last_quarter_ended_by(self, moment: datetime) -> FinancialQuarter:
        """The most recent quarter whose end is at or before ``moment``."""
        return FinancialQuarter.containing(moment.astimezone(self.zone).date()).prior

    def quarter_for_manual_run(self, run_after: datetime) -> FinancialQuarter:
        """The quarter a manual run (or a run given a logical date) builds the pack of.

        Midnight at the start of a quarter's first day, local or UTC, names that quarter
        (``airflow dags test complaints_quarterly_monitoring 2019-07-01`` builds 2019/20 Q2); any
        other moment builds the most recent quarter that has ended.
        """
        for moment in (run_after.astimezone(self.zone), run_after.astimezone(UTC)):
            quarter = FinancialQuarter.containing(moment.date())
            if moment.date() == quarter.start and moment.time() == time(0):
                return quarter
        return self.last_quarter_ended_by(run_after)
