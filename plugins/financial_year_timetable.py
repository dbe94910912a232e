"""Airflow plugin: registers the timetables read from the settings: the ``complaints_annual_report``
DAG's financial-year timetable, ``complaints_quarterly_monitoring``'s quarter timetable and
``complaints_source_comparison``'s cron from a setting.

The scheduler, the API server and the dag-processor rebuild a serialized DAG's timetable only
from classes a plugin registers. The class itself lives in the package
(``csc_complaints.timetables``), and the DAG file imports it from there.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from csc_complaints.timetables import (
    FinancialQuarterTimetable,
    FinancialYearTimetable,
    SettingCronTimetable,
)


class FinancialYearTimetablePlugin(AirflowPlugin):
    """Registers the project's timetables so DAGs that use them can be deserialized."""

    name = "financial_year_timetable"
    timetables = [FinancialYearTimetable, FinancialQuarterTimetable, SettingCronTimetable]
