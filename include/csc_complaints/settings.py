"""The pipeline's settings: one TOML file, every key overridable from the environment.

``include/settings.toml`` holds the defaults (the reference council). ``COMPLAINTS_SETTINGS_FILE``
points at another file; ``COMPLAINTS_<KEY>`` overrides a single key. Values from the environment
are converted to the type of the default, so ``COMPLAINTS_STAGE2_TARGET_WD=20`` is an int.

Every value is checked when the settings are loaded, before any task touches a database: a
council code that is not an ONS code, a timescale of no working days, a report time that is not
a time. ``SettingsError`` lists every problem at once, each with where its value came from (the
file or the ``COMPLAINTS_*`` variable), and tasks fail on it at once, without retries.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SETTINGS_FILE = Path(__file__).resolve().parents[1] / "settings.toml"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "COMPLAINTS_"


class SettingsError(ValueError):
    """A settings file or environment variable that cannot be used."""


# ONS (GSS) area codes: a country letter and eight digits, e.g. E06000005 (Darlington).
ONS_CODE = re.compile(r"^[A-Z][0-9]{8}$")
# A web address the report may print or link to.
WEB_ADDRESS = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
# A link inside a text of the settings: [the words linked](https://...).
LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")
# Texts that may be left empty.
# (council_code has its own message.)
MAY_BE_EMPTY = {"council_code", "publication_url", "complaints_manager_email"}
# Settings holding a cron expression or preset (read by timetables.SettingCronTimetable).
SCHEDULE_SETTINGS = ("source_comparison_schedule", "operations_alerts_schedule")
MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
TIMESCALES = (
    ("stage1_target_wd", "stage1_extended_wd"),
    ("stage2_target_wd", "stage2_extended_wd"),
    ("stage3_panel_wd", None),
    ("stage3_panel_report_wd", None),
    ("stage3_director_wd", None),
)


@dataclass(frozen=True)
class Settings:
    council_name: str
    council_short_name: str
    council_code: str
    advocacy_provider: str
    stage1_target_wd: int
    stage1_extended_wd: int
    stage2_target_wd: int
    stage2_extended_wd: int
    stage3_panel_wd: int
    stage3_panel_report_wd: int
    stage3_director_wd: int
    significant_change_percent: float
    significant_change_minimum: int
    recommendation_below_percent: float
    report_day_of_april: int
    report_time: str
    timezone: str
    output_dir: str
    extract_overlap_minutes: int
    batch_size: int
    extra_recommendations: dict[str, list[str]] = field(default_factory=dict)
    # When complaints_source_comparison runs (a cron expression or preset such as "@weekly").
    source_comparison_schedule: str = "@weekly"
    # The council's own order of its service areas and teams in the report (names not listed
    # follow, alphabetically).
    service_area_order: list[str] = field(default_factory=list)
    team_order: list[str] = field(default_factory=list)
    # How an issue reads inside a sentence, by its label ("the outcome of ...").
    issue_phrases: dict[str, str] = field(default_factory=dict)
    # Paragraphs a council adds under the key performance indicator for a year; a link is
    # written [text](https://...).
    kpi_notes: dict[str, list[str]] = field(default_factory=dict)
    # Where the council publishes the accessible HTML version and the open data (https URL;
    # empty: the report does not say).
    publication_url: str = ""
    # The role printed beside the name of the person who signs the report off.
    sign_off_role: str = "Complaints Manager"
    # The operations alerts (complaints_operations_alerts, csc_complaints.operations_alerts).
    # A year is signed off by this day (MM-DD) of the calendar year in which it ends.
    sign_off_deadline: str = "06-30"
    # The council's Complaints Manager, told too when a year misses the sign-off deadline
    # ("" for nobody but the data team).
    complaints_manager_email: str = ""
    # No extract succeeded for longer than this: the freshness alert.
    extract_stale_after_hours: int = 48
    # When complaints_operations_alerts checks both (a cron expression or preset).
    operations_alerts_schedule: str = "@hourly"

    @property
    def output_root(self) -> Path:
        """The deployment's output folder (``output_dir``; a relative setting is relative to
        the project root). Every council has its own folder in it, and the regional benchmark
        has ``benchmark/``."""
        path = Path(self.output_dir)
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def output_path(self) -> Path:
        """This council's output folder, ``<output_dir>/<council_code>``: its years'
        ``<YYYY-YY>/`` folders (reports, open data, reconciliation.json) and its Data Docs.
        The one rule for where a council's outputs go, with one council or many."""
        return self.output_root / self.council_code

    def recommendations_for(self, financial_year: str) -> list[str]:
        return list(self.extra_recommendations.get(financial_year, []))

    def kpi_notes_for(self, financial_year: str) -> list[str]:
        return list(self.kpi_notes.get(financial_year, []))

    def order_key(self, service_area: str, team: str = "") -> tuple:
        """Sorts service areas, and teams within them, in the council's order
        (``service_area_order``, ``team_order``); names not listed follow, alphabetically."""

        def place(name: str, order: list[str]) -> tuple[int, str]:
            return (order.index(name), "") if name in order else (len(order), name.lower())

        return (*place(service_area, self.service_area_order), *place(team, self.team_order))


