"""Airflow plugin: the financial-year timetable of the ``complaints_annual_report`` DAG.

Each run's data interval is one financial year (local midnight 1 April to local midnight the
next 1 April) and the run happens in April just after that year ends, on the day and at the time
set in the settings (``report_day_of_april``, ``report_time``, ``timezone``). Airflow's backfill
uses the same timetable, so past years are built with
``airflow backfill create --dag-id complaints_annual_report --from-date 2018-04-01
--to-date 2019-04-01`` (one run per financial year starting between the two dates).

The date arithmetic lives in ``csc_complaints.report.fiscal`` (plain Python, unit-tested);
this module only adapts it to Airflow's Timetable protocol.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.plugins_manager import AirflowPlugin
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

from csc_complaints.dates import FinancialYear
from csc_complaints.report.fiscal import ReportSchedule


class FinancialYearTimetable(Timetable):
    """One run per financial year, each April, with the financial year as its data interval."""

    periodic = True
    can_be_scheduled = True

    def __init__(
        self, day_of_april: int = 15, clock: str = "06:00", timezone: str = "Europe/London"
    ) -> None:
        self.schedule = ReportSchedule(day_of_april=day_of_april, clock=clock, timezone=timezone)
        self.description = (
            f"Each year on {day_of_april} April at {clock} ({timezone}), "
            "for the financial year just ended"
        )

    @property
    def summary(self) -> str:
        return f"Financial year, runs {self.schedule.day_of_april} April {self.schedule.clock}"

    # --- serialization (the scheduler rebuilds the timetable from this) ----------------------

    def serialize(self) -> dict[str, Any]:
        return {
            "day_of_april": self.schedule.day_of_april,
            "clock": self.schedule.clock,
            "timezone": self.schedule.timezone,
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> FinancialYearTimetable:
        return cls(data["day_of_april"], data["clock"], data["timezone"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FinancialYearTimetable):
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(tuple(self.serialize().items()))

    # --- scheduling ---------------------------------------------------------------------------

    def info_for(self, year: FinancialYear) -> DagRunInfo:
        """The run of one financial year: its interval and its April run time."""
        start, end = self.schedule.interval(year)
        return DagRunInfo(
            run_after=pendulum.instance(self.schedule.run_at(year)),
            data_interval=DataInterval(pendulum.instance(start), pendulum.instance(end)),
        )

    def infer_manual_data_interval(self, *, run_after: pendulum.DateTime) -> DataInterval:
        year = self.schedule.year_for_manual_run(run_after)
        start, end = self.schedule.interval(year)
        return DataInterval(pendulum.instance(start), pendulum.instance(end))

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            # The year after the last scheduled or backfilled one.
            last = FinancialYear.containing(
                self.schedule.local_date(last_automated_data_interval.start)
            )
            year = last.next
        elif restriction.earliest is None:
            return None  # no start_date: never scheduled
        else:
            year = self.schedule.first_year_from(restriction.earliest)
            if not restriction.catchup:
                # Without catch-up only the latest year that has already ended is run.
                latest_ended = self.schedule.last_year_ended_by(pendulum.now("UTC"))
                year = max(year, latest_ended)
        if restriction.latest is not None and year.start > self.schedule.local_date(
            restriction.latest
        ):
            return None  # past the DAG's end_date (or the backfill's --to-date)
        return self.info_for(year)


class FinancialYearTimetablePlugin(AirflowPlugin):
    """Registers the timetable so the scheduler can deserialize DAGs that use it."""

    name = "financial_year_timetable"
    timetables = [FinancialYearTimetable]
