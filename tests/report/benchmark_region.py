"""A region of four councils in one warehouse, for the regional benchmark's tests.

Three councils get a synthetic source each (``csc_complaints_demo.synthetic``, their own seed,
size and number of teams; their team names overlap, as real councils' do) and the pipeline's own
steps with their own settings (``dataclasses.replace(settings, council_code=...)``): extract,
row checks, warehouse build. Then:

* ``published``: its 2019/20 figures are recorded as published (``record_published_figures``,
  what sign-off calls), so its report status is final;
* ``draft``: built, never signed off;
* ``rejected``: one 2019/20 complaint's Stage 1 response has lost its outcome in the source
  (DQ05), so the row checks reject it and the build holds the whole complaint back;
* ``empty``: in the registry, but nothing was ever extracted for it: no data.

The oracle (``tests/oracle.py``) counts each council's own source. For ``rejected`` it counts
the source with the broken complaint soft-deleted, which is what the warehouse counts while the
complaint is held back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from csc_complaints.db import make_engine
from csc_complaints.extract import run_extract
from csc_complaints.quality.reconciliation import record_published_figures
from csc_complaints.settings import Settings, load_settings
from csc_complaints.warehouse.build import build_warehouse
from csc_complaints_demo import models as m
from csc_complaints_demo.synthetic import GeneratorConfig, generate
from tests.oracle import as_date, expected_stats

YEAR = "2019/20"


@dataclass(frozen=True)
class RegionCouncil:
    """As the council registry's ``Council`` (the attributes the benchmark reads)."""

    code: str
    name: str
    short_name: str
    population_0_17: int | None


PUBLISHED = RegionCouncil("E09000002", "Northbridge Borough Council", "Northbridge", 52_000)
DRAFT = RegionCouncil("E09000003", "Eastmoor Council", "Eastmoor", None)
REJECTED = RegionCouncil("E09000004", "Southvale District Council", "Southvale", 41_500)
# A name a spreadsheet would run as a formula: the CSV writes it with a leading quote.
EMPTY = RegionCouncil("E09000005", "=Westmarch Council", "Westmarch", 30_000)
COUNCILS = (PUBLISHED, DRAFT, REJECTED, EMPTY)
SOURCES = {
    PUBLISHED.code: GeneratorConfig(seed=11, years=2, complaints_per_year=160, teams=8),
    DRAFT.code: GeneratorConfig(seed=12, years=2, complaints_per_year=90, teams=5),
    REJECTED.code: GeneratorConfig(seed=13, years=2, complaints_per_year=120, teams=6),
}


@dataclass
class Region:
    warehouse: object
    settings: Settings  # the deployment's
    output: Path
    oracle: dict[str, dict]  # council code -> tests/oracle.py's stats of its own source
    engines: list
    sources: dict = field(default_factory=dict)  # council code -> its source's engine
    council_settings: dict = field(default_factory=dict)  # council code -> its Settings

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()


def council_settings(base: Settings, council: RegionCouncil, output: Path) -> Settings:
    return dataclasses.replace(
        base,
        council_code=council.code,
        council_name=council.name,
        council_short_name=council.short_name,
        output_dir=str(output / council.code),
    )


def _break_one_complaint(source) -> None:
    """Take the outcome off a 2019/20 Stage 1 response of a complaint with nothing else hanging
    on it (no other stage, no Ombudsman case, no learning action): DQ05 rejects it."""
    with source.begin() as conn:
        busy = set(conn.execute(select(m.OmbudsmanCase.complaint_id)).scalars())
        busy |= set(conn.execute(select(m.LearningAction.complaint_id)).scalars())
        stages: dict[int, list] = {}
        for row in conn.execute(select(m.ComplaintStage)):
            stages.setdefault(row.complaint_id, []).append(row)
        chosen = next(
            rows[0]
            for complaint_id, rows in sorted(stages.items())
            if complaint_id not in busy
            and len(rows) == 1
            and rows[0].stage == 1
            and rows[0].deleted_at is None
            and rows[0].response_date is not None
            and as_date(rows[0].requested_date) >= as_date("2019-04-01")
            and as_date(rows[0].response_date) <= as_date("2020-03-31")
        )
        complaint = m.Complaint.__table__
        # What the warehouse will count: the source without this complaint.
        conn.execute(
            update(complaint)
            .where(complaint.c.complaint_id == chosen.complaint_id)
            .values(deleted_at=chosen.updated_at)
        )
    return chosen


def build_region(new_database, new_sqlite_database, root: Path, row_checks: bool = True):
    """The four councils' warehouse (of ``new_database``'s kind), built as the module says."""
    base = load_settings({})
    warehouse = make_engine(new_database())
    output = root / "output"
    engines = [warehouse]
    oracle = {}
    sources, settings_of = {}, {}
    for council in (PUBLISHED, DRAFT, REJECTED):
        url = new_sqlite_database()
        source = make_engine(url)
        engines.append(source)
        m.create_source_schema(source)
        generate(source, SOURCES[council.code], progress=False)
        if council is REJECTED:
            chosen = _break_one_complaint(source)
            oracle[council.code] = expected_stats(url)
            stage, complaint = m.ComplaintStage.__table__, m.Complaint.__table__
            with source.begin() as conn:
                conn.execute(
                    update(complaint)
                    .where(complaint.c.complaint_id == chosen.complaint_id)
                    .values(deleted_at=None)
                )
                conn.execute(
                    update(stage).where(stage.c.stage_id == chosen.stage_id).values(outcome=None)
                )
        else:
            oracle[council.code] = expected_stats(url)
        settings = council_settings(base, council, output)
        sources[council.code], settings_of[council.code] = source, settings
        run_id = f"region-{council.short_name.lower()}"
        run_extract(source, warehouse, settings, run_id)
        if row_checks or council is REJECTED:
            from csc_complaints.quality import run_row_checks

            run_row_checks(warehouse, settings, run_id, settings.output_path)
        build_warehouse(warehouse, settings, run_id)
    record_published_figures(warehouse, PUBLISHED.code, YEAR, "region-sign-off")
    return Region(warehouse, base, output, oracle, engines, sources, settings_of)
