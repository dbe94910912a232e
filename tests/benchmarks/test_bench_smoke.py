"""``make bench`` at a tiny size, and the judging of its goals (docs/benchmarks.md).

Not a timed test: no number is compared with a goal here. The smoke run checks that every phase
ran and measured a number, that the pipeline it timed did its work (every year built and
reconciled, the incremental extract wrote the rows that changed, the report was written), and
that each goal's verdict is the one its own measured numbers give. The goals' arithmetic is
checked on its own with made-up numbers either side of every threshold.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.run import (
    FIRST_YEAR,
    GOAL_DAG_PARSE_SECONDS,
    GOAL_DAILY_SHARE,
    GOAL_FLOOR_RATIO,
    GOAL_FULL_SECONDS,
    GOAL_INCREMENTAL_SHARE,
    GOAL_PEAK_RSS_MB,
    GOAL_PIPELINE_FLOOR_RATIO,
    GOAL_REPORT_SECONDS,
    GOAL_RSS_GROWTH,
    GX_OVERHEAD_COMPLAINTS,
    REPORT_YEAR,
    YEARS,
    BenchConfig,
    evaluate_goals,
    format_table,
    run_benchmarks,
)
from csc_complaints.dates import FinancialYear
from tests.dags.test_dag_integrity import EXPECTED_DAG_IDS

STEPS = {"extract", "row_checks", "build", "reconciliation"}
FIRST = FinancialYear.parse(FIRST_YEAR)
DECADE = [FinancialYear(FIRST.start_year + n).label for n in range(YEARS)]  # to REPORT_YEAR


PIPELINE_GOAL = (
    f"full pipeline (row checks included) within {GOAL_PIPELINE_FLOOR_RATIO:g}x the COPY floor"
)


def _is_seconds(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _verdicts(results: dict) -> dict[str, bool | None]:
    """Each goal's verdict, worked out again from the measured numbers."""
    full, small = results["full_rebuild"], results["small_rebuild"]
    incremental, report = results["incremental"], results["report"]
    parses = results["dag_parse_seconds"].values()
    return {
        f"full rebuild under {GOAL_FULL_SECONDS:.0f} s": full["seconds"] < GOAL_FULL_SECONDS,
        f"full rebuild within {GOAL_FLOOR_RATIO:g}x the COPY floor": (
            full["seconds"] <= GOAL_FLOOR_RATIO * full["copy_floor_seconds"]
        ),
        f"incremental under {GOAL_INCREMENTAL_SHARE:.0%} of the full extract": (
            incremental["seconds"] < GOAL_INCREMENTAL_SHARE * incremental["full_extract_seconds"]
        ),
        f"report under {GOAL_REPORT_SECONDS:g} s": report["seconds"] < GOAL_REPORT_SECONDS,
        f"every DAG file parses in under {GOAL_DAG_PARSE_SECONDS:g} s": all(
            value < GOAL_DAG_PARSE_SECONDS for value in parses
        ),
        f"peak RSS under {GOAL_PEAK_RSS_MB:.0f} MB": full["peak_rss_mb"] < GOAL_PEAK_RSS_MB,
        f"peak RSS at most {GOAL_RSS_GROWTH:g}x the small rebuild's": (
            full["peak_rss_mb"] <= GOAL_RSS_GROWTH * small["peak_rss_mb"]
        ),
        PIPELINE_GOAL: (
            full["pipeline_seconds"] <= GOAL_PIPELINE_FLOOR_RATIO * full["copy_floor_seconds"]
        ),
        f"daily cycle at most {GOAL_DAILY_SHARE:.0%} of the full pipeline": (
            results["daily_cycle"]["seconds"]
            <= GOAL_DAILY_SHARE * results["daily_cycle"]["full_pipeline_seconds"]
        ),
        "a change in one council's source rebuilds only that council": (
            results["many_councils"]["one_council_changed"]["rebuilt_councils"]
            == [results["many_councils"]["one_council_changed"]["changed_council"]]
        ),
        f"peak RSS of the many-council run under {GOAL_PEAK_RSS_MB:.0f} MB": max(
            results["many_councils"][k]["peak_rss_mb"]
            for k in ("full_build", "settling_day", "one_council_changed")
            if k in results["many_councils"]
        )
        < GOAL_PEAK_RSS_MB,
    }


