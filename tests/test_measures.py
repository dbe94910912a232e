"""The measures registry: it refuses measures that could not be counted or reconciled, and the
warehouse's ``dim_measure`` (what SQL reads of it) is kept equal to it, written only when the two
differ. The published names are a contract (docs/warehouse.md)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import delete, event, insert, select, update

from csc_complaints import measures
from csc_complaints.db import make_engine
from csc_complaints.settings import load_settings
from csc_complaints.warehouse import schema as wh
from csc_complaints.warehouse.build import timeliness_targets


def test_the_published_names_are_the_contracts():
    assert measures.HEADLINE_NAMES == (
        "complaints_received",
        "non_qualifying_received",
        "compliments_received",
        "comments_received",
        "stage1_received",
        "stage2_received",
        "stage3_received",
        "stage1_decisions",
        "stage2_decisions",
        "stage3_decisions",
        "ombudsman_referred",
        "ombudsman_determined",
        "ombudsman_maladministration",
        "learning_actions_agreed",
    )
    assert [m.name for m in measures.TIMELINESS_MEASURES] == [
        "stage1_within_10wd",
        "stage1_within_20wd",
        "stage2_within_25wd",
        "stage2_within_65wd",
        "stage3_panel_within_30wd",
        "stage3_panel_report_within_5wd",
        "stage3_director_within_15wd",
    ]
    measures.check_registry()


def test_the_targets_are_the_settings_the_registry_names():
    settings = load_settings({})
    assert timeliness_targets(settings) == {
        "stage1_target_wd": 10,
        "stage1_extended_wd": 20,
        "stage2_target_wd": 25,
        "stage2_extended_wd": 65,
        "stage3_panel_wd": 30,
        "stage3_panel_report_wd": 5,
        "stage3_director_wd": 15,
    }
    unknown = dataclasses.replace(measures.TIMELINESS_MEASURES[0], target_setting="stage9_wd")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(measures, "TIMELINESS_MEASURES", (unknown,))
        with pytest.raises(measures.MeasureRegistryError, match="stage1_within_10wd: its target"):
            timeliness_targets(settings)


def _with(**changes) -> tuple[measures.TimelinessMeasure, ...]:
    """The registry with stage1_within_20wd changed."""
    return tuple(
        dataclasses.replace(m, **changes) if m.name == "stage1_within_20wd" else m
        for m in measures.TIMELINESS_MEASURES
    )


@pytest.mark.parametrize(
    ("timeliness", "message"),
    [
        (_with(name="stage1_within_10wd"), "names used twice: stage1_within_10wd"),
        (_with(name="stage1_decisions"), "names used twice: stage1_decisions"),
        (_with(stage=4), "stage 4 is not 1, 2 or 3"),
        (_with(end_date="closed_date"), "'closed_date' is not a stage row's date"),
        (_with(decisions_measure="stage1_answers"), "'stage1_answers' is not a headline"),
        (_with(extends="stage2_within_25wd"), "not a timeliness measure of the same stage"),
        (_with(extends="stage1_within_99wd"), "not a timeliness measure of the same stage"),
    ],
)
def test_a_registry_that_contradicts_itself_is_refused_naming_the_measure(
    monkeypatch, timeliness, message
):
    monkeypatch.setattr(measures, "TIMELINESS_MEASURES", timeliness)
    with pytest.raises(measures.MeasureRegistryError, match=message):
        measures.check_registry()


@pytest.fixture
def warehouse(new_database):
    engine = make_engine(new_database())
    yield engine
    engine.dispose()


def _dim_measure(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(wh.dim_measure).order_by(wh.dim_measure.c.measure))
        return [dict(row._mapping) for row in rows]


def test_dim_measure_is_the_registry_and_is_written_only_when_it_differs(warehouse):
    wh.create_warehouse_schema(warehouse)
    registry = sorted(wh.measure_rows(), key=lambda row: row["measure"])
    assert _dim_measure(warehouse) == registry
    assert len(registry) == len(measures.HEADLINE_MEASURES) + len(measures.TIMELINESS_MEASURES)

    written = []

    def record(conn, cursor, statement, *args):
        code = " ".join(line for line in statement.splitlines() if not line.startswith("--"))
        writes = code.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        if writes and "dim_measure" in code:
            written.append(statement)

    event.listen(warehouse, "before_cursor_execute", record)
    wh.create_warehouse_schema(warehouse)  # already equal: nothing written
    assert written == []

    # Edited, deleted or stray rows are put back as the registry has them.
    with warehouse.begin() as conn:
        conn.execute(
            update(wh.dim_measure)
            .where(wh.dim_measure.c.measure == "stage2_within_65wd")
            .values(extends_measure=None, stage=3)
        )
        conn.execute(delete(wh.dim_measure).where(wh.dim_measure.c.measure == "comments_received"))
        conn.execute(insert(wh.dim_measure).values(measure="retired", stats_table="stats_issues"))
    written.clear()
    wh.create_warehouse_schema(warehouse)
    assert len(written) == 2, "the stray row deleted, the others upserted"
    assert _dim_measure(warehouse) == registry


def test_a_measure_fact_stages_counts_no_duration_for_is_refused_when_the_schema_is_created(
    warehouse, monkeypatch
):
    monkeypatch.setattr(
        measures,
        "TIMELINESS_MEASURES",
        _with(start_date="requested_date", end_date="panel_date", extends=None),
    )
    wh.create_warehouse_schema(warehouse)  # requested -> panel is a duration fact_stages counts
    monkeypatch.setattr(
        measures,
        "TIMELINESS_MEASURES",
        _with(start_date="requested_date", end_date="panel_report_date", extends=None),
    )
    with pytest.raises(
        measures.MeasureRegistryError,
        match="stage1_within_20wd: fact_stages counts no working days from requested_date to "
        "panel_report_date",
    ):
        wh.create_warehouse_schema(warehouse)
