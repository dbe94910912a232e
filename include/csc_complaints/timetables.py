"""The timetables of the DAGs whose schedule is a setting: the financial-year timetable of
``complaints_annual_report``, the quarter timetable of ``complaints_quarterly_monitoring``
(``FinancialQuarterTimetable``), and ``SettingCronTimetable`` (``complaints_source_comparison``).

Each run's data interval is one financial year (local midnight 1 April to local midnight the
next 1 April) and the run happens in April just after that year ends, on the day and at the time
of the settings ``report_day_of_april``, ``report_time`` and ``timezone``. Airflow's backfill
uses the same timetable, so past years are built with
``airflow backfill create --dag-id complaints_annual_report --from-date 2018-04-01
--to-date 2019-04-01`` (one run per financial year starting between the two dates).

The date arithmetic is ``csc_complaints.report_schedule`` (plain Python); this module adapts it
to Airflow's Timetable protocol. ``plugins/financial_year_timetable.py`` registers the class, so
the scheduler can rebuild it from a serialized DAG.

Day, time and zone not given to the constructor are read from the settings when the schedule
is needed (by the scheduler, the API server or a task), never when the DAG file is parsed: a
broken settings file must not break parsing. While the settings cannot be read the schedule
falls back to the defaults (15 April, 06:00, Europe/London) and says so in the log; the run's
first task then fails on the same settings error and alerts. The serialized form holds only
the values given to the constructor, so a settings change moves the schedule without a
re-parse.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Any

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

from csc_complaints.dates import FinancialQuarter, FinancialYear
from csc_complaints.report_schedule import ReportSchedule

log = logging.getLogger(__name__)


class FinancialYearTimetable(Timetable):
    """One run per financial year, each April, with the financial year as its data interval."""

    periodic = True
    can_be_scheduled = True
    dag_id = "complaints_annual_report"  # named in the log when the settings cannot be read

    def __init__(
        self,
        day_of_april: int | None = None,
        clock: str | None = None,
        timezone: str | None = None,
    ) -> None:
        self._given = {"day_of_april": day_of_april, "clock": clock, "timezone": timezone}
        if None not in self._given.values():
            ReportSchedule(day_of_april, clock, timezone)  # a refused value fails here, at once

    @property
    def schedule(self) -> ReportSchedule:
        """The values given to the constructor, the rest from the settings (read now)."""
        given = {name: value for name, value in self._given.items() if value is not None}
        if len(given) == len(self._given):
            return ReportSchedule(**given)
        from csc_complaints.settings import load_settings

        try:
            configured = ReportSchedule.from_settings(load_settings())
        except ValueError as exc:  # SettingsError, or a day/time/zone the schedule refuses
            log.warning(
                "%s schedule: the settings cannot be read (%s); using 15 April 06:00 "
                "Europe/London until they are fixed",
                self.dag_id,
                exc,
            )
            configured = ReportSchedule()
        return dataclasses.replace(configured, **given)

    # Airflow reads these two while parsing and serializing the DAG (and while checking that
    # the object is a timetable), so they never read the settings: given values or their names.

    @property
    def description(self) -> str:
        day, clock, zone = self._shown()
        return f"Each year on {day} April at {clock} ({zone}), for the financial year just ended"

    @property
    def summary(self) -> str:
        day, clock, _ = self._shown()
        return f"Financial year, runs {day} April {clock}"

    def _shown(self) -> tuple[str, str, str]:
        day, clock, zone = self._given.values()
        return (
            str(day) if day is not None else "report_day_of_april",
            clock or "report_time",
            zone or "timezone",
        )

    # --- serialization (the scheduler rebuilds the timetable from this) ----------------------

    def serialize(self) -> dict[str, Any]:
        return dict(self._given)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> FinancialYearTimetable:
        return cls(data.get("day_of_april"), data.get("clock"), data.get("timezone"))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):  # a quarter timetable is not a year timetable
            return NotImplemented
        return self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(tuple(self.serialize().items()))

    # --- the year of a run --------------------------------------------------------------------

    def financial_year(
        self, data_interval_start: datetime | None, run_after: datetime | None = None
    ) -> FinancialYear:
        """The financial year a run of this timetable reports on.

        Its data interval is that year; a run without one (triggered with no logical date)
        reports on the year its ``run_after`` names, as a manual run would.
        """
        schedule = self.schedule
        if data_interval_start is not None:
            return schedule.year_of_interval(data_interval_start)
        return schedule.year_for_manual_run(run_after or pendulum.now("UTC"))

    # --- scheduling ---------------------------------------------------------------------------

    # The period a run covers: a year here, a quarter in FinancialQuarterTimetable. The
    # scheduling below is the same for both; only these say what a period is.

    def _period_of_interval(self, schedule: ReportSchedule, start: datetime):
        return schedule.year_of_interval(start)

    def _period_for_manual_run(self, schedule: ReportSchedule, run_after: datetime):
        return schedule.year_for_manual_run(run_after)

    def _first_period_from(self, schedule: ReportSchedule, earliest: datetime):
        return schedule.first_year_from(earliest)

    def _last_period_ended_by(self, schedule: ReportSchedule, now: datetime):
        return schedule.last_year_ended_by(now)

    def _interval(self, schedule: ReportSchedule, period) -> tuple[datetime, datetime]:
        return schedule.interval(period)

    def _run_at(self, schedule: ReportSchedule, period) -> datetime:
        return schedule.run_at(period)

    def info_for(self, year: FinancialYear, schedule: ReportSchedule | None = None) -> DagRunInfo:
        """The run of one period (a financial year here): its interval and its run time."""
        schedule = schedule or self.schedule
        start, end = self._interval(schedule, year)
        return DagRunInfo(
            run_after=pendulum.instance(self._run_at(schedule, year)),
            data_interval=DataInterval(pendulum.instance(start), pendulum.instance(end)),
        )

    def infer_manual_data_interval(self, *, run_after: pendulum.DateTime) -> DataInterval:
        schedule = self.schedule
        start, end = self._interval(schedule, self._period_for_manual_run(schedule, run_after))
        return DataInterval(pendulum.instance(start), pendulum.instance(end))

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        schedule = self.schedule
        if last_automated_data_interval is not None:
            # The period after the last scheduled or backfilled one.
            period = self._period_of_interval(schedule, last_automated_data_interval.start).next
        elif restriction.earliest is None:
            return None  # no start_date: never scheduled
        else:
            period = self._first_period_from(schedule, restriction.earliest)
            if not restriction.catchup:
                # Without catch-up only the latest period that has already ended is run.
                latest_ended = self._last_period_ended_by(schedule, pendulum.now("UTC"))
                period = max(period, latest_ended)
        if restriction.latest is not None and period.start > schedule.local_date(
            restriction.latest
        ):
            return None  # past the DAG's end_date (or the backfill's --to-date)
        return self.info_for(period, schedule)


class FinancialQuarterTimetable(FinancialYearTimetable):
    """One run per quarter of the financial year, with the quarter as its data interval.

    The run happens on the day of the month of ``report_day_of_april`` at ``report_time``
    (``timezone``), in the month after the quarter ends: 15 July, 15 October, 15 January and
    15 April at 06:00 by default. The settings are read as ``FinancialYearTimetable`` reads
    them: when the schedule is needed, never at parse time.
    """

    dag_id = "complaints_quarterly_monitoring"

    @property
    def description(self) -> str:
        day, clock, zone = self._shown()
        return (
            f"Each quarter of the financial year, on day {day} of the month after it ends at "
            f"{clock} ({zone}), for the quarter just ended"
        )

    @property
    def summary(self) -> str:
        day, clock, _ = self._shown()
        return f"Financial quarter, runs day {day} {clock}"

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> FinancialQuarterTimetable:
        return cls(data.get("day_of_april"), data.get("clock"), data.get("timezone"))

    def __hash__(self) -> int:
        return hash(("quarter", *self.serialize().items()))

    def financial_quarter(
        self, data_interval_start: datetime | None, run_after: datetime | None = None
    ) -> FinancialQuarter:
        """The quarter a run of this timetable builds the pack of: its data interval, or for a
        run without one, the quarter its ``run_after`` names, as a manual run would."""
        schedule = self.schedule
        if data_interval_start is not None:
            return schedule.quarter_of_interval(data_interval_start)
        return schedule.quarter_for_manual_run(run_after or pendulum.now("UTC"))

    def _period_of_interval(self, schedule: ReportSchedule, start: datetime):
        return schedule.quarter_of_interval(start)

    def _period_for_manual_run(self, schedule: ReportSchedule, run_after: datetime):
        return schedule.quarter_for_manual_run(run_after)

    def _first_period_from(self, schedule: ReportSchedule, earliest: datetime):
        return schedule.first_quarter_from(earliest)

    def _last_period_ended_by(self, schedule: ReportSchedule, now: datetime):
        return schedule.last_quarter_ended_by(now)

    def _interval(self, schedule: ReportSchedule, period) -> tuple[datetime, datetime]:
        return schedule.quarter_interval(period)

    def _run_at(self, schedule: ReportSchedule, period) -> datetime:
        return schedule.quarter_run_at(period)


class SettingCronTimetable(Timetable):
    """Runs on a cron expression (or preset such as ``@weekly``) held by a setting, in the
    settings' time zone: ``complaints_source_comparison`` on ``source_comparison_schedule``.

    As ``FinancialYearTimetable``, the setting is read when the schedule is needed, never when
    the DAG file is parsed; while the settings cannot be read it falls back to the setting's
    default and says so (the run's first task then fails on the settings error and alerts).
    Each run is a point in time (Airflow's ``CronTriggerTimetable``: no data interval).
    """

    periodic = True
    can_be_scheduled = True

    def __init__(self, setting: str) -> None:
        self.setting = setting

    def cron(self) -> Timetable:
        """Airflow's cron timetable for the setting's value now."""
        from airflow.timetables.trigger import CronTriggerTimetable

        from csc_complaints.settings import Settings, load_settings

        try:
            settings = load_settings()
            expression, zone = getattr(settings, self.setting), settings.timezone
        except ValueError as exc:  # SettingsError
            (field,) = (f for f in dataclasses.fields(Settings) if f.name == self.setting)
            expression, zone = field.default, ReportSchedule().timezone
            log.warning(
                "%s: the settings cannot be read (%s); using %s until they are fixed",
                self.setting,
                exc,
                expression,
            )
        return CronTriggerTimetable(expression, timezone=zone)

    @property
    def description(self) -> str:
        return f"On the cron schedule of the setting {self.setting}"

    @property
    def summary(self) -> str:
        return f"setting {self.setting}"

    def serialize(self) -> dict[str, Any]:
        return {"setting": self.setting}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> SettingCronTimetable:
        return cls(data["setting"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SettingCronTimetable):
            return NotImplemented
        return self.setting == other.setting

    def __hash__(self) -> int:
        return hash(self.setting)

    def infer_manual_data_interval(self, *, run_after: pendulum.DateTime) -> DataInterval:
        return self.cron().infer_manual_data_interval(run_after=run_after)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        return self.cron().next_dagrun_info(
            last_automated_data_interval=last_automated_data_interval, restriction=restriction
        )
