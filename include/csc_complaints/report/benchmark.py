"""The regional benchmark: one year's figures of every council in the deployment, side by side.

``build_benchmark`` writes ``<output>/benchmark/<YYYY-YY>/benchmark-<YYYY-YY>.pdf``, ``.html``
and ``.csv`` with the annual report's machinery: the document model, its tagged PDF and its
accessible HTML page. Its words are ``include/templates/benchmark.j2`` (the PDF's furniture
``benchmark_pdf.j2``). Per council: complaints received (and per 10,000 children where the
council's population aged 0-17 is given), Stage 1 within 10 and 20 working days, Stage 2 within
25 and 65, the escalation rate from Stage 1 to Stage 2, the upheld or partially upheld share of
Stage 1 decisions, the Ombudsman's maladministration decisions, and the report's status.

Every figure is read from the stats tables through ``report.figures.load_year`` (the annual
report's reader and its SQL files in ``include/sql/report/``), always with the council's
``council_code``. The status is ``final`` when the council's year was published
(``published_year.sql``: ``dq_published_years``, written by
``quality.reconciliation.record_published_figures`` at sign-off), ``draft`` otherwise, and
``no_data`` when the warehouse holds no stats for the council's year; rows rejected by the row
checks (``dq_rejects``) touching the year are counted and marked. No council is left out.

It is management information for the councils in the deployment: never DRAFT-marked as a whole
(each council's status is marked instead), and its cover says whether to publish is theirs to
decide. Plain functions, no Airflow.

Why one file of some 500 lines: as the monitoring pack's, the benchmark is small and read as a
whole: its measures, the figures read per council, its sections and its CSV share the same few
types (``BenchmarkMeasure``, ``CouncilYear``), and each part is short.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from csc_complaints.dates import FinancialYear
from csc_complaints.db import sql
from csc_complaints.measures import TIMELINESS_BY_NAME
from csc_complaints.report import sentences as say
from csc_complaints.report.build import _atomic_write, _write_text
from csc_complaints.report.document import (
    Block,
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    TableRow,
)
from csc_complaints.report.safe_text import clean_text, csv_text
from csc_complaints.report.wording import wording
from csc_complaints.settings import Settings

WORDING = "benchmark"
FURNITURE = "benchmark_pdf"
FOLDER = "benchmark"
STATUSES = ("final", "draft", "no_data")
CSV_COLUMNS = ("council_code", "council_name", "financial_year", "measure", "value", "status")
TENTH = Decimal("0.1")


class BenchmarkCouncil(Protocol):
    """What the benchmark needs of a council: the registry's ``csc_complaints.councils.Council``
    (or any object with these attributes)."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def short_name(self) -> str: ...

    @property
    def population_0_17(self) -> int | None: ...


@dataclass(frozen=True)
class BenchmarkMeasure:
    """One figure of the benchmark: its CSV name, its kind (``count``, ``percent`` or
    ``rate``) and the region's figure (``total`` of the councils' counts, or ``median``)."""

    name: str
    kind: str
    region: str
    target_setting: str | None = None  # a timeliness percentage: the settings key of its target


def _timeliness(name: str) -> BenchmarkMeasure:
    return BenchmarkMeasure(
        f"{name}_percent", "percent", "median", TIMELINESS_BY_NAME[name].target_setting
    )


BENCHMARK_MEASURES: tuple[BenchmarkMeasure, ...] = (
    BenchmarkMeasure("complaints_received", "count", "total"),
    BenchmarkMeasure("complaints_per_10000_children", "rate", "median"),
    _timeliness("stage1_within_10wd"),
    _timeliness("stage1_within_20wd"),
    _timeliness("stage2_within_25wd"),
    _timeliness("stage2_within_65wd"),
    BenchmarkMeasure("stage1_escalated_percent", "percent", "median"),
    BenchmarkMeasure("stage1_upheld_percent", "percent", "median"),
    BenchmarkMeasure("ombudsman_maladministration", "count", "total"),
)
TIMELINESS_PERCENTS = tuple(m.name for m in BENCHMARK_MEASURES if m.target_setting)
# The CSV's one figure that is not a stats figure: rows rejected touching the year.
REJECTED_MEASURE = "rejected_rows"

Value = int | Decimal | None