def _convert(key: str, raw: str, type_name: str) -> object:
    """An environment value as the field's declared type (``int``, ``float`` or ``str``)."""
    converters = {"int": int, "float": float}
    if type_name not in converters:
        return raw
    try:
        return converters[type_name](raw)
    except ValueError as exc:
        raise SettingsError(
            f"{ENV_PREFIX}{key.upper()}={raw!r} is not a valid {type_name}"
        ) from exc


def _is_cron(expression: str) -> bool:
    """A cron expression or preset Airflow can schedule by (croniter reads both)."""
    from croniter import croniter

    return croniter.is_valid(expression.strip())


def _problems(values: dict[str, object]) -> dict[str, str]:
    """Each key whose value the pipeline cannot use, with why (empty: all usable)."""
    from csc_complaints.dates import FinancialYear
    from csc_complaints.report_schedule import ReportSchedule

    problems: dict[str, str] = {}
    for field_ in dataclasses.fields(Settings):
        key, value = field_.name, values[field_.name]
        expected = str(field_.type)
        if expected == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            problems[key] = f"{key} {value!r} is not a whole number"
        elif expected == "float" and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            problems[key] = f"{key} {value!r} is not a number"
        elif expected == "str" and not isinstance(value, str):
            problems[key] = f"{key} {value!r} is not text"
        elif expected == "str" and not value.strip() and key not in MAY_BE_EMPTY:
            problems[key] = f"{key} is empty"
        elif expected == "list[str]" and not _texts(value):
            problems[key] = f"{key} is not a list of texts"
        elif expected == "dict[str, str]" and not (
            isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        ):
            problems[key] = f"{key} is not a table of texts"
    if "council_code" not in problems and not ONS_CODE.match(str(values["council_code"])):
        problems["council_code"] = (
            f"council_code {values['council_code']!r} is not an ONS code like E06000005 "
            "(a letter and eight digits)"
        )
    for target, extended in TIMESCALES:
        for key in (target, extended):
            if key and key not in problems and not 1 <= values[key] <= 260:
                problems[key] = f"{key} {values[key]} is not a number of working days (1-260)"
        usable = extended and not {target, extended} & problems.keys()
        if usable and values[extended] < values[target]:
            problems[extended] = (
                f"{extended} {values[extended]} is shorter than {target} {values[target]}"
            )
    bounds = {
        "significant_change_percent": (0, None),
        "significant_change_minimum": (0, None),
        "recommendation_below_percent": (0, 100),
        "extract_overlap_minutes": (0, None),
        "batch_size": (1, None),
        "extract_stale_after_hours": (1, None),
    }
    for key, (low, high) in bounds.items():
        if key in problems:
            continue
        if values[key] < low or (high is not None and values[key] > high):
            span = f"from {low} to {high}" if high is not None else f"{low} or more"
            problems[key] = f"{key} {values[key]} is out of range ({span})"
    schedule_keys = ("report_day_of_april", "report_time", "timezone")
    if not set(schedule_keys) & problems.keys():
        day, clock, zone = (values[k] for k in schedule_keys)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems["timezone"] = f"timezone {zone!r} is not a time zone like 'Europe/London'"
        else:
            try:
                ReportSchedule(day, clock, zone)
            except ValueError as exc:
                key = "report_time" if "report_time" in str(exc) else "report_day_of_april"
                problems[key] = str(exc)
    for key in SCHEDULE_SETTINGS:
        if key not in problems and not _is_cron(values[key]):
            problems[key] = (
                f"{key} {values[key]!r} is not a cron expression like "
                "'0 3 * * 0' or a preset like '@weekly'"
            )
    if "sign_off_deadline" not in problems:
        try:
            sign_off_month_day(values["sign_off_deadline"])
        except ValueError as exc:
            problems["sign_off_deadline"] = str(exc)
    email = values["complaints_manager_email"]
    if "complaints_manager_email" not in problems and email.strip() and "@" not in email:
        problems["complaints_manager_email"] = (
            f"complaints_manager_email {email!r} is not an e-mail address"
        )
    url = values["publication_url"]
    if "publication_url" not in problems and url.strip() and not WEB_ADDRESS.match(url):
        problems["publication_url"] = (
            f"publication_url {url!r} is not a web address like https://www.example.gov.uk/page"
        )
    for key in ("extra_recommendations", "kpi_notes"):
        by_year = values[key]
        if not isinstance(by_year, dict):
            problems[key] = f"{key} is not a table"
            continue
        for label, texts in by_year.items():
            try:
                FinancialYear.parse(label)
            except ValueError as exc:
                problems[key] = f"{key}: {exc}"
            if not _texts(texts):
                problems[key] = f"{key} {label!r} is not a list of texts"
            elif bad := [t for t in texts if not links_are_web_addresses(t)]:
                problems[key] = (
                    f"{key} {label!r}: a link in {bad[0]!r} is not a web address (https://...)"
                )
    return problems


