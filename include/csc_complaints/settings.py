"""The pipeline's settings: one TOML file, every key overridable from the environment.

``include/settings.toml`` holds the defaults (the reference council). ``COMPLAINTS_SETTINGS_FILE``
points at another file; ``COMPLAINTS_<KEY>`` overrides a single key. Values from the environment
are converted to the type of the default, so ``COMPLAINTS_STAGE2_TARGET_WD=20`` is an int.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SETTINGS_FILE = Path(__file__).resolve().parents[1] / "settings.toml"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV_PREFIX = "COMPLAINTS_"


class SettingsError(ValueError):
    """A settings file or environment variable that cannot be used."""


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

    @property
    def output_path(self) -> Path:
        """The output folder; a relative setting is relative to the project root."""
        path = Path(self.output_dir)
        return path if path.is_absolute() else PROJECT_ROOT / path

    def recommendations_for(self, financial_year: str) -> list[str]:
        return list(self.extra_recommendations.get(financial_year, []))


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


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings file, then apply ``COMPLAINTS_*`` environment overrides."""
    env = os.environ if environ is None else environ
    path = Path(env.get(f"{ENV_PREFIX}SETTINGS_FILE", DEFAULT_SETTINGS_FILE))
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc

    names = {f.name: f for f in dataclasses.fields(Settings)}
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise SettingsError(f"settings file {path}: unknown keys {', '.join(unknown)}")
    values.setdefault("extra_recommendations", {})
    missing = sorted(n for n in names if n not in values)
    if missing:
        raise SettingsError(f"settings file {path}: missing keys {', '.join(missing)}")

    for key in names:
        raw = env.get(f"{ENV_PREFIX}{key.upper()}")
        if raw is not None and key != "extra_recommendations":
            values[key] = _convert(key, raw, str(names[key].type))
    for key in ("significant_change_percent", "recommendation_below_percent"):
        values[key] = float(values[key])
    return Settings(**values)
