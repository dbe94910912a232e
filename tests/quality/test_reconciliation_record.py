"""The warehouse, not the output folder, knows which years are reconciled.

Each year's reconciliation (every DQ and RC result, the run, the time and the fingerprint of the
stats it checked) is recorded in ``dq_reconciliations``/``dq_reconciliation_results``;
``reconciliation.json`` is written from that record and written again from it when missing or
stale. A year whose stats changed, or whose result was never alerted, stays owed a
reconciliation until a run does it, however the run before ended (docs/quality.md).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from csc_complaints.quality import run_reconciliation, send_alerts
from csc_complaints.quality.reconciliation import owed_years
from csc_complaints.quality.reconciliation_record import load_recorded_years
from csc_complaints.quality.suites import DQ_SUITE, RC_SUITE, load_rules
from csc_complaints.quality.tables import dq_reconciliation_results, dq_reconciliations
from csc_complaints.report.build import check_year_ready
from csc_complaints.warehouse.schema import etl_year_builds
from tests.quality.dataset import execute
from tests.quality.test_reconciliation import CORRUPTIONS

COUNCIL = "E06000005"
AFTER_THE_YEAR = datetime(2020, 9, 2, 9, 0, tzinfo=UTC)
RESTATE_2019_20 = (
    "UPDATE feedback SET kind = 'compliment', updated_at = '2020-10-01 10:00:00.000000'"
    " WHERE feedback_id = 202"
)


def _alert(p, result, smtp=None, recipients=(), webhook=None):
    """The alert step of the warehouse DAG (no channel is needed while nothing fails)."""
    return send_alerts(
        result, "complaints_warehouse", result.run_id, smtp, list(recipients), webhook, p.warehouse
    )


def _reconciled_and_alerted(p):
    p.extract("extract-1")
    p.row_checks("extract-1")
    build = p.build("warehouse-1")
    result = p.reconcile("warehouse-1", build.changed_years)
    _alert(p, result)
    return build, result


def test_every_result_is_recorded_with_the_fingerprint_of_the_stats_it_checked(pipeline):
    p = pipeline()
    build, result = _reconciled_and_alerted(p)
    assert set(result.years) == set(build.financial_years) == {"2019/20"}

    with p.warehouse.connect() as conn:
        recorded = conn.execute(select(dq_reconciliations)).mappings().all()
        built = dict(
            conn.execute(
                select(etl_year_builds.c.financial_year, etl_year_builds.c.fingerprint)
            ).all()
        )
        rules = conn.execute(
            select(dq_reconciliation_results.c.rule_code).order_by(
                dq_reconciliation_results.c.position
            )
        ).scalars()
        codes = list(rules)
    assert [(r["financial_year"], r["run_id"]) for r in recorded] == [("2019/20", "warehouse-1")]
    assert recorded[0]["stats_fingerprint"] == built["2019/20"]
    assert recorded[0]["reported_at"] is not None  # the alert step dealt with it
    written = json.loads((p.output / "2019-20" / "reconciliation.json").read_text())
    assert codes == [rule["code"] for rule in written["rules"]]
    assert len(codes) == len(load_rules(DQ_SUITE)) + len(load_rules(RC_SUITE))
    assert owed_years(p.warehouse, COUNCIL) == []


def test_a_fresh_output_folder_gets_the_reconciliation_from_the_warehouse(pipeline, tmp_path):
    """Issue 11.2: the next run into a new folder changes nothing and so checks no year; it
    writes each year's reconciliation.json from the warehouse, and the report is ready."""
    p = pipeline()
    _reconciled_and_alerted(p)
    first = (p.output / "2019-20" / "reconciliation.json").read_bytes()

    fresh = tmp_path / "fresh-output"
    build = p.build("warehouse-2")
    assert build.changed_years == ()
    result = run_reconciliation(p.warehouse, p.settings, "warehouse-2", build.changed_years, fresh)
    assert result.years == {}
    assert result.rewritten == {"2019/20": fresh / "2019-20" / "reconciliation.json"}
    assert "2019-20/reconciliation.json written again from the warehouse" in result.summary()
    assert (fresh / "2019-20" / "reconciliation.json").read_bytes() == first

    # The report's readiness check into yet another empty folder: ready, file written.
    other = tmp_path / "report-only"
    readiness = check_year_ready(p.warehouse, p.settings, "2019/20", other, AFTER_THE_YEAR)
    assert readiness.ready, readiness.problems
    assert (other / "2019-20" / "reconciliation.json").read_bytes() == first
    assert readiness.reconciliation.generated_at is not None


