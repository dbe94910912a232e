"""The Complaints page's status logic on warehouses the real pipeline built (SQLite and PostgreSQL).

The years' states come from the pipeline's own records (stats builds, rejected rows,
reconciliations, published figures, the report files); what Airflow knows about the report's
sign-off is handed in as ``ReportRun`` records, as the plugin reads them from Airflow.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from csc_complaints.db import make_engine
from csc_complaints.quality.suites import RC_SUITE, load_rules
from csc_complaints.status import (
    Council,
    ReportRun,
    age_text,
    council_status,
    list_councils,
    warehouse_status,
)
from csc_complaints.status_app import render_page
from csc_complaints.status_links import resolve_output_file
from tests.status_warehouse import (
    CANARY,
    DRAFT,
    NO_DATA,
    NOT_BUILT,
    PUBLISH_RUNS,
    REJECTED,
    RESTATED,
    SIGNED_OFF,
    build_status_warehouse,
    registry_of,
)


@pytest.fixture
def built(new_database, new_sqlite_database, tmp_path):
    """The pipeline's warehouse (SQLite or PostgreSQL) with a year in every state."""
    built = build_status_warehouse(new_database(), new_sqlite_database(), tmp_path / "output")
    built.engine = make_engine(built.warehouse_url)
    yield built
    built.engine.dispose()


def _by_year(statuses) -> dict:
    return {s.financial_year: s for s in statuses}


def test_each_year_shows_its_state_from_the_pipelines_records(built):
    before = datetime.now(UTC)
    statuses = warehouse_status(built.engine, registry_of(built.settings))
    years = _by_year(statuses)
    code = built.settings.council_code
    assert {s.council_code for s in statuses} == {code}
    assert {year: s.state for year, s in years.items()}.items() >= {
        RESTATED: "restated",
        SIGNED_OFF: "signed_off",
        REJECTED: "draft",
        DRAFT: "draft",
        NOT_BUILT: "not_built",
        NO_DATA: "no_data",
    }.items()
    # Newest year first, one entry per year.
    assert [s.financial_year for s in statuses] == sorted(years, reverse=True)

    # Restated: RC07 failed with the published and the current figure; published, not by whom.
    restated = years[RESTATED]
    rc07 = next(rule for rule in restated.rules if rule["code"] == "RC07")
    assert rc07["passed"] is False and rc07["discrepancies"] >= 1
    assert rc07["expected"] is not None and rc07["expected"] != rc07["observed"]
    assert restated.published_at is not None and restated.signed_off_by is None
    assert "RC07" in restated.summary and "no record of who signed it off" in restated.summary
    assert [rule["code"] for rule in restated.rules] == [r.code for r in load_rules(RC_SUITE)]

    signed = years[SIGNED_OFF]
    assert signed.published_at is not None and signed.signed_off_at == signed.published_at
    assert all(rule["passed"] for rule in signed.rules)

    # The rejected row, as the complaints team looks it up: reference, table, key, rule, message.
    rejected = years[REJECTED]
    assert rejected.rejected_rows == [
        {
            "rule": "DQ04",
            "reference": built.rejected_reference,
            "table": "complaint_stages",
            "key": str(built.rejected_stage_id),
            "message": rejected.rejected_rows[0]["message"],
        }
    ]
    assert "before requested_date" in rejected.rejected_rows[0]["message"]
    assert rejected.sign_off_blockers == ["1 rejected row under DQ04"]
    assert "cannot be signed off" in rejected.summary
    assert years[DRAFT].rejected_rows == [] and years[DRAFT].sign_off_blockers == []
    assert years[DRAFT].draft_built_at is not None
    assert "not yet sent for sign-off" in years[DRAFT].summary
    assert years[NO_DATA].rules == [] and years[NO_DATA].links == []

    # The last successful extract: the pipeline's latest run, a moment ago.
    extract = years[DRAFT].last_extract
    assert extract["run_id"] == built.extract_run_ids[-1]
    finished = datetime.fromisoformat(extract["finished_at"])
    assert before - timedelta(minutes=30) < finished <= datetime.now(UTC)
    assert extract["href"].startswith("../dags/complaints_extract/runs/")

    # Links: the runs, the Data Docs page and the output files, each served from the output.
    labels = {link.label: link.href for link in years[REJECTED].links}
    assert {"Reconciliation run", "Data Docs", "Report (PDF)", "Report (HTML)"} <= set(labels)
    assert labels["Report (PDF)"] == f"files/{code}/2017-18/annual-report-2017-18.pdf"
    council = Council(code, None, built.settings.output_path)
    for href in (labels["Report (PDF)"], labels["Data Docs"], labels["reconciliation.json"]):
        relative = href.removeprefix(f"files/{code}/")
        assert resolve_output_file(council, relative) is not None, href
    signed_links = {link.label: link.href for link in signed.links}
    assert signed_links["Report run"].endswith("scheduled__2017-04-15T05%3A00%3A00%2B00%3A00")

    # No personal data anywhere in what the page and the API show.
    everything = json.dumps([s.as_json() for s in statuses]) + render_page(statuses, before)
    assert CANARY not in everything and CANARY.lower() not in everything