@dataclass(frozen=True)
class CouncilYear:
    """One council's year as the benchmark shows it: each measure's value (None: no figure)
    and base (what a percentage or rate is of), its status and the rows rejected."""

    code: str
    name: str
    short_name: str
    population_0_17: int | None
    status: str  # final | draft | no_data
    rejected_rows: int
    values: dict[str, Value] = field(default_factory=dict)
    bases: dict[str, int | None] = field(default_factory=dict)
    # Each timeliness percentage's target in working days, from the council's own settings
    # (the registry's ``Council.settings``, which its warehouse build counted with) or else the
    # deployment's: a council whose target differs from the deployment's is marked.
    targets: dict[str, int] = field(default_factory=dict)
    # A final year whose figures changed since publication (RC07 failed in its latest
    # reconciliation): shown as final, marked restated.
    restated: bool = False


@dataclass(frozen=True)
class BenchmarkResult:
    financial_year: str
    directory: Path
    pdf: Path
    html: Path
    csv: Path
    pdf_sha256: str
    councils: tuple[CouncilYear, ...]

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.pdf, self.html, self.csv)


def _ratio(part: int, whole: int | None, per: int = 100) -> Decimal | None:
    """``part`` per ``per`` of ``whole`` to one decimal place, half up (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) * per / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def read_council_year(
    engine: Engine, council: BenchmarkCouncil, year: FinancialYear, settings: Settings
) -> CouncilYear:
    """The council's figures and status for the year, read with its ``council_code``;
    ``settings`` are the deployment's (the targets of a council without settings of its own)."""
    from csc_complaints.quality.reconciliation import rejects_by_year
    from csc_complaints.quality.reconciliation_record import load_recorded_years
    from csc_complaints.report.figures import load_year

    code = council.code
    params = {"council_code": code, "financial_year": year.label}
    figures = load_year(engine, code, year, learning=False)
    rejected = len(rejects_by_year(engine, code, [year.label])[year.label])
    with engine.connect() as connection:
        published = connection.execute(sql("report", "published_year"), params).first()
    status = "no_data" if not figures.present else "final" if published else "draft"
    restated = False
    if status == "final":
        recorded = load_recorded_years(engine, code, [year.label]).get(year.label)
        rules = recorded.rules if recorded else ()
        restated = any(rule.code == "RC07" and not rule.passed for rule in rules)
    values: dict[str, Value] = {}
    bases: dict[str, int | None] = {}
    if figures.present:
        received = figures.headline("complaints_received")
        values["complaints_received"] = received
        population = council.population_0_17
        values["complaints_per_10000_children"] = _ratio(received, population, 10_000)
        bases["complaints_per_10000_children"] = population
        for measure in TIMELINESS_PERCENTS:
            responses, within = figures.timeliness_of(measure.removesuffix("_percent"))
            values[measure] = _ratio(within, responses)
            bases[measure] = responses
        began, escalated = figures.escalation.get(1, (0, 0))
        values["stage1_escalated_percent"] = _ratio(escalated, began)
        bases["stage1_escalated_percent"] = began
        decisions = figures.headline("stage1_decisions")
        upheld = sum(
            cells.get("upheld", 0) + cells.get("partially_upheld", 0)
            for cells in figures.outcomes.get(1, {}).values()
        )
        values["stage1_upheld_percent"] = _ratio(upheld, decisions)
        bases["stage1_upheld_percent"] = decisions
        values["ombudsman_maladministration"] = figures.headline("ombudsman_maladministration")
    own = getattr(council, "settings", None) or settings
    targets = {
        m.name: int(getattr(own, m.target_setting)) for m in BENCHMARK_MEASURES if m.target_setting
    }
    return CouncilYear(
        code=code,
        name=clean_text(council.name),
        short_name=clean_text(council.short_name),
        population_0_17=council.population_0_17,
        status=status,
        rejected_rows=rejected,
        values=values,
        bases=bases,
        targets=targets,
        restated=restated,
    )


def ranked(councils: list[CouncilYear], measure: str) -> list[CouncilYear]:
    """Highest figure first; councils without a figure last, by name."""
    with_figure = [c for c in councils if c.values.get(measure) is not None]
    without = [c for c in councils if c.values.get(measure) is None]
    with_figure.sort(key=lambda c: (-c.values[measure], c.short_name, c.code))
    without.sort(key=lambda c: (c.short_name, c.code))
    return with_figure + without


def region_value(councils: list[CouncilYear], measure: BenchmarkMeasure) -> Value:
    """The total of the councils' counts, or the median of their percentages or rates (to one
    decimal place, half up); None when no council has a figure."""
    present = [c.values[measure.name] for c in councils if c.values.get(measure.name) is not None]
    if not present:
        return None
    if measure.region == "total":
        return sum(present)
    return Decimal(statistics.median(present)).quantize(TENTH, rounding=ROUND_HALF_UP)