def test_a_missing_or_altered_file_is_written_again_from_the_warehouse(pipeline):
    p = pipeline()
    execute(p.source, "UPDATE complaint_stages SET outcome = NULL WHERE stage_id = 101")  # DQ05
    _reconciled_and_alerted(p)
    path = p.output / "2019-20" / "reconciliation.json"
    first = path.read_bytes()
    assert json.loads(first)["rejected_rows_by_rule"] == {"DQ05": 1}

    path.unlink()
    readiness = check_year_ready(p.warehouse, p.settings, "2019/20", p.output, AFTER_THE_YEAR)
    assert readiness.ready, readiness.problems
    assert path.read_bytes() == first
    assert readiness.sign_off_blockers == ("1 rejected row under DQ05",)

    # Edited by hand to look clean: the warehouse's record wins, the year stays blocked.
    data = json.loads(first)
    data["rejected_rows_by_rule"] = {}
    data["rules"] = [{**rule, "passed": True} for rule in data["rules"]]
    path.write_text(json.dumps(data))
    readiness = check_year_ready(p.warehouse, p.settings, "2019/20", p.output, AFTER_THE_YEAR)
    assert readiness.sign_off_blockers == ("1 rejected row under DQ05",)
    assert path.read_bytes() == first


def test_a_build_that_stopped_before_reconciling_leaves_the_year_owed(pipeline, smtp_server):
    """Issue 11.3 without a process to kill: a build replaced 2019/20's stats (a published
    year) and the run ended there. The next build changes nothing, yet its reconciliation
    checks 2019/20, RC07 warns once, and the year is ready again."""
    smtp, inbox = smtp_server
    p = pipeline()
    _reconciled_and_alerted(p)
    from csc_complaints.quality import record_published_figures

    record_published_figures(p.warehouse, COUNCIL, "2019/20", run_id="report-1")
    execute(p.source, RESTATE_2019_20)
    p.extract("extract-2", now=datetime(2020, 10, 2, 8, 0))
    assert p.build("warehouse-2").changed_years == ("2019/20",)
    # ... killed here: no reconciliation, no alert.
    assert owed_years(p.warehouse, COUNCIL) == ["2019/20"]
    stale = check_year_ready(p.warehouse, p.settings, "2019/20", p.output, AFTER_THE_YEAR)
    assert any("older than the last change to the 2019/20 stats" in x for x in stale.problems)

    rerun = p.build("warehouse-3")
    assert rerun.changed_years == ()
    result = p.reconcile("warehouse-3", rerun.changed_years)
    assert list(result.years) == ["2019/20"]
    assert [(y, r.code) for y, r in result.warnings] == [("2019/20", "RC07")]
    assert _alert(p, result, smtp, ["duty@council.example"]).reported == ["2019/20 RC07"]
    assert owed_years(p.warehouse, COUNCIL) == []
    ready = check_year_ready(p.warehouse, p.settings, "2019/20", p.output, AFTER_THE_YEAR)
    assert ready.ready, ready.problems

    # Nothing owed any more: the next run checks nothing and sends nothing.
    again = p.reconcile("warehouse-4", p.build("warehouse-4").changed_years)
    assert again.years == {}
    assert not _alert(p, again, smtp, ["duty@council.example"]).sent
    assert len(inbox.messages) == 1 and "RC07" in inbox.messages[0][1]["Subject"]