def test_the_sign_off_airflow_recorded_decides_awaiting_and_by_whom(built):
    code = built.settings.council_code
    asked = datetime(2026, 4, 15, 5, 0, tzinfo=UTC)
    answered = datetime(2026, 4, 20, 14, 30, tzinfo=UTC)
    runs = [
        # 2018/19's run waits for the Complaints Manager.
        ReportRun(code, DRAFT, "backfill__2019-03-31", "running", asked, "waiting", asked),
        # 2016/17 was approved by a person in the run that published it.
        ReportRun(
            code,
            SIGNED_OFF,
            PUBLISH_RUNS[SIGNED_OFF],
            "success",
            asked,
            "approved",
            asked,
            answered,
            "complaints_manager",
        ),  # fmt: skip
        # 2017/18's sign-off was rejected.
        ReportRun(
            code,
            REJECTED,
            "manual__2026-04-16",
            "success",
            asked,
            "rejected",
            asked,
            answered,
            "complaints_manager",
        ),  # fmt: skip
        # Another council's run changes nothing here.
        ReportRun("E09000001", NOT_BUILT, "manual__other", "running", asked, "waiting", asked),
    ]
    years = _by_year(warehouse_status(built.engine, registry_of(built.settings), runs))
    assert years[DRAFT].state == "awaiting_sign_off" and years[DRAFT].since == asked
    assert "15 April 2026 05:00 UTC" in years[DRAFT].summary
    assert years[SIGNED_OFF].state == "signed_off"
    assert years[SIGNED_OFF].signed_off_by == "complaints_manager"
    assert years[SIGNED_OFF].signed_off_at == answered
    assert (
        "signed off by complaints_manager on 20 April 2026 14:30 UTC" in years[SIGNED_OFF].summary
    )
    assert years[REJECTED].state == "draft"
    assert "sign-off rejected by complaints_manager" in years[REJECTED].summary
    assert years[NOT_BUILT].state == "not_built"
    draft_links = {link.label: link.href for link in years[DRAFT].links}
    assert draft_links["Report run"] == "../dags/complaints_annual_report/runs/backfill__2019-03-31"

    page = render_page(years.values(), datetime.now(UTC))
    for label in (
        "Awaiting sign-off",
        "Signed off",
        "Built as DRAFT",
        "Restated since publication",
    ):
        assert label in page
    assert built.rejected_reference in page


def test_an_empty_warehouse_lists_the_configured_council_with_no_data(
    new_sqlite_database, tmp_path
):
    import dataclasses

    from csc_complaints.settings import load_settings

    settings = dataclasses.replace(load_settings(), output_dir=str(tmp_path))
    engine = make_engine(new_sqlite_database())
    councils = list_councils(engine, registry_of(settings))
    folder = tmp_path / settings.council_code
    assert councils == [Council(settings.council_code, settings.council_name, folder)]
    [only] = council_status(engine, councils[0])
    assert (only.financial_year, only.state, only.last_extract) == (NO_DATA, "no_data", None)
    engine.dispose()


def test_output_files_are_served_only_from_inside_the_output_folder(tmp_path):
    output = tmp_path / "output"
    (output / "2019-20").mkdir(parents=True)
    (output / "2019-20" / "annual-report-2019-20.pdf").write_bytes(b"%PDF")
    (tmp_path / "secret.txt").write_text("not for the page")
    council = Council("E06000005", None, output)
    assert resolve_output_file(council, "2019-20/annual-report-2019-20.pdf") is not None
    for outside in ("../secret.txt", "2019-20/../../secret.txt", "%2E%2E/secret.txt", "2019-20"):
        assert resolve_output_file(council, outside) is None, outside


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30, "0 minutes ago"),
        (5 * 60, "5 minutes ago"),
        (3 * 3600 + 120, "3 hours ago"),
        (86400 + 3600, "1 day 1 hour ago"),
        (9 * 86400 + 3600, "9 days ago"),
    ],
)
def test_how_long_ago_reads_at_a_glance(seconds, text):
    assert age_text(seconds) == text


def test_the_page_lists_the_registrys_councils_then_any_other_the_warehouse_holds(
    new_sqlite_database, tmp_path
):
    """Each registry council with its own folder, in registry order; a code only the warehouse
    holds (a council since taken out of the registry) after them, its folder by the one rule."""
    import dataclasses

    from sqlalchemy import insert

    from csc_complaints.councils import Council as Registered
    from csc_complaints.quality.tables import create_quality_schema
    from csc_complaints.settings import load_settings
    from csc_complaints.warehouse.schema import create_warehouse_schema, etl_year_builds

    base = dataclasses.replace(load_settings(), output_dir=str(tmp_path))
    registered = [
        Registered(
            code,
            name,
            name.split()[0],
            f"complaints_source_{code.lower()}",
            dataclasses.replace(base, council_code=code, council_name=name),
        )
        for code, name in (("E06000047", "County Durham"), ("E06000005", "Darlington"))
    ]
    engine = make_engine(new_sqlite_database())
    create_warehouse_schema(engine)
    create_quality_schema(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(etl_year_builds).values(
                council_code="E08000001",
                financial_year="2019/20",
                fingerprint="0" * 64,
                stats_rows=1,
                built_at=datetime(2020, 5, 1),
                run_id="manual",
            )
        )
    assert list_councils(engine, registered) == [
        Council("E06000047", "County Durham", tmp_path / "E06000047"),
        Council("E06000005", "Darlington", tmp_path / "E06000005"),
        Council("E08000001", None, tmp_path / "E08000001"),
    ]
    engine.dispose()
