"""A warehouse whose years are in every state the Complaints page shows, made by the pipeline.

A synthetic source (five financial years, 2015/16 to 2019/20, canary strings in every personal
data field) goes through the real steps: extract, row checks, warehouse build, reconciliation,
report build and publication. Then:

* 2015/16 is published, then a closed case is edited in the source and the pipeline runs again:
  RC07 finds the changed figures (``restated``);
* 2016/17 is published (``signed_off``);
* 2017/18 has a stage row whose response predates its request (DQ04) and a DRAFT report
  (``draft``, with rejected rows and sign-off blockers);
* 2018/19 is clean with a DRAFT report (``draft``; ``awaiting_sign_off`` when a report run is
  waiting for approval);
* 2019/20 is clean and built, no report (``not_built``; the source's first weeks of 2020/21
  are built too);
* the year just ended today is not in the warehouse (``no_data``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from csc_complaints.dates import FinancialYear
from csc_complaints.db import make_engine
from csc_complaints.settings import Settings, load_settings

CANARY = "Ottoline-Brackwater-9153"  # personal data marker: must never reach the page
FIRST_YEAR = "2015/16"
YEARS = 5
AS_OF = datetime(2020, 5, 1, 18, 0)  # the source's "today" (the generator's as_of)
RESTATED, SIGNED_OFF, REJECTED, DRAFT, NOT_BUILT = (
    "2015/16",
    "2016/17",
    "2017/18",
    "2018/19",
    "2019/20",
)
PARTIAL = "2020/21"  # the source's first weeks of it (until AS_OF): built, no report
# The page lists the year just ended (today's) even when the warehouse holds nothing for it.
NO_DATA = FinancialYear.containing(datetime.now(UTC).date()).prior.label
PUBLISH_RUNS = {
    RESTATED: "scheduled__2016-04-15T05:00:00+00:00",
    SIGNED_OFF: "scheduled__2017-04-15T05:00:00+00:00",
}


@dataclass
class StatusWarehouse:
    warehouse_url: str
    source_url: str
    settings: Settings
    output: Path  # the deployment's output folder; the council's is settings.output_path
    rejected_reference: str  # the complaint whose stage row DQ04 rejects
    rejected_stage_id: int
    extract_run_ids: list[str]


def _stage_in_year(source: Engine, year_start: date, year_end: date):
    """A decided stage row requested inside the year, with at least a week before its response."""
    query = text(
        "SELECT s.stage_id, c.reference, s.requested_date, s.response_date, s.outcome "
        "FROM complaint_stages s JOIN complaints c ON c.complaint_id = s.complaint_id "
        "WHERE s.stage = 1 AND s.response_date IS NOT NULL AND s.deleted_at IS NULL "
        "AND c.deleted_at IS NULL AND s.requested_date >= :start AND s.requested_date < :end "
        "ORDER BY s.stage_id"
    )
    with source.connect() as conn:
        for row in conn.execute(query, {"start": year_start, "end": year_end}):
            requested = date.fromisoformat(str(row.requested_date)[:10])
            if requested - timedelta(days=10) >= year_start:
                return row, requested
    raise AssertionError(f"no decided stage 1 row in {year_start}..{year_end}")


def build_status_warehouse(warehouse_url: str, source_url: str, output: Path) -> StatusWarehouse:
    from csc_complaints.extract import run_extract
    from csc_complaints.quality import run_reconciliation, run_row_checks
    from csc_complaints.quality.reconciliation import record_published_figures
    from csc_complaints.report.build import build_report
    from csc_complaints.report.sign_off import SignOff
    from csc_complaints.warehouse.build import build_warehouse
    from csc_complaints_demo.synthetic import GeneratorConfig, generate

    settings = dataclasses.replace(load_settings(), output_dir=str(output))
    folder = settings.output_path  # <output>/<council_code>
    source = make_engine(source_url)
    warehouse = make_engine(warehouse_url)
    try:
        generate(
            source,
            GeneratorConfig(
                seed=17,
                first_year=FIRST_YEAR,
                years=YEARS,
                complaints_per_year=24,
                teams=4,
                late_edit_rate=0.0,
                as_of=AS_OF,
                canary=CANARY,
            ),
            progress=False,
        )
        # DQ04 in 2017/18: a stage row's response dated before its request.
        broken, requested = _stage_in_year(source, date(2017, 4, 1), date(2018, 4, 1))
        with source.begin() as conn:
            conn.execute(
                text(
                    "UPDATE complaint_stages SET response_date = :response, updated_at = :stamp "
                    "WHERE stage_id = :id"
                ),
                {
                    "response": requested - timedelta(days=7),
                    "stamp": AS_OF,
                    "id": broken.stage_id,
                },
            )

        runs: list[str] = []

        def pipeline(run_id: str, now: datetime) -> None:
            run_extract(source, warehouse, settings, run_id, now=now)
            run_row_checks(warehouse, settings, run_id, folder)
            build_warehouse(warehouse, settings, run_id)
            run_reconciliation(warehouse, settings, run_id, [], folder)
            runs.append(run_id)

        pipeline("manual__2020-05-02T06:00:00+00:00", datetime(2020, 5, 2, 6, 0))
        for year in (RESTATED, SIGNED_OFF):
            approval = SignOff(
                "complaints_manager", settings.sign_off_role, AS_OF.replace(tzinfo=UTC)
            )
            build_report(warehouse, settings, year, folder, final=True, sign_off=approval)
            record_published_figures(warehouse, settings.council_code, year, PUBLISH_RUNS[year])
        for year in (REJECTED, DRAFT):
            build_report(warehouse, settings, year, folder, final=False)

        # A late edit to a case closed in 2015/16: a published figure changes (RC07).
        edited, _ = _stage_in_year(source, date(2015, 4, 1), date(2016, 4, 1))
        new_outcome = "not_upheld" if edited.outcome != "not_upheld" else "upheld"
        with source.begin() as conn:
            conn.execute(
                text(
                    "UPDATE complaint_stages SET outcome = :outcome, updated_at = :stamp "
                    "WHERE stage_id = :id"
                ),
                {
                    "outcome": new_outcome,
                    "stamp": datetime(2020, 5, 3, 12, 0),
                    "id": edited.stage_id,
                },
            )
        pipeline("scheduled__2020-05-04T00:00:00+00:00", datetime(2020, 5, 4, 6, 0))
    finally:
        source.dispose()
        warehouse.dispose()
    return StatusWarehouse(
        warehouse_url=warehouse_url,
        source_url=source_url,
        settings=settings,
        output=output,
        rejected_reference=broken.reference,
        rejected_stage_id=int(broken.stage_id),
        extract_run_ids=runs,
    )


def registry_of(settings: Settings) -> list:
    """The council registry of a deployment without a registry file: its one council."""
    from csc_complaints.councils import DEFAULT_SOURCE_CONN_ID, Council

    return [
        Council(
            settings.council_code,
            settings.council_name,
            settings.council_short_name,
            DEFAULT_SOURCE_CONN_ID,
            settings,
        )
    ]