def test_a_result_never_alerted_is_reconciled_and_alerted_by_the_next_run(pipeline, smtp_server):
    """Killed between recording the reconciliation and alerting: the year stays owed until the
    alert step has dealt with it."""
    smtp, inbox = smtp_server
    p = pipeline()
    p.extract("extract-1")
    p.row_checks("extract-1")
    build = p.build("warehouse-1")
    execute(p.warehouse, *CORRUPTIONS["RC02"])  # a faulty build: RC02 fails
    p.reconcile("warehouse-1", build.changed_years)
    # ... killed here, before the alert.
    assert owed_years(p.warehouse, COUNCIL) == ["2019/20"]
    recorded = load_recorded_years(p.warehouse, COUNCIL)["2019/20"]
    assert recorded.reported_at is None
    assert [r.code for r in recorded.rules if not r.passed] == ["RC02"]

    result = p.reconcile("warehouse-2", ())
    assert [(y, r.code) for y, r in result.critical_failures] == [("2019/20", "RC02")]
    assert _alert(p, result, smtp, ["duty@council.example"]).reported == ["2019/20 RC02"]
    assert owed_years(p.warehouse, COUNCIL) == []
    assert len(inbox.messages) == 1


def test_an_emptied_year_is_reconciled_once_more(pipeline):
    """A year whose every row was deleted: its record described stats it no longer holds, so
    it is checked once (RC07 would see a published year vanish), then it is settled."""
    p = pipeline()
    _reconciled_and_alerted(p)
    execute(
        p.source,
        "UPDATE complaints SET deleted_at = '2020-10-01 09:00:00',"
        " updated_at = '2020-10-01 10:00:00' WHERE complaint_id BETWEEN 1 AND 6",
    )
    execute(
        p.source,
        "UPDATE feedback SET deleted_at = '2020-10-01 09:00:00',"
        " updated_at = '2020-10-01 10:00:00'",
    )
    execute(
        p.source,
        "UPDATE ombudsman_cases SET deleted_at = '2020-10-01 09:00:00',"
        " updated_at = '2020-10-01 10:00:00'",
    )
    p.extract("extract-2", now=datetime(2020, 10, 2, 8, 0))
    build = p.build("warehouse-2")
    assert build.removed_years == ("2019/20",)
    assert owed_years(p.warehouse, COUNCIL) == ["2019/20"]
    result = p.reconcile("warehouse-2", build.changed_years)
    assert list(result.years) == ["2019/20"]
    _alert(p, result)
    assert load_recorded_years(p.warehouse, COUNCIL)["2019/20"].stats_fingerprint is None
    assert owed_years(p.warehouse, COUNCIL) == []


def test_a_row_rejected_later_reopens_its_year_though_no_figure_moves(pipeline):
    """A late complaint of 2019/20 that breaks DQ04 is held back whole: no figure changes, so
    the build changes no year. The year's DQ verdict did change: it is owed a reconciliation,
    the report is not ready until it is done, and then it stays a DRAFT."""
    p = pipeline()
    _reconciled_and_alerted(p)
    execute(
        p.source,
        "INSERT INTO complaints (complaint_id, reference, complainant_id, received_date,"
        " qualifying, issue, channel, summary, updated_at, deleted_at) VALUES (10,"
        " 'CSC-2019-0010', 1, '2019-06-03', 1, 'communication', 'email', 'x',"
        " '2020-10-01 10:00:00', NULL)",
        "INSERT INTO complaint_stages (stage_id, complaint_id, stage, team_id, requested_date,"
        " extension_agreed, response_date, outcome, updated_at, deleted_at) VALUES (115, 10, 1,"
        " 1, '2019-06-03', 0, '2019-06-01', 'upheld', '2020-10-01 10:00:00', NULL)",
    )
    p.extract("extract-2", now=datetime(2020, 10, 2, 8, 0))
    assert [r.code for r in p.row_checks("extract-2").failed_rules] == ["DQ04"]
    build = p.build("warehouse-2")
    assert build.changed_years == ()
    assert owed_years(p.warehouse, COUNCIL) == ["2019/20"]
    stale = check_year_ready(p.warehouse, p.settings, "2019/20", p.output, AFTER_THE_YEAR)
    assert any("rejected or released after its reconciliation" in x for x in stale.problems)

    result = p.reconcile("warehouse-2", build.changed_years)
    assert list(result.years) == ["2019/20"]
    assert result.years["2019/20"].rejected_counts == {"DQ04": 1}
    _alert(p, result)
    assert owed_years(p.warehouse, COUNCIL) == []
    readiness = check_year_ready(p.warehouse, p.settings, "2019/20", p.output, AFTER_THE_YEAR)
    assert readiness.ready, readiness.problems
    assert readiness.sign_off_blockers == ("1 rejected row under DQ04",)
