"""Airflow plugin: registers the ``complaints_annual_report`` DAG's financial-year timetable.

The scheduler, the API server and the dag-processor rebuild a serialized DAG's timetable only
from classes a plugin registers. The class itself lives in the package
(``csc_complaints.timetables``), and the DAG file imports it from there.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from csc_complaints.timetables import FinancialYearTimetable


class FinancialYearTimetablePlugin(AirflowPlugin):
    """Registers ``FinancialYearTimetable`` so DAGs that use it can be deserialized."""

    name = "financial_year_timetable"
    timetables = [FinancialYearTimetable]
