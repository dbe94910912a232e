"""The council registry: one deployment, many councils, each with its own settings."""

from __future__ import annotations

import pytest

from csc_complaints.councils import (
    DEFAULT_SOURCE_CONN_ID,
    REGISTRY_FILE_VARIABLE,
    RegistryError,
    council_index,
    load_council,
    load_councils,
)
from csc_complaints.settings import SettingsError

TWO_COUNCILS = """
[[council]]
code = "E06000005"
name = "Darlington Borough Council"
short_name = "Darlington"
source_conn_id = "complaints_source_darlington"
population_0_17 = 22500
alert_emails = ["data@darlington.example"]
approvers = ["cm.darlington"]

[[council]]
code = "E06000999"
name = "Northmoor Council"
short_name = "Northmoor"
source_conn_id = "complaints_source_northmoor"
stage2_target_wd = 20
stage2_extended_wd = 40
team_order = ["Front Door"]
"""


def registry(tmp_path, text: str) -> dict[str, str]:
    path = tmp_path / "councils.toml"
    path.write_text(text)
    return {REGISTRY_FILE_VARIABLE: str(path), "COMPLAINTS_OUTPUT_DIR": str(tmp_path / "out")}


def test_without_a_registry_the_settings_council_is_the_only_one(tmp_path, monkeypatch):
    monkeypatch.setattr("csc_complaints.councils.DEFAULT_REGISTRY_FILE", tmp_path / "absent.toml")
    (council,) = load_councils({"COMPLAINTS_OUTPUT_DIR": str(tmp_path)})
    assert (council.code, council.short_name) == ("E06000005", "Darlington")
    assert council.source_conn_id == DEFAULT_SOURCE_CONN_ID
    assert council.output_path == tmp_path / "E06000005"
    assert council.settings.output_root == tmp_path


def test_each_council_has_its_own_settings_over_the_deployment_defaults(tmp_path):
    darlington, northmoor = load_councils(registry(tmp_path, TWO_COUNCILS))
    assert darlington.settings.stage2_target_wd == 25  # the deployment's
    assert (northmoor.settings.stage2_target_wd, northmoor.settings.stage2_extended_wd) == (20, 40)
    assert northmoor.settings.team_order == ["Front Door"]
    assert northmoor.settings.council_code == "E06000999"
    assert northmoor.settings.council_name == "Northmoor Council"
    assert northmoor.settings.council_short_name == "Northmoor"
    assert darlington.population_0_17 == 22500 and northmoor.population_0_17 is None
    assert darlington.alert_emails == ("data@darlington.example",)
    assert darlington.approvers == ("cm.darlington",)
    assert northmoor.output_path == tmp_path / "out" / "E06000999"
    assert darlington.output_path.parent == northmoor.output_path.parent
    assert northmoor.label == "Northmoor (E06000999)"


def test_one_council_by_code_and_the_index_the_dags_map_over(tmp_path):
    env = registry(tmp_path, TWO_COUNCILS)
    assert load_council("E06000999", env).short_name == "Northmoor"
    assert council_index(env) == [
        {"code": "E06000005", "label": "Darlington (E06000005)"},
        {"code": "E06000999", "label": "Northmoor (E06000999)"},
    ]
    with pytest.raises(RegistryError, match="council E09000001 is not in the council registry"):
        load_council("E09000001", env)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('"E06000999"', '"E06000005"'), "code E06000005 is already"),
        (lambda t: t + 'colour = "red"\n', r"\(Northmoor\): unknown key colour"),
        (
            lambda t: t.replace('source_conn_id = "complaints_source_northmoor"\n', ""),
            r"\(Northmoor\): key source_conn_id is missing",
        ),
        (lambda t: t.replace('"E06000999"', '"Northmoor"'), "not an ONS code"),
        (
            lambda t: t.replace("stage2_target_wd = 20", "stage2_target_wd = 0"),
            r"stage2_target_wd 0 is not a number",
        ),
        (lambda t: t + 'council_code = "E06000998"\n', "key council_code: write code instead"),
        (lambda t: t + 'output_dir = "elsewhere"\n', "key output_dir is the deployment's"),
        (lambda t: t + 'report_time = "07:00"\n', "key report_time is the deployment's"),
        (lambda t: t.replace("22500", "-3"), "population_0_17 -3 is not a number"),
        (lambda t: t.replace('"data@darlington.example"', '"nobody"'), "not an e-mail"),
        (lambda t: t + "[oops]\n", "unknown top-level keys oops"),
        (lambda t: "", "holds no \\[\\[council\\]\\] tables"),
        (lambda t: t + "[[council\n", "not valid TOML"),
    ],
)
def test_a_registry_error_names_the_file_the_council_and_the_key(tmp_path, change, message):
    env = registry(tmp_path, change(TWO_COUNCILS))
    with pytest.raises(RegistryError, match=message) as caught:
        load_councils(env)
    assert str(tmp_path / "councils.toml") in str(caught.value)
    assert isinstance(caught.value, SettingsError)  # tasks fail at once on it, no retry


def test_a_bad_override_says_which_council_and_key(tmp_path):
    env = registry(tmp_path, TWO_COUNCILS.replace("extended_wd = 40", "extended_wd = 10"))
    with pytest.raises(RegistryError) as caught:
        load_councils(env)
    text = str(caught.value)
    assert "council number 2 (Northmoor)" in text
    assert "stage2_extended_wd 10 is shorter than stage2_target_wd 20" in text
    assert "key stage2_extended_wd" in text


def test_a_missing_registry_file_named_in_the_environment_is_an_error(tmp_path):
    with pytest.raises(RegistryError, match="no such file"):
        load_councils({REGISTRY_FILE_VARIABLE: str(tmp_path / "nope.toml")})
