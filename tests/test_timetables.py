"""The financial-year timetable: run dates, data intervals, backfill ranges, serialization, and
the settings it reads only when the schedule is needed; and the cron timetable of a setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pendulum
import pytest
from airflow.timetables.base import DataInterval, TimeRestriction

from csc_complaints.dates import FinancialYear
from csc_complaints.settings import PROJECT_ROOT
from csc_complaints.timetables import FinancialYearTimetable, SettingCronTimetable

PLUGINS = PROJECT_ROOT / "plugins"

LONDON = "Europe/London"


def london(*args: int) -> pendulum.DateTime:
    return pendulum.datetime(*args, tz=LONDON)


def timetable() -> FinancialYearTimetable:
    return FinancialYearTimetable(15, "06:00", LONDON)


def scheduled_years(earliest, latest, count=10):
    """What the scheduler would create, run after run, from ``earliest`` (catch-up on)."""
    table = timetable()
    restriction = TimeRestriction(earliest=earliest, latest=latest, catchup=True)
    infos, last = [], None
    for _ in range(count):
        info = table.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            break
        infos.append(info)
        last = info.data_interval
    return infos


def test_each_run_covers_one_financial_year_and_runs_the_next_april():
    infos = scheduled_years(london(2017, 4, 1), None, count=4)
    assert [(i.data_interval.start, i.data_interval.end, i.run_after) for i in infos] == [
        (london(2017, 4, 1), london(2018, 4, 1), london(2018, 4, 15, 6)),
        (london(2018, 4, 1), london(2019, 4, 1), london(2019, 4, 15, 6)),
        (london(2019, 4, 1), london(2020, 4, 1), london(2020, 4, 15, 6)),
        (london(2020, 4, 1), london(2021, 4, 1), london(2021, 4, 15, 6)),
    ]
    # 1 April is in British Summer Time: local midnight is 23:00 UTC the day before.
    assert infos[0].data_interval.start.in_timezone("UTC") == pendulum.datetime(2017, 3, 31, 23)
    assert infos[2].logical_date == london(2019, 4, 1)


def test_run_day_and_time_come_from_the_settings():
    table = FinancialYearTimetable(3, "21:30", LONDON)
    restriction = TimeRestriction(earliest=london(2019, 4, 1), latest=None, catchup=True)
    info = table.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.run_after == london(2020, 4, 3, 21, 30)
    assert info.data_interval == DataInterval(london(2019, 4, 1), london(2020, 4, 1))


def test_a_start_date_inside_a_year_begins_with_the_next_whole_year():
    infos = scheduled_years(london(2018, 6, 10), None, count=1)
    assert infos[0].data_interval.start == london(2019, 4, 1)


def test_backfill_range_in_utc_includes_both_named_years_and_stops_at_the_end_date():
    # `airflow backfill create --from-date 2018-04-01 --to-date 2019-04-01` gives UTC midnights.
    infos = scheduled_years(pendulum.datetime(2018, 4, 1), pendulum.datetime(2019, 4, 1))
    assert [i.data_interval.start for i in infos] == [london(2018, 4, 1), london(2019, 4, 1)]


def test_no_start_date_means_no_scheduled_run():
    restriction = TimeRestriction(earliest=None, latest=None, catchup=True)
    assert (
        timetable().next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
        is None
    )


def test_without_catchup_only_the_latest_ended_year_is_scheduled():
    restriction = TimeRestriction(earliest=london(2015, 4, 1), latest=None, catchup=False)
    info = timetable().next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    now = pendulum.now(LONDON)
    expected_start_year = now.year - 1 if now.month >= 4 else now.year - 2
    assert info.data_interval.start == london(expected_start_year, 4, 1)
    assert info.data_interval.end <= now


@pytest.mark.parametrize(
    ("run_after", "year_start"),
    [
        (london(2020, 4, 15, 6), 2019),  # the April run
        (london(2020, 4, 1, 0, 30), 2019),  # just after the year ended
        (london(2021, 3, 31, 23, 59), 2019),  # the year 2020/21 has not ended yet
        (london(2019, 4, 1), 2019),  # a logical date naming the year that starts then
        (pendulum.datetime(2019, 4, 1), 2019),  # the same, given in UTC (`airflow dags test`)
        (london(2020, 4, 1, 10), 2019),  # a click on 1 April builds the year just ended
        (pendulum.datetime(2024, 4, 16, 12), 2023),
    ],
)
def test_manual_runs_build_the_year_just_ended_or_the_one_named(run_after, year_start):
    interval = timetable().infer_manual_data_interval(run_after=run_after)
    assert interval == DataInterval(london(year_start, 4, 1), london(year_start + 1, 4, 1))


def test_serialize_round_trip():
    table = FinancialYearTimetable(20, "07:15", LONDON)
    again = FinancialYearTimetable.deserialize(table.serialize())
    assert again == table
    assert again.info_for(again.schedule.first_year_from(london(2019, 4, 1))).run_after == london(
        2020, 4, 20, 7, 15
    )


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="report_time"):
        FinancialYearTimetable(15, "6 o'clock", LONDON)
    with pytest.raises(ValueError, match="day of April"):
        FinancialYearTimetable(31, "06:00", LONDON)


def test_airflow_registers_the_timetable_from_the_plugins_folder(tmp_path):
    """Airflow's own plugin manager finds it, and a DAG using it serializes and deserializes."""
    code = (
        "from airflow import plugins_manager\n"
        "from airflow.serialization.encoders import encode_timetable\n"
        "from airflow.serialization.decoders import decode_timetable\n"
        "found = plugins_manager.get_timetables_plugins()\n"
        "cls = found['csc_complaints.timetables.FinancialYearTimetable']\n"
        "table = cls(15, '06:00', 'Europe/London')\n"
        "again = decode_timetable(encode_timetable(table))\n"
        "assert again.serialize() == table.serialize(), again\n"
        "cls = found['csc_complaints.timetables.FinancialQuarterTimetable']\n"
        "table = cls(15, '06:00', 'Europe/London')\n"
        "again = decode_timetable(encode_timetable(table))\n"
        "assert type(again) is cls and again == table, again\n"
        "cls = found['csc_complaints.timetables.SettingCronTimetable']\n"
        "table = cls('source_comparison_schedule')\n"
        "again = decode_timetable(encode_timetable(table))\n"
        "assert again == table, again\n"
        "print('ok')\n"
    )
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(tmp_path),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(PLUGINS),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path / 'airflow.db'}",
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")