def value_text(value: Value, kind: str) -> str:
    if kind == "percent":
        return say.percent_text(value)
    return str(value)


def build_benchmark(
    warehouse_engine: Engine,
    councils: Iterable[BenchmarkCouncil],
    financial_year: str | FinancialYear,
    output_root: Path | str,
    settings: Settings,
) -> BenchmarkResult:
    """Write the year's benchmark of ``councils`` (``BenchmarkCouncil`` objects, in any order;
    each code once) under ``<output_root>/benchmark/<YYYY-YY>/``. ``settings`` are the
    deployment's: their targets name the timeliness measures."""
    from csc_complaints.quality.tables import create_quality_schema
    from csc_complaints.report.html import render_html
    from csc_complaints.report.pdf import render_pdf

    year = (
        financial_year
        if isinstance(financial_year, FinancialYear)
        else FinancialYear.parse(financial_year)
    )
    councils = list(councils)
    codes = Counter(c.code for c in councils)
    repeated = sorted(code for code, n in codes.items() if n > 1)
    if repeated:
        raise ValueError(f"the benchmark lists each council once: {', '.join(repeated)} repeated")
    if not councils:
        raise ValueError("the benchmark needs at least one council")
    create_quality_schema(warehouse_engine)  # a warehouse not built yet: every council no_data
    rows = sorted(
        (read_council_year(warehouse_engine, c, year, settings) for c in councils),
        key=lambda c: (c.short_name, c.code),
    )
    document = benchmark_document(year, rows, settings)

    directory = Path(output_root) / FOLDER / year.slug
    stem = f"benchmark-{year.slug}"
    csv_path = directory / f"{stem}.csv"
    _write_text(csv_path, benchmark_csv_text(year, rows))
    html_path = directory / f"{stem}.html"
    _write_text(html_path, render_html(document, draft=False))
    pdf_path = directory / f"{stem}.pdf"
    _atomic_write(pdf_path, lambda tmp: render_pdf(document, tmp, draft=False))
    return BenchmarkResult(
        financial_year=year.label,
        directory=directory,
        pdf=pdf_path,
        html=html_path,
        csv=csv_path,
        pdf_sha256=hashlib.sha256(pdf_path.read_bytes()).hexdigest(),
        councils=tuple(rows),
    )


# --- the document --------------------------------------------------------------------------


def benchmark_document(
    year: FinancialYear, councils: list[CouncilYear], settings: Settings
) -> Document:
    words = wording(WORDING)
    blocks: list[Block] = [
        Heading(1, words.text("about_heading")),
        *words.blocks("about", year.label, len(councils)),
        *councils_section(year, councils),
    ]
    for measure in BENCHMARK_MEASURES:
        blocks += measure_section(year, councils, measure, settings)
    return Document(
        title_lines=tuple(words.text("title_lines").splitlines()),
        council_name=words.text("councils_line", len(councils)),
        year_label=year.label,
        title=words.text("title", year.label),
        blocks=blocks,
        furniture=FURNITURE,
        cover_note=words.text("cover_note"),
    )


def councils_section(year: FinancialYear, councils: list[CouncilYear]) -> list[Block]:
    """Every council: its ONS code, its report's status, the rows rejected, its children."""
    words = wording(WORDING)
    count = {status: sum(c.status == status for c in councils) for status in STATUSES}
    rejected = sum(c.rejected_rows > 0 for c in councils)
    rows = tuple(
        TableRow(
            (
                c.name,
                c.code,
                words.text("status_cell", c.status, 0, restated=c.restated),
                str(c.rejected_rows),
                words.text("not_given_cell")
                if c.population_0_17 is None
                else str(c.population_0_17),
            )
        )
        for c in councils
    )
    columns = ("council", "code", "status", "rejected", "population")
    return [
        Heading(1, words.text("councils_heading")),
        Paragraph(
            say.sentence(
                words.text(
                    "status_sentence",
                    len(councils),
                    count["final"],
                    count["draft"],
                    count["no_data"],
                    rejected,
                )
            )
        ),
        Table(
            words.text("councils_caption", year.label),
            tuple(words.text("councils_column", c) for c in columns),
            rows,
            numeric_from=3,
            widths=(3.0, 1.4, 1.3, 1.1, 1.3),
        ),
    ]


