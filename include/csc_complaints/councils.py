"""The council registry: which councils one deployment serves, and each council's own settings.

``include/councils.toml`` (or the file in ``COMPLAINTS_COUNCILS_FILE``) holds one ``[[council]]``
table per council::

    [[council]]
    code = "E06000005"                  # ONS code, unique
    name = "Darlington Borough Council"
    short_name = "Darlington"
    source_conn_id = "complaints_source_darlington"   # its case-management database
    population_0_17 = 22500             # optional: rates per 10,000 children
    alert_emails = ["data@darlington.gov.uk"]          # optional: on top of the deployment's
    approvers = ["j.smith"]             # optional: who may sign its report off in Airflow
    stage2_target_wd = 25               # optional: any key of settings.toml, for it only

With no registry file the single council of ``settings.toml``, read from the connection
``complaints_source``, is the registry: one council and existing deployments work unchanged.

Every council shares the warehouse (``complaints_warehouse``) and is kept apart in it by
``council_code``. Nothing here touches a database, so DAG files may read the registry at parse
time cheaply; but they do not, so that an error here shows on the first task, not as a broken
DAG (docs/operations.md, "Many councils").
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from csc_complaints.settings import (
    ENV_PREFIX,
    ONS_CODE,
    SCHEDULE_SETTINGS,
    Settings,
    SettingsError,
    read_settings_values,
    setting_names,
    settings_from_values,
)

DEFAULT_REGISTRY_FILE = Path(__file__).resolve().parents[1] / "councils.toml"
REGISTRY_FILE_VARIABLE = f"{ENV_PREFIX}COUNCILS_FILE"
# The source connection of the single council of a deployment without a registry file.
DEFAULT_SOURCE_CONN_ID = "complaints_source"
# Keys of a [[council]] table that are not settings.toml keys.
REQUIRED_KEYS = ("code", "name", "short_name", "source_conn_id")
OPTIONAL_KEYS = ("population_0_17", "alert_emails", "approvers")
# Settings keys a council table may not set: the registry's own keys say them.
SET_BY_REGISTRY = {
    "council_code": "code",
    "council_name": "name",
    "council_short_name": "short_name",
}
# Shared by every council of the deployment: one output folder, and the schedules of the DAGs
# that serve every council (a DAG has one schedule; its timetable reads the deployment's).
DEPLOYMENT_ONLY = {
    "output_dir",
    "report_day_of_april",
    "report_time",
    "timezone",
    *SCHEDULE_SETTINGS,
}
# An Airflow connection id (letters, digits, _ - .).
CONN_ID_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


class RegistryError(SettingsError):
    """A council registry that cannot be used: names the file, the council and the key."""


@dataclass(frozen=True)
class Council:
    """One council of the deployment."""

    code: str
    name: str
    short_name: str
    source_conn_id: str
    settings: Settings
    population_0_17: int | None = None
    alert_emails: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    # The registry keys that set a setting for this council alone.
    overrides: tuple[str, ...] = field(default=())

    @property
    def output_path(self) -> Path:
        """``<output>/<council_code>``: this council's outputs."""
        return self.settings.output_path

    @property
    def label(self) -> str:
        """How the Airflow UI names the council's mapped tasks: ``Darlington (E06000005)``."""
        return f"{self.short_name} ({self.code})"