def test_day_time_and_zone_not_given_are_read_from_the_settings_when_needed(monkeypatch):
    table = FinancialYearTimetable()  # what the DAG declares: nothing read yet
    monkeypatch.setenv("COMPLAINTS_REPORT_DAY_OF_APRIL", "3")
    monkeypatch.setenv("COMPLAINTS_REPORT_TIME", "21:30")
    restriction = TimeRestriction(earliest=london(2019, 4, 1), latest=None, catchup=True)
    info = table.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.run_after == london(2020, 4, 3, 21, 30)
    # The serialized DAG holds no settings: the scheduler reads them, so a change needs no parse.
    assert table.serialize() == {"day_of_april": None, "clock": None, "timezone": None}
    assert FinancialYearTimetable.deserialize(table.serialize()) == table


def test_broken_settings_fall_back_to_the_default_schedule(monkeypatch, tmp_path, caplog):
    broken = tmp_path / "settings.toml"
    broken.write_text("council_code = [unterminated\n")
    monkeypatch.setenv("COMPLAINTS_SETTINGS_FILE", str(broken))
    table = FinancialYearTimetable()
    restriction = TimeRestriction(earliest=london(2019, 4, 1), latest=None, catchup=True)
    info = table.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.run_after == london(2020, 4, 15, 6)
    assert "settings cannot be read" in caplog.text


@pytest.mark.parametrize(
    ("start", "run_after", "label"),
    [
        (london(2019, 4, 1), None, "2019/20"),  # a scheduled or backfilled run
        (london(2019, 4, 1).in_timezone("UTC"), None, "2019/20"),  # 23:00 UTC on 31 March
        (None, pendulum.datetime(2020, 6, 1, 9), "2019/20"),  # no logical date: the last year
    ],
)
def test_the_year_of_a_run_comes_from_the_timetable(start, run_after, label):
    assert timetable().financial_year(start, run_after) == FinancialYear.parse(label)


def test_a_settings_cron_is_read_when_the_schedule_is_needed(monkeypatch):
    table = SettingCronTimetable("source_comparison_schedule")  # what the DAG declares
    assert table.serialize() == {"setting": "source_comparison_schedule"}
    restriction = TimeRestriction(earliest=london(2026, 1, 1), latest=None, catchup=True)
    weekly = table.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert weekly.run_after == london(2026, 1, 4)  # the default, @weekly: Sunday midnight
    monkeypatch.setenv("COMPLAINTS_SOURCE_COMPARISON_SCHEDULE", "30 3 * * 6")
    saturday = table.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert saturday.run_after == london(2026, 1, 3, 3, 30)  # in the settings' time zone
    after = table.next_dagrun_info(
        last_automated_data_interval=saturday.data_interval, restriction=restriction
    )
    assert after.run_after == london(2026, 1, 10, 3, 30)


def test_a_settings_cron_falls_back_to_its_default_while_the_settings_are_broken(
    monkeypatch, tmp_path, caplog
):
    broken = tmp_path / "settings.toml"
    broken.write_text("council_code = [unterminated\n")
    monkeypatch.setenv("COMPLAINTS_SETTINGS_FILE", str(broken))
    table = SettingCronTimetable("source_comparison_schedule")
    restriction = TimeRestriction(earliest=london(2026, 1, 1), latest=None, catchup=True)
    info = table.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.run_after == london(2026, 1, 4)
    assert "source_comparison_schedule: the settings cannot be read" in caplog.text
