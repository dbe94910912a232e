"""The demo's two councils (``make demo``): the reference council, unchanged, and Northmoor, a
synthetic council with its own code, teams and issue mix, the same rows from the same seed."""

from __future__ import annotations

from collections import Counter

import pytest

from csc_complaints.councils import REGISTRY_FILE_VARIABLE, load_councils
from csc_complaints.settings import load_settings
from csc_complaints_demo.demo_councils import (
    DEMO_COUNCILS_FILE,
    NORTHMOOR,
    NORTHMOOR_CODE,
    NORTHMOOR_TEAMS,
    REFERENCE_CODE,
    build_demo_council_source,
)
from csc_complaints_demo.reference_data import TEAMS as REFERENCE_TEAMS
from csc_complaints_demo.synthetic import GeneratorConfig, build_teams
from tests.demo.test_synthetic import dq_violations, read_source, run
from tests.oracle import expected_stats


@pytest.fixture(scope="module")
def demo_councils():
    return load_councils({REGISTRY_FILE_VARIABLE: str(DEMO_COUNCILS_FILE)})


@pytest.fixture(scope="module")
def northmoor_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('northmoor') / 'source.db'}"
    run(url, NORTHMOOR)
    return url, read_source(url)


def test_the_demo_registry_holds_the_reference_council_and_northmoor(demo_councils):
    reference, northmoor = demo_councils
    assert (reference.code, reference.short_name, reference.source_conn_id) == (
        REFERENCE_CODE,
        "Darlington",
        "complaints_source",
    )
    assert (northmoor.code, northmoor.name, northmoor.short_name) == (
        NORTHMOOR_CODE,
        "Northmoor Council",
        "Northmoor",
    )
    assert northmoor.source_conn_id == "complaints_source_northmoor"
    assert reference.population_0_17 and northmoor.population_0_17
    # The reference council's settings are the deployment's, key for key: its report is the one
    # tests/report compares with ../shared/reference.
    assert reference.overrides == ()
    assert reference.settings == load_settings({})
    # Northmoor's report reads in its own team order, and none of the reference council's texts.
    assert northmoor.settings.team_order == [team for _area, team, _ in NORTHMOOR_TEAMS]
    assert northmoor.settings.service_area_order == list(
        dict.fromkeys(area for area, _team, _ in NORTHMOOR_TEAMS)
    )
    assert northmoor.settings.kpi_notes == {}
    assert "darlington" not in northmoor.settings.publication_url.lower()
    assert northmoor.output_path.name == NORTHMOOR_CODE
    assert reference.output_path.name == REFERENCE_CODE


def test_northmoor_is_deterministic(northmoor_db, tmp_path):
    _url, rows = northmoor_db
    again = f"sqlite:///{tmp_path / 'again.db'}"
    run(again, NORTHMOOR)
    assert read_source(again) == rows


def test_northmoor_has_its_own_teams_and_issue_mix(northmoor_db):
    _url, rows = northmoor_db
    teams = {row["team_name"]: row["service_area"] for row in rows["teams"]}
    assert teams == {team: area for area, team, _ in NORTHMOOR_TEAMS}
    assert not set(teams) & {name for name, _area in REFERENCE_TEAMS}
    issues = Counter(row["issue"] for row in rows["complaints"])
    assert issues.most_common(1)[0][0] == "communication"  # the reference's: staff attitude
    assert set(issues) == set(NORTHMOOR.issue_weights)
    # Every team is complained about, and its rows are clean under DQ01-DQ12.
    used = {row["team_id"] for row in rows["complaint_stages"]}
    assert used == {row["team_id"] for row in rows["teams"]}
    assert dq_violations(rows, NORTHMOOR.effective_as_of) == []


def test_northmoor_covers_both_demo_years(northmoor_db):
    url, _rows = northmoor_db
    stats = expected_stats(url)
    years = {key[0] for key in stats["stats_headlines"]}
    assert years == {"2018/19", "2019/20"}  # as at 31 March 2020, as the reference dataset is
    for year in ("2018/19", "2019/20"):
        assert stats["stats_headlines"][(year, "complaints_received")] > 50


def test_build_demo_council_source_knows_only_the_demo_councils(new_sqlite_database):
    from csc_complaints.db import make_engine

    with pytest.raises(KeyError, match="has no demo source"):
        build_demo_council_source("E06000001", make_engine(new_sqlite_database()))


def test_a_council_catalogue_is_used_in_order_then_the_usual_kinds():
    catalogue = (("Area X", "Team One", 1.0), ("Area Y", "Team Two", 2.0))
    teams = build_teams(4, catalogue)
    assert [team[1:] for team in teams[:2]] == [
        ("Team One", "Area X", 1.0),
        ("Team Two", "Area Y", 2.0),
    ]
    assert len({team[1] for team in teams}) == 4
    # Without a catalogue, the reference council's teams come first, as before.
    assert build_teams(2)[0][1] == "Children's Access Point"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"team_catalogue": ()}, "at least one team"),
        ({"team_catalogue": (("A", "T", 1.0), ("B", "T", 1.0))}, "names a team twice"),
        ({"team_catalogue": (("A", "T", 0.0),)}, "positive"),
        ({"issue_weights": {"gossip": 1}}, "not in ISSUE_CATEGORIES"),
        ({"issue_weights": {"communication": 0}}, "one must be positive"),
    ],
)
def test_a_council_structure_that_cannot_be_generated_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**changes)
