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
    assert settings.output_root.name == "output"
    assert settings.output_path == settings.output_root / "E06000005"


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
    assert settings.output_root == tmp_path
    assert settings.output_path == tmp_path / "E06000005"
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


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("COMPLAINTS_COUNCIL_CODE", "Darlington", "is not an ONS code like E06000005"),
        ("COMPLAINTS_COUNCIL_CODE", "E0600000512", "is not an ONS code like E06000005"),
        ("COMPLAINTS_COUNCIL_CODE", "", "is not an ONS code like E06000005"),
        ("COMPLAINTS_COUNCIL_NAME", " ", "council_name is empty"),
        ("COMPLAINTS_STAGE1_TARGET_WD", "0", "stage1_target_wd 0 is not a number of working days"),
        ("COMPLAINTS_STAGE2_EXTENDED_WD", "20", "shorter than stage2_target_wd"),
        ("COMPLAINTS_REPORT_DAY_OF_APRIL", "31", "is not a day of April"),
        ("COMPLAINTS_REPORT_TIME", "6am", "is not a time like '06:00'"),
        ("COMPLAINTS_TIMEZONE", "Europe/Darlington", "is not a time zone"),
        ("COMPLAINTS_BATCH_SIZE", "0", "batch_size 0"),
        ("COMPLAINTS_EXTRACT_OVERLAP_MINUTES", "-5", "extract_overlap_minutes -5"),
        ("COMPLAINTS_RECOMMENDATION_BELOW_PERCENT", "150", "recommendation_below_percent 150"),
        ("COMPLAINTS_SOURCE_COMPARISON_SCHEDULE", "every Sunday", "is not a cron expression"),
        ("COMPLAINTS_OPERATIONS_ALERTS_SCHEDULE", "hourly", "is not a cron expression"),
        ("COMPLAINTS_SIGN_OFF_DEADLINE", "30 June", "is not a month and day like '06-30'"),
        ("COMPLAINTS_SIGN_OFF_DEADLINE", "06-31", "is not a month and day like '06-30'"),
        ("COMPLAINTS_SIGN_OFF_DEADLINE", "03-15", "is before 1 April"),
        ("COMPLAINTS_COMPLAINTS_MANAGER_EMAIL", "the manager", "is not an e-mail address"),
        ("COMPLAINTS_EXTRACT_STALE_AFTER_HOURS", "0", "extract_stale_after_hours 0"),
    ],
)
def test_a_value_the_pipeline_cannot_use_is_refused_and_named(variable, value, complaint):
    with pytest.raises(SettingsError) as refused:
        load_settings({variable: value})
    assert complaint in str(refused.value)
    assert variable in str(refused.value)  # where the value came from


def test_every_problem_is_listed_at_once_with_the_file_named(tmp_path):
    text = (load_settings.__globals__["DEFAULT_SETTINGS_FILE"]).read_text()
    other = tmp_path / "settings.toml"
    other.write_text(
        text.replace('council_code = "E06000005"', 'council_code = "E6"')
        .replace("batch_size = 10000", 'batch_size = "lots"')
        .replace("[extra_recommendations]", '[extra_recommendations]\n"2019-20" = ["x"]')
    )
    with pytest.raises(SettingsError) as refused:
        load_settings({"COMPLAINTS_SETTINGS_FILE": str(other)})
    message = str(refused.value)
    assert str(other) in message
    for part in ("council_code 'E6'", "batch_size 'lots' is not a whole number", "'2019-20'"):
        assert part in message, message


def test_a_key_added_later_may_be_left_out_of_a_councils_file(tmp_path):
    """A council's own settings file written before ``source_comparison_schedule`` existed
    still loads, with the key's default; the key can be set in the file or the environment."""
    text = (load_settings.__globals__["DEFAULT_SETTINGS_FILE"]).read_text()
    older = tmp_path / "settings.toml"
    older.write_text(
        "\n".join(line for line in text.splitlines() if "source_comparison_schedule" not in line)
    )
    settings = load_settings({"COMPLAINTS_SETTINGS_FILE": str(older)})
    assert settings.source_comparison_schedule == "@weekly"
    env = {
        "COMPLAINTS_SETTINGS_FILE": str(older),
        "COMPLAINTS_SOURCE_COMPARISON_SCHEDULE": "0 3 * * 0",
    }
    assert load_settings(env).source_comparison_schedule == "0 3 * * 0"


