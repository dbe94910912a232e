"""``make bench`` at a tiny size: every code path runs and the results have their shape.

Not a timed test: the numbers are not checked, only that each is a measured number (or a
stated reason why it is not) and that the goals are evaluated from them.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.run import BenchConfig, format_table, run_benchmarks
from csc_complaints.settings import PROJECT_ROOT

DAG_FILES = sorted(p for p in (PROJECT_ROOT / "dags").glob("*.py") if not p.name.startswith("_"))


def _is_seconds(value) -> bool:
    return isinstance(value, int | float) and value >= 0


@pytest.mark.postgres
def test_bench_runs_every_phase_and_writes_its_results(new_postgres_database, tmp_path):
    output = tmp_path / "results" / "latest.json"
    results = run_benchmarks(
        BenchConfig(complaints=300, small_complaints=200, repeats=1),
        new_postgres_database,
        lambda url: None,  # the fixture drops its databases when the test ends
        output,
    )

    assert results["errors"] == {}
    assert json.loads(output.read_text(encoding="utf-8")) == json.loads(
        json.dumps(results, default=str)
    )
    for section, complaints in (("full_rebuild", 300), ("small_rebuild", 200)):
        rebuild = results[section]
        assert rebuild["complaints"] == complaints
        assert rebuild["source_rows"]["complaints"] == complaints
        for key in ("seconds", "pipeline_seconds", "copy_floor_seconds", "peak_rss_mb"):
            assert _is_seconds(rebuild[key]), (section, key)
        assert set(rebuild["steps"]) == {"extract", "row_checks", "build", "reconciliation"}
        assert all(_is_seconds(v) or "not_measured" in v for v in rebuild["steps"].values())
        assert rebuild["pipeline_seconds"] >= rebuild["seconds"]
        # The floor copies what the extract reads: the same rows.
        assert rebuild["rows_copied_by_floor"] == rebuild["rows_extracted"]
        assert rebuild["fact_rows"]["fact_complaints"] > 0

    incremental = results["incremental"]
    assert incremental["changed_rows"] > 0
    assert incremental["rows_written"] == [incremental["changed_rows"]]
    assert _is_seconds(incremental["seconds"])
    assert incremental["full_extract_seconds"] == results["full_rebuild"]["steps"]["extract"]

    report = results["report"]
    assert _is_seconds(report["seconds"]) or report["not_measured"].startswith("not measured")
    if report["seconds"] is not None:
        assert any(name.endswith(".pdf") for name in report["files"])
        assert report["complaints_in_year"] > 0
        assert _is_seconds(report["at_small_size"]["seconds"])

    dag_ids = set(results["dag_parse_seconds"])
    assert len(dag_ids) >= len(DAG_FILES)
    assert all(_is_seconds(v) for v in results["dag_parse_seconds"].values())

    assert len(results["goals"]) == 7
    assert all(goal["met"] in (True, False, None) for goal in results["goals"])
    table = format_table(results)
    assert "full_rebuild (300 complaints): seconds" in table
    assert "| goal | met | measured |" in table