@pytest.mark.postgres
def test_bench_runs_every_phase_and_writes_its_results(new_postgres_database, tmp_path):
    output = tmp_path / "results" / "latest.json"
    results = run_benchmarks(
        BenchConfig(
            complaints=300,
            small_complaints=200,
            repeats=1,
            councils=3,
            complaints_per_council=100,
        ),
        new_postgres_database,
        lambda url: None,  # the fixture drops its databases when the test ends
        output,
    )

    assert results["errors"] == {}
    assert DECADE[-1] == REPORT_YEAR
    assert json.loads(output.read_text(encoding="utf-8")) == json.loads(
        json.dumps(results, default=str)
    )
    for section, complaints in (("full_rebuild", 300), ("small_rebuild", 200)):
        rebuild = results[section]
        assert rebuild["complaints"] == complaints
        assert rebuild["source_rows"]["complaints"] == complaints
        for key in ("seconds", "pipeline_seconds", "copy_floor_seconds", "peak_rss_mb"):
            assert _is_seconds(rebuild[key]), (section, key)
        # Every step of the pipeline exists now: each is a measured number.
        assert set(rebuild["steps"]) == STEPS
        assert all(_is_seconds(value) for value in rebuild["steps"].values()), rebuild["steps"]
        # One run each (repeats=1), each figure rounded to the millisecond.
        assert rebuild["seconds"] == pytest.approx(
            sum(v for step, v in rebuild["steps"].items() if step != "row_checks"), abs=0.005
        )
        assert rebuild["pipeline_seconds"] >= rebuild["seconds"]
        # The floor copies what the extract reads: the same rows.
        assert rebuild["rows_copied_by_floor"] == rebuild["rows_extracted"]
        assert rebuild["fact_rows"]["fact_complaints"] > 0
        # The timed pipeline did the whole job: every year of the decade built (the generator
        # also writes a few days of the year after it), and clean synthetic data reconciles.
        assert set(DECADE) <= set(rebuild["financial_years"]), rebuild["financial_years"]
        assert rebuild["reconciliation_critical_failures"] == []

    # The daily chain after a mixed change: every step measured, the build incremental, the
    # rows broken on the first day corrected and new ones broken.
    daily = results["daily_cycle"]
    assert daily["changed_rows"] > 0
    assert set(daily["steps"]) == STEPS
    assert all(_is_seconds(v) for v in daily["steps"].values())
    assert daily["full_pipeline_seconds"] == pytest.approx(
        results["full_rebuild"]["pipeline_seconds"], abs=0.001
    )
    assert daily["build_mode"] == "incremental"
    assert daily["new_rejects"] > 0 and daily["resolved_rejects"] > 0
    # The row checks were incremental: they validated the rows the change touched, not all.
    assert daily["row_checks_mode"] == "incremental"
    assert 0 < daily["rows_checked"] < results["full_rebuild"]["rows_extracted"]
    assert set(daily["years_changed"]) <= set(daily["years_reconciled"])
    # GX's own cost per validation, at each size.
    assert set(results["gx_overhead"]) == {str(GX_OVERHEAD_COMPLAINTS), "200", "300"}
    for data in results["gx_overhead"].values():
        assert _is_seconds(data["validation_seconds"]) and _is_seconds(data["queries_once_seconds"])
        assert data["complaints_staged"] > 0

    # The shared service: every council built into one warehouse, then one council's change
    # rebuilds that council alone.
    many = results["many_councils"]
    assert many["councils"] == 3 and many["source_rows"]["complaints"] == 300
    full, day = many["full_build"], many["one_council_changed"]
    assert full["councils"] == day["councils"] == 3
    assert set(full["steps"]) == set(day["steps"]) == STEPS
    assert len(full["rebuilt_councils"]) == 3
    # The next day, nothing changed: at most the councils built before a later council's dates
    # added quarter ends to the shared calendar count their open cases at them, once.
    settling = many["settling_day"]
    assert settling["councils"] == 3 and set(settling["steps"]) == STEPS
    assert set(settling["rebuilt_councils"]) < set(full["rebuilt_councils"])
    assert day["changed_rows"] > 0
    assert day["rebuilt_councils"] == [day["changed_council"]]
    assert _is_seconds(full["peak_rss_mb"]) and _is_seconds(day["peak_rss_mb"])

    incremental = results["incremental"]
    assert incremental["changed_rows"] > 0
    assert incremental["rows_written"] == [incremental["changed_rows"]]
    assert _is_seconds(incremental["seconds"])
    assert incremental["full_extract_seconds"] == pytest.approx(
        results["full_rebuild"]["steps"]["extract"], abs=0.001
    )

    report = results["report"]
    assert _is_seconds(report["seconds"]), report
    assert any(name.endswith(".pdf") for name in report["files"])
    assert report["pdf_bytes"] > 0
    assert report["complaints_in_year"] > 0
    assert _is_seconds(report["at_small_size"]["seconds"])

    assert set(EXPECTED_DAG_IDS) <= set(results["dag_parse_seconds"])
    assert all(_is_seconds(v) for v in results["dag_parse_seconds"].values())

    # Every goal measured, and judged from the numbers above.
    verdicts = {goal["goal"]: goal["met"] for goal in results["goals"]}
    assert verdicts == _verdicts(results)

    table = format_table(results)
    assert "full_rebuild (300 complaints): seconds" in table
    assert "| goal | met | measured |" in table
    for goal in results["goals"]:
        assert f"| {goal['goal']} | {'yes' if goal['met'] else '**no**'} |" in table