def _texts(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(t, str) for t in value)


def links_are_web_addresses(text: str) -> bool:
    """Every ``[text](address)`` link in a settings text points at an http(s) address."""
    return all(WEB_ADDRESS.match(address) for _, address in LINK.findall(text))


def sign_off_month_day(value: str) -> tuple[int, int]:
    """``sign_off_deadline`` ("06-30") as (month, day): a day from 1 April to 31 December, so
    the deadline falls after the year it is for has ended."""
    import datetime

    match = MONTH_DAY.match(value.strip())
    try:
        if not match:
            raise ValueError
        month, day = int(match.group(1)), int(match.group(2))
        datetime.date(2001, month, day)  # a real day of the year (29 February is not allowed)
    except ValueError:
        raise ValueError(
            f"sign_off_deadline {value!r} is not a month and day like '06-30' (30 June)"
        ) from None
    if month < 4:
        raise ValueError(
            f"sign_off_deadline {value!r} is before 1 April: the financial year ends on 31 March"
        )
    return month, day


def read_settings_values(
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, object], Path, set[str]]:
    """The settings file's values with defaults filled in and ``COMPLAINTS_*`` overrides applied,
    unchecked: (values, the file, the keys the environment set). The council registry
    (``csc_complaints.councils``) lays each council's own keys over these."""
    env = os.environ if environ is None else environ
    path = Path(env.get(f"{ENV_PREFIX}SETTINGS_FILE", DEFAULT_SETTINGS_FILE))
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc

    names = setting_names()
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise SettingsError(f"settings file {path}: unknown keys {', '.join(unknown)}")
    for key in ("extra_recommendations", "kpi_notes", "issue_phrases"):
        values.setdefault(key, {})
    # A key with a default may be left out of a council's file (added in a later version).
    missing = sorted(
        n
        for n, f in names.items()
        if n not in values
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    )
    if missing:
        raise SettingsError(f"settings file {path}: missing keys {', '.join(missing)}")
    for name, field_ in names.items():
        if name not in values and field_.default is not dataclasses.MISSING:
            values[name] = field_.default
        elif name not in values and field_.default_factory is not dataclasses.MISSING:
            values[name] = field_.default_factory()

    overridden = set()
    for key in names:
        raw = env.get(f"{ENV_PREFIX}{key.upper()}")
        if raw is not None and str(names[key].type) in {"int", "float", "str"}:
            values[key] = _convert(key, raw, str(names[key].type))
            overridden.add(key)
    return values, path, overridden


def setting_names() -> dict[str, dataclasses.Field]:
    """Every settings key, with its field."""
    return {f.name: f for f in dataclasses.fields(Settings)}


def settings_from_values(values: dict[str, object], where: dict[str, str]) -> Settings:
    """Check every value and build the settings; ``where`` says where a key's value came from
    (the default for a key it does not name: the first entry's text)."""
    problems = _problems(values)
    if problems:
        fallback = next(iter(where.values()))
        raise SettingsError(
            "the settings cannot be used: "
            + "; ".join(f"{problems[key]} ({where.get(key, fallback)})" for key in sorted(problems))
        )
    values = dict(values)
    for key in ("significant_change_percent", "recommendation_below_percent"):
        values[key] = float(values[key])
    return Settings(**values)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings file, apply ``COMPLAINTS_*`` environment overrides, check every value.

    These are the deployment's settings: with a council registry, a council's own settings are
    ``csc_complaints.councils.load_council(code).settings``. Raises ``SettingsError`` naming
    every value that cannot be used and where it came from.
    """
    values, path, overridden = read_settings_values(environ)
    where = {"": f"settings file {path}"}
    where |= {key: f"{ENV_PREFIX}{key.upper()}={values[key]!r}" for key in overridden}
    return settings_from_values(values, where)