def test_the_report_settings_of_the_reference_council():
    settings = load_settings({})
    assert settings.service_area_order[:2] == [
        "Early Intervention & First Contact",
        "Safeguarding & LATC",
    ]
    assert settings.issue_phrases["Provision of information"] == "the provision of information"
    assert (
        "[Review of Outcome of Complaints Made to Ombudsman]("
        in settings.kpi_notes_for("2019/20")[0]
    )
    assert settings.kpi_notes_for("2018/19") == []
    assert settings.publication_url.startswith("https://")
    assert settings.sign_off_role
    # The council's order first, then what it does not list, alphabetically.
    keys = sorted(
        [
            ("Zebra", "b"),
            ("Safeguarding", "Safeguarding Team B"),
            ("Alpha", "a"),
            ("Early Intervention & First Contact", "Keeping Families Together"),
        ],
        key=lambda pair: settings.order_key(*pair),
    )
    assert [area for area, _ in keys] == [
        "Early Intervention & First Contact",
        "Safeguarding",
        "Alpha",
        "Zebra",
    ]


@pytest.mark.parametrize(
    ("replace", "by", "complaint"),
    [
        ('publication_url = "https://', 'publication_url = "www.', "is not a web address"),
        ("(https://democracy", "(democracy", "a link in"),
        ('"Safeguarding & LATC",', "3,", "service_area_order is not a list of texts"),
        ('"2019/20" = [\n  "Full', '"2019-20" = [\n  "Full', "kpi_notes: "),
    ],
)
def test_a_report_setting_the_pipeline_cannot_use_is_refused(tmp_path, replace, by, complaint):
    text = (load_settings.__globals__["DEFAULT_SETTINGS_FILE"]).read_text()
    assert replace in text
    other = tmp_path / "settings.toml"
    other.write_text(text.replace(replace, by, 1))
    with pytest.raises(SettingsError, match=complaint):
        load_settings({"COMPLAINTS_SETTINGS_FILE": str(other)})


def test_an_older_file_without_the_report_settings_still_loads(tmp_path):
    """Files written before the report's order, phrases, notes, address and role existed."""
    text = (load_settings.__globals__["DEFAULT_SETTINGS_FILE"]).read_text()
    head, _, tail = text.partition("# The council's own order")
    older = tmp_path / "settings.toml"
    older.write_text(head + "[extra_recommendations]\n")
    settings = load_settings({"COMPLAINTS_SETTINGS_FILE": str(older)})
    assert settings.service_area_order == [] and settings.kpi_notes == {}
    assert settings.publication_url == "" and settings.sign_off_role == "Complaints Manager"
    # With no order set, alphabetical whatever the case.
    assert settings.order_key("a", "y") < settings.order_key("B", "x")


def test_the_operations_alerts_settings_and_their_defaults(tmp_path):
    """A file written before the operations alerts existed gets their defaults."""
    text = (load_settings.__globals__["DEFAULT_SETTINGS_FILE"]).read_text()
    keys = (
        "sign_off_deadline",
        "complaints_manager_email",
        "extract_stale_after_hours",
        "operations_alerts_schedule",
    )
    older = tmp_path / "settings.toml"
    older.write_text("\n".join(line for line in text.splitlines() if not line.startswith(keys)))
    settings = load_settings({"COMPLAINTS_SETTINGS_FILE": str(older)})
    assert (
        settings.sign_off_deadline,
        settings.complaints_manager_email,
        settings.extract_stale_after_hours,
        settings.operations_alerts_schedule,
    ) == ("06-30", "", 48, "@hourly")
    env = {"COMPLAINTS_COMPLAINTS_MANAGER_EMAIL": "cm@council.example"}
    assert load_settings(env).complaints_manager_email == "cm@council.example"
