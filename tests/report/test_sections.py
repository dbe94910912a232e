"""The report's sections, built straight from figures (no warehouse): their shape, and that every
measure of the registry has its words."""

from __future__ import annotations

import pytest

from csc_complaints.dates import FinancialYear
from csc_complaints.measures import TIMELINESS_MEASURES
from csc_complaints.report.document import Bullets, Heading, Table
from csc_complaints.report.figures import TeamCount, YearFigures
from csc_complaints.report.reconciliation import Reconciliation
from csc_complaints.report.sections import SECTIONS, build_document
from csc_complaints.report.sections.context import ReportContext
from csc_complaints.report.sections.performance import performance_against_the_procedure
from csc_complaints.report.sections.recommendations import further_recommendations
from csc_complaints.report.wording import wording

YEAR = FinancialYear(2019)


def _figures(year: FinancialYear, responses: int, within: int) -> YearFigures:
    """A year in which every timeliness measure of the registry has ``within`` of
    ``responses`` in time, with a few complaints, teams and issues."""
    return YearFigures(
        year=year,
        present=True,
        headlines={"complaints_received": 12, "stage1_received": 12, "stage2_received": 3},
        received={
            1: [TeamCount("Area A", "Team One", 12)],
            2: [TeamCount("Area A", "Team One", 3)],
        },
        issues={"communication": ("Communication", 12)},
        timeliness={m.name: (responses, within) for m in TIMELINESS_MEASURES},
    )


@pytest.fixture
def report(tmp_path, settings) -> ReportContext:
    reconciliation = Reconciliation(path=tmp_path / "reconciliation.json", available=False)
    return ReportContext(
        _figures(YEAR, 40, 10), _figures(YEAR.prior, 20, 19), settings, reconciliation
    )


def test_each_section_opens_with_its_own_listed_heading(report):
    blocks = []
    for section in SECTIONS:
        own = section(report)
        assert isinstance(own[0], Heading) and own[0].level == 1 and own[0].toc, section
        assert not [b for b in own[1:] if isinstance(b, Heading) and b.level == 1], section
        blocks += own
    document = build_document(report.current, report.prior, report.settings, report.reconciliation)
    assert document.blocks == blocks


def test_every_timeliness_measure_of_the_registry_is_in_the_timescales_table(report):
    [table] = [b for b in performance_against_the_procedure(report) if isinstance(b, Table)]
    assert [row.cells[0] for row in table.rows] == [m.label for m in TIMELINESS_MEASURES]
    for measure, row in zip(TIMELINESS_MEASURES, table.rows, strict=True):
        target = getattr(report.settings, measure.target_setting)
        assert row.cells[1:] == (f"{target} working days", "40", "10", "25.0%", "95.0%")


def test_every_stage3_measure_of_the_registry_has_a_target_and_a_sentence(report):
    blocks = performance_against_the_procedure(report)
    stage3 = blocks[blocks.index(Heading(3, "Stage 3")) + 1]
    assert isinstance(stage3, Bullets)
    assert len(stage3.items) == len([m for m in TIMELINESS_MEASURES if m.stage == 3])
    for item in stage3.items:
        assert ", 10 (25.0%) were " in item
        assert item.endswith("a decrease in performance from 95.0% in 2018/19.")


def test_a_recommendation_for_each_longest_timescale_below_the_threshold(report):
    texts = [b.text for b in further_recommendations(report)[1:]]
    labels = [m.recommendation_label for m in TIMELINESS_MEASURES if m.recommendation_label]
    assert len(texts) == len(labels) + len(report.settings.recommendations_for("2019/20"))
    for label, text in zip(labels, texts, strict=False):
        assert f"the {label} timescale" in text


def test_a_measure_without_wording_is_named_in_the_error():
    with pytest.raises(LookupError, match=r"sections/performance\.j2 .*'stage4_within_9wd'"):
        wording("sections/performance").text("how", "stage4_within_9wd", 9)


def test_learning_in_the_order_the_council_recorded_it(report):
    """As the demo dataset has it: Safeguarding Team D's action was agreed first but recorded
    after Life Stages' and Team A's, so it comes after them, as in the seed."""
    from dataclasses import replace

    from csc_complaints.report.document import Texts
    from csc_complaints.report.figures import LearningAction
    from csc_complaints.report.sections.learning import organisational_learning

    actions = [
        LearningAction("Safeguarding", "Safeguarding Team D", "2019-05-14", "D1", 8),
        LearningAction("Safeguarding & LATC", "Life Stages 0 - 25", "2019-07-02", "L1", 1),
        LearningAction("Safeguarding", "Safeguarding Team A", "2019-08-23", "A1", 6),
        LearningAction("Safeguarding & LATC", "Life Stages 0 - 25", "2019-09-11", "L2", 4),
        LearningAction("Early Intervention", "Keeping Families Together", "2020-02-13", "K1", 10),
    ]
    blocks = organisational_learning(
        replace(report, current=replace(report.current, learning=actions))
    )
    teams = [b.text for b in blocks[1:] if isinstance(b, Heading)]
    assert teams == [
        "Life Stages 0 - 25",
        "Safeguarding Team A",
        "Safeguarding Team D",
        "Keeping Families Together",
    ]
    assert [b.items for b in blocks if isinstance(b, Texts)][0] == ("L1", "L2")