def measure_section(
    year: FinancialYear,
    councils: list[CouncilYear],
    measure: BenchmarkMeasure,
    settings: Settings,
) -> list[Block]:
    """The measure's heading, what it counts, the region's figure, the ranked chart and the
    ranked table (the council's status and, for a percentage or rate, what it is of)."""
    words = wording(WORDING)
    name = measure.name
    target = getattr(settings, measure.target_setting) if measure.target_setting else None
    heading = words.text("measure_heading", name, target)
    order = ranked(councils, name)
    region = region_value(councils, measure)
    with_figure = sum(c.values.get(name) is not None for c in councils)
    has_base = measure.kind != "count"

    def own_target(council: CouncilYear) -> int | None:
        """The council's target when it is not the deployment's (None: the same)."""
        theirs = council.targets.get(name)
        return theirs if target is not None and theirs not in (None, target) else None

    def missing(council: CouncilYear) -> str | None:
        """Why a council with figures has none for this measure (None: it has one)."""
        if council.status == "no_data" or council.values.get(name) is not None:
            return None
        return "no_population" if name == "complaints_per_10000_children" else "not_measured"

    def shown(council: CouncilYear) -> str:
        value = council.values.get(name)
        if value is not None:
            return value_text(value, measure.kind)
        return words.text("no_figure_cell", council.status, missing(council))

    rows = []
    for council in order:
        cells = [
            council.name,
            words.text(
                "status_cell",
                council.status,
                council.rejected_rows,
                own_target(council),
                council.restated,
            ),
            shown(council),
        ]
        if has_base:
            base = council.bases.get(name)
            cells.append("" if base is None else str(base))
        rows.append(TableRow(tuple(cells)))
    region_text = "" if region is None else value_text(region, measure.kind)
    total_cells = [
        words.text("region_label", measure.region),
        words.text("region_councils_cell", with_figure),
        region_text,
    ]
    if has_base:
        total_cells.append("")
    rows.append(TableRow(tuple(total_cells), "total"))

    columns = ["council", "status", "figure"] + (["base"] if has_base else [])
    blocks: list[Block] = [
        Heading(1, heading),
        Paragraph(words.text("measure_about", name, target, year.label)),
        Paragraph(
            words.text(
                "region_sentence",
                measure.region,
                region_text,
                with_figure,
                len(councils) - with_figure,
            )
        ),
    ]
    if with_figure:
        title = words.text("chart_title", heading, year.label)
        labels = tuple(
            words.text(
                "marked_name",
                c.short_name,
                c.status,
                c.rejected_rows,
                missing(c),
                own_target(c),
                c.restated,
            )
            for c in order
        )
        values = tuple(
            None if c.values.get(name) is None else _plotted(c.values[name]) for c in order
        )
        alt = words.text(
            "chart_alt",
            title,
            [
                (label, None if c.values.get(name) is None else shown(c))
                for label, c in zip(labels, order, strict=True)
            ],
        )
        blocks.append(
            Chart(
                title,
                labels,
                ((year.label, values),),
                alt,
                category_title=words.text("category_title"),
                value_title=words.text("value_title", measure.kind),
                value_format="%d" if measure.kind == "count" else "%.1f",
            )
        )
    blocks.append(
        Table(
            words.text("measure_caption", heading, year.label, measure.kind),
            tuple(words.text("measure_column", c, name) for c in columns),
            tuple(rows),
            numeric_from=2,
            widths=(3.0, 2.0, 1.1, 1.2) if has_base else (3.0, 2.0, 1.1),
        )
    )
    return blocks


def _plotted(value: int | Decimal) -> int | float:
    return value if isinstance(value, int) else float(value)


# --- the CSV -------------------------------------------------------------------------------


def benchmark_csv_text(year: FinancialYear, councils: list[CouncilYear]) -> str:
    """Long format, one row per council and measure (``CSV_COLUMNS``): every measure of
    ``BENCHMARK_MEASURES`` and ``rejected_rows``; ``value`` is empty where the council has no
    figure; ``status`` is ``final``, ``draft`` or ``no_data``. Cells pass ``safe_text``."""
    rows = []
    for council in councils:
        key = (council.code, council.name, year.label)
        for measure in BENCHMARK_MEASURES:
            value = council.values.get(measure.name)
            rows.append((*key, measure.name, "" if value is None else value, council.status))
        rows.append((*key, REJECTED_MEASURE, council.rejected_rows, council.status))
    return csv_text(CSV_COLUMNS, rows)
