"""Settings: the reference council by default, every key overridable from the environment."""

from __future__ import annotations

import pytest

from csc_complaints.settings import SettingsError, load_settings


def test_defaults_are_the_reference_council():
    settings = load_settings({})
    assert settings.council_code == "E06000005"
    assert settings.advocacy_provider == "NYAS"
    assert (settings.stage1_target_wd, settings.stage1_extended_wd) == (10, 20)
    assert (settings.stage2_target_wd, settings.stage2_extended_wd) == (25, 65)
    assert settings.output_path.name == "output"


def test_environment_overrides_keep_types(tmp_path):
    settings = load_settings(
        {
            "COMPLAINTS_STAGE2_TARGET_WD": "20",
            "COMPLAINTS_COUNCIL_NAME": "Anytown Council",
            "COMPLAINTS_OUTPUT_DIR": str(tmp_path),
            "COMPLAINTS_SIGNIFICANT_CHANGE_PERCENT": "40.5",
        }
    )
    assert settings.stage2_target_wd == 20
    assert settings.council_name == "Anytown Council"
    assert settings.output_path == tmp_path
    assert settings.significant_change_percent == 40.5


def test_a_bad_override_names_the_variable():
    with pytest.raises(SettingsError, match="COMPLAINTS_STAGE1_TARGET_WD='ten'"):
        load_settings({"COMPLAINTS_STAGE1_TARGET_WD": "ten"})


def test_another_settings_file(tmp_path):
    text = (load_settings.__globals__["DEFAULT_SETTINGS_FILE"]).read_text()
    other = tmp_path / "settings.toml"
    other.write_text(
        text.replace('council_code = "E06000005"', 'council_code = "E09000001"')
        + '"2019/20" = ["review the advocacy offer"]\n'
    )
    settings = load_settings({"COMPLAINTS_SETTINGS_FILE": str(other)})
    assert settings.council_code == "E09000001"
    assert settings.recommendations_for("2019/20") == ["review the advocacy offer"]
    assert settings.recommendations_for("2018/19") == []


def test_unknown_or_missing_keys_are_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('council_name = "x"\ncolour = "red"\n')
    with pytest.raises(SettingsError, match="unknown keys colour"):
        load_settings({"COMPLAINTS_SETTINGS_FILE": str(bad)})
    bad.write_text('council_name = "x"\n')
    with pytest.raises(SettingsError, match="missing keys"):
        load_settings({"COMPLAINTS_SETTINGS_FILE": str(bad)})