def _made_up(
    full: float = 10.0,
    floor: float = 5.0,
    incremental: float = 0.01,
    full_extract: float = 2.0,
    report: float | None = 1.0,
    parse: float = 0.02,
    rss: float = 200.0,
    small_rss: float = 180.0,
    daily: float = 0.2,
    pipeline: float | None = None,
    rebuilt: tuple[str, ...] = ("E99000002",),
    councils_rss: float = 300.0,
) -> dict:
    """A results dict with just what the goals read."""
    return {
        "full_rebuild": {
            "seconds": full,
            "pipeline_seconds": pipeline or full + 1.0,
            "copy_floor_seconds": floor,
            "peak_rss_mb": rss,
            "steps": {"reconciliation": 1.0},
        },
        "small_rebuild": {"peak_rss_mb": small_rss},
        "incremental": {"seconds": incremental, "full_extract_seconds": full_extract},
        "report": {"seconds": report} if report is not None else {"error": "it failed"},
        "dag_parse_seconds": {"complaints_extract": parse, "complaints_warehouse": 0.01},
        "daily_cycle": {"seconds": daily, "full_pipeline_seconds": pipeline or full + 1.0},
        "many_councils": {
            "councils": 3,
            "full_build": {"peak_rss_mb": councils_rss},
            "one_council_changed": {
                "peak_rss_mb": councils_rss,
                "changed_council": "E99000002",
                "changed_rows": 7,
                "rebuilt_councils": list(rebuilt),
            },
        },
    }


def _met(results: dict) -> list[bool | None]:
    return [goal["met"] for goal in evaluate_goals(results)]


def test_goals_are_met_by_numbers_inside_every_threshold():
    assert _met(_made_up()) == [True] * 11


@pytest.mark.parametrize(
    ("numbers", "goal"),
    [
        ({"full": GOAL_FULL_SECONDS + 1, "floor": 100.0}, 0),
        ({"full": 10.0, "floor": 10.0 / (GOAL_FLOOR_RATIO + 0.1)}, 1),
        ({"incremental": GOAL_INCREMENTAL_SHARE * 2.0, "full_extract": 2.0}, 2),
        ({"report": GOAL_REPORT_SECONDS}, 3),
        ({"parse": GOAL_DAG_PARSE_SECONDS}, 4),
        ({"rss": GOAL_PEAK_RSS_MB, "small_rss": GOAL_PEAK_RSS_MB}, 5),
        ({"rss": 100.0 * GOAL_RSS_GROWTH + 1, "small_rss": 100.0}, 6),
        ({"pipeline": 5.0 * GOAL_PIPELINE_FLOOR_RATIO + 0.1}, 7),
        ({"daily": GOAL_DAILY_SHARE * 11.0 + 0.01}, 8),
        ({"rebuilt": ("E99000001", "E99000002")}, 9),
        ({"rebuilt": ()}, 9),
        ({"councils_rss": GOAL_PEAK_RSS_MB}, 10),
    ],
)
def test_a_number_past_its_threshold_fails_that_goal_alone(numbers, goal):
    met = _met(_made_up(**numbers))
    assert met[goal] is False, met
    assert met[:goal] + met[goal + 1 :] == [True] * 10, met


def test_a_goal_that_was_not_measured_is_neither_met_nor_failed():
    results = _made_up()
    results["report"] = {"error": "ValueError: it failed"}
    results["incremental"] = {"error": "not measured: the full rebuild failed"}
    assert _met(results) == [True, True, None, None, True, True, True, True, True, True, True]