def registry_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The registry file in use, or None (no file: the single council of settings.toml)."""
    env = os.environ if environ is None else environ
    named = env.get(REGISTRY_FILE_VARIABLE, "").strip()
    if named:
        path = Path(named)
        if not path.is_file():
            raise RegistryError(
                f"{REGISTRY_FILE_VARIABLE}={named}: no such file; point it at the council "
                "registry (docs/operations.md, 'Many councils') or unset it for one council"
            )
        return path
    return DEFAULT_REGISTRY_FILE if DEFAULT_REGISTRY_FILE.is_file() else None


def load_councils(environ: Mapping[str, str] | None = None) -> list[Council]:
    """Every council of the deployment, in registry order; each one's settings checked.

    Raises ``RegistryError`` (a ``SettingsError``) naming the file, the council and the key of
    every problem found.
    """
    values, settings_file, overridden = read_settings_values(environ)
    where = {"": f"settings file {settings_file}"}
    where |= {key: f"{ENV_PREFIX}{key.upper()}={values[key]!r}" for key in overridden}
    path = registry_path(environ)
    if path is None:
        settings = settings_from_values(values, where)
        return [
            Council(
                code=settings.council_code,
                name=settings.council_name,
                short_name=settings.council_short_name,
                source_conn_id=DEFAULT_SOURCE_CONN_ID,
                settings=settings,
            )
        ]
    tables = _council_tables(path)
    problems: list[str] = []
    councils: list[Council] = []
    seen: dict[str, int] = {}
    for number, table in enumerate(tables, start=1):
        who = _who(path, number, table)
        try:
            council = _council(table, values, where, who)
        except RegistryError as exc:
            problems.append(str(exc))
            continue
        if council.code in seen:
            problems.append(
                f"{who}: code {council.code} is already the code of council number "
                f"{seen[council.code]}; every council's code is unique"
            )
            continue
        seen[council.code] = number
        councils.append(council)
    if problems:
        raise RegistryError("the council registry cannot be used: " + "; ".join(problems))
    return councils


def load_council(code: str, environ: Mapping[str, str] | None = None) -> Council:
    """One council of the registry by its ONS code."""
    councils = load_councils(environ)
    for council in councils:
        if council.code == code:
            return council
    known = ", ".join(c.code for c in councils)
    raise RegistryError(
        f"council {code} is not in the council registry (it holds {known}); add it to "
        f"{registry_path(environ) or 'include/councils.toml'} or run the DAG for one it holds"
    )


def council_index(environ: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """What a DAG maps its council tasks over: each council's code and label (small, so it
    travels as XCom; each task reads its council's settings from the registry by code)."""
    return [{"code": c.code, "label": c.label} for c in load_councils(environ)]


def _council_tables(path: Path) -> list[dict]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"council registry {path} is not valid TOML: {exc}") from exc
    other = sorted(set(data) - {"council"})
    if other:
        raise RegistryError(
            f"council registry {path}: unknown top-level keys {', '.join(other)} (it holds "
            "only [[council]] tables)"
        )
    tables = data.get("council", [])
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise RegistryError(
            f"council registry {path} holds no [[council]] tables: add one per council"
        )
    return tables


def _who(path: Path, number: int, table: dict) -> str:
    name = table.get("short_name") or table.get("name") or table.get("code")
    return f"council registry {path}, council number {number}" + (
        f" ({name})" if isinstance(name, str) and name else ""
    )


def _council(table: dict, base: dict, where: dict[str, str], who: str) -> Council:
    """One [[council]] table as a Council, its settings the deployment's with its own keys."""
    names = setting_names()
    problems: list[str] = []
    for key in REQUIRED_KEYS:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"key {key} is missing or empty")
    for key in sorted(set(table) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS)):
        if key in SET_BY_REGISTRY:
            problems.append(f"key {key}: write {SET_BY_REGISTRY[key]} instead")
        elif key in DEPLOYMENT_ONLY:
            problems.append(
                f"key {key} is the deployment's, not a council's: set it in settings.toml"
            )
        elif key not in names:
            problems.append(f"unknown key {key}")
    code = table.get("code")
    if isinstance(code, str) and code and not ONS_CODE.match(code):
        problems.append(f"key code {code!r} is not an ONS code like E06000005")
    conn_id = table.get("source_conn_id")
    if isinstance(conn_id, str) and conn_id and not set(conn_id) <= CONN_ID_CHARACTERS:
        problems.append(f"key source_conn_id {conn_id!r} is not an Airflow connection id")
    population = table.get("population_0_17")
    if population is not None and (
        isinstance(population, bool) or not isinstance(population, int) or population <= 0
    ):
        problems.append(f"key population_0_17 {population!r} is not a number of children")
    for key in ("alert_emails", "approvers"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problems.append(f"key {key} is not a list of texts")
        elif key == "alert_emails" and (bad := [v for v in value if "@" not in v]):
            problems.append(f"key alert_emails: {bad[0]!r} is not an e-mail address")
    if problems:
        raise RegistryError(f"{who}: " + "; ".join(problems))

    overrides = sorted(set(table) & set(names))
    values = dict(base) | {k: table[k] for k in overrides}
    values |= {setting: table[key] for setting, key in SET_BY_REGISTRY.items()}
    council_where = dict(where) | {key: f"{who}, key {key}" for key in overrides}
    council_where |= {setting: f"{who}, key {key}" for setting, key in SET_BY_REGISTRY.items()}
    try:
        settings = settings_from_values(values, council_where)
    except SettingsError as exc:
        raise RegistryError(f"{who}: {exc}") from exc
    return Council(
        code=table["code"],
        name=table["name"],
        short_name=table["short_name"],
        source_conn_id=conn_id,
        settings=settings,
        population_0_17=population,
        alert_emails=tuple(table.get("alert_emails", [])),
        approvers=tuple(table.get("approvers", [])),
        overrides=tuple(overrides),
    )
