"""The quarterly monitoring pack: a short year-to-date pack for the council's management team.

``build_monitoring_pack`` writes ``<year folder>/monitoring-<YYYY-YY>-q<N>.pdf``, ``.html`` and
``.csv`` (the figures) and ``monitoring-<YYYY-YY>-q<N>-overdue.csv`` (the annex), in the same
folder as the year's annual report (``report.build.year_directory``). It is built from the
quarterly stats tables (``stats_quarterly_stages``, ``stats_quarterly_timeliness``,
``stats_quarterly_open``, docs/warehouse.md) and the open cases past target in
``fact_open_stages``, with the annual report's machinery: the document model, its tagged PDF and
its HTML page. Its words are ``include/templates/monitoring.j2`` (the PDF's furniture
``monitoring_pdf.j2``). It needs no sign-off: never DRAFT, and its cover says it is management
information, not for publication. The annex lists cases by complaint reference, stage, team and
working days open: no personal data.

Plain functions, no Airflow: the ``complaints_quarterly_monitoring`` DAG calls them.

Why one file of some 480 lines: the pack is small and read as a whole (its figures, its four
sections and its two CSV files share the same few types); the annual report's equivalents are
split because each of its nineteen sections is as long as this pack.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from csc_complaints.dates import FinancialQuarter, FinancialYear
from csc_complaints.db import sql
from csc_complaints.measures import TIMELINESS_MEASURES
from csc_complaints.report import sentences as say
from csc_complaints.report.build import YearNotReady, _atomic_write, _write_text, year_directory
from csc_complaints.report.document import (
    Block,
    Document,
    Heading,
    Paragraph,
    Table,
    TableRow,
)
from csc_complaints.report.wording import wording
from csc_complaints.settings import Settings
from csc_complaints.warehouse.schema import create_warehouse_schema

WORDING = "monitoring"
FURNITURE = "monitoring_pdf"
STAGES = (1, 2, 3)


class QuarterNotReady(YearNotReady):
    """The quarter has not ended, or the warehouse has not counted it yet: no pack is built.
    A ``YearNotReady``, so a task fails on it at once, as on a year not ready
    (``csc_complaints.failures``)."""


@dataclass(frozen=True)
class OverdueCase:
    reference: str
    stage: int
    service_area: str
    team: str
    working_days_open: int


@dataclass
class QuarterlyFigures:
    """One year's quarterly stats, as read from the warehouse (a missing row is zero)."""

    year: FinancialYear
    stages: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    timeliness: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    open_cases: dict[tuple[int, int], tuple[str, int, int]] = field(default_factory=dict)

    @property
    def present(self) -> bool:
        return bool(self.stages or self.timeliness or self.open_cases)

    def activity(self, quarter: int, stage: int) -> tuple[int, int]:
        """(received, decided) at ``stage`` in ``quarter``."""
        return self.stages.get((quarter, stage), (0, 0))

    def activity_to(self, quarter: int, stage: int) -> tuple[int, int]:
        """(received, decided) at ``stage`` in quarters 1 to ``quarter``."""
        counts = [self.activity(q, stage) for q in range(1, quarter + 1)]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    def timeliness_to(self, quarter: int, measure: str) -> tuple[int, int]:
        """(responses, within target) of ``measure`` in quarters 1 to ``quarter``."""
        counts = [self.timeliness.get((q, measure), (0, 0)) for q in range(1, quarter + 1)]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    def counted_open(self, quarter: int) -> bool:
        """Whether the warehouse counted the cases open at the end of ``quarter``."""
        return any((quarter, stage) in self.open_cases for stage in STAGES)

    def open_at(self, quarter: int, stage: int) -> tuple[int, int]:
        """(open, past target) at ``stage`` at the end of ``quarter``."""
        _as_at, open_cases, past = self.open_cases.get((quarter, stage), ("", 0, 0))
        return open_cases, past


def load_quarterly(engine: Engine, council_code: str, year: FinancialYear) -> QuarterlyFigures:
    params = {"council_code": council_code, "financial_year": year.label}
    figures = QuarterlyFigures(year)
    with engine.connect() as connection:
        for row in connection.execute(sql("report", "stats_quarterly_stages"), params):
            figures.stages[(int(row.quarter), int(row.stage))] = (
                int(row.received),
                int(row.decided),
            )
        for row in connection.execute(sql("report", "stats_quarterly_timeliness"), params):
            figures.timeliness[(int(row.quarter), row.measure)] = (
                int(row.responses),
                int(row.within_target),
            )
        for row in connection.execute(sql("report", "stats_quarterly_open"), params):
            figures.open_cases[(int(row.quarter), int(row.stage))] = (
                row.as_at,
                int(row.open_cases),
                int(row.past_target),
            )
    return figures


def overdue_cases(
    engine: Engine, council_code: str, quarter: FinancialQuarter
) -> list[OverdueCase]:
    """The cases open at the end of ``quarter`` and past their target date, longest open first."""
    params = {
        "council_code": council_code,
        "financial_year": quarter.year.label,
        "quarter": quarter.number,
    }
    with engine.connect() as connection:
        return [
            OverdueCase(r.reference, int(r.stage), r.service_area, r.team, int(r.working_days_open))
            for r in connection.execute(sql("report", "quarterly_overdue_cases"), params)
        ]


def check_quarter_ready(
    engine: Engine, council_code: str, quarter: FinancialQuarter, now: datetime | None = None
) -> QuarterlyFigures:
    """The year's quarterly figures, once the quarter has ended and the warehouse has counted
    its open cases (an extract finished after it ended, then a build); else ``QuarterNotReady``
    saying what to run."""
    now = now or datetime.now(UTC)
    if now.date() <= quarter.last_day:
        raise QuarterNotReady(
            f"{quarter.label} has not ended yet (it ends on {quarter.last_day.isoformat()})"
        )
    create_warehouse_schema(engine)  # a warehouse not built yet: "not counted", said plainly
    figures = load_quarterly(engine, council_code, quarter.year)
    if not figures.counted_open(quarter.number):
        raise QuarterNotReady(
            f"the warehouse has not counted {quarter.label} yet (council {council_code}): "
            "run complaints_extract and complaints_warehouse after the quarter has ended"
        )
    return figures


@dataclass(frozen=True)
class MonitoringPack:
    quarter: str
    directory: Path
    pdf: Path
    html: Path
    csv: tuple[Path, ...]
    pdf_sha256: str
    overdue: int

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.pdf, self.html, *self.csv)


def pack_stem(quarter: FinancialQuarter) -> str:
    """``monitoring-2019-20-q1``: the pack's file names without their suffix."""
    return f"monitoring-{quarter.slug}"


def build_monitoring_pack(
    engine: Engine,
    settings: Settings,
    quarter: FinancialQuarter | str,
    output_dir: Path | str | None = None,
    now: datetime | None = None,
) -> MonitoringPack:
    """Write the quarter's pack (PDF, HTML, CSV of the figures and CSV of the annex).

    Refused (``QuarterNotReady``) before the quarter's open cases are counted; refused too when
    the annex's cases do not number the stats' past-target count (the build was interrupted
    between the two: run complaints_warehouse again).
    """
    from csc_complaints.report.html import render_html
    from csc_complaints.report.pdf import render_pdf

    if isinstance(quarter, str):
        quarter = FinancialQuarter.parse(quarter)
    code = settings.council_code
    current = check_quarter_ready(engine, code, quarter, now)
    prior = load_quarterly(engine, code, quarter.year.prior)
    overdue = overdue_cases(engine, code, quarter)
    past = sum(current.open_at(quarter.number, stage)[1] for stage in STAGES)
    if len(overdue) != past:
        raise QuarterNotReady(
            f"{quarter.label}: the warehouse counts {past} open case(s) past target but lists "
            f"{len(overdue)}: run complaints_warehouse again"
        )
    document = monitoring_document(quarter, current, prior, overdue, settings)

    output = Path(output_dir) if output_dir is not None else settings.output_path
    directory = year_directory(output, quarter.year)
    stem = pack_stem(quarter)
    figures_csv = directory / f"{stem}.csv"
    _write_text(figures_csv, figures_csv_text(code, quarter, current, prior))
    overdue_csv = directory / f"{stem}-overdue.csv"
    _write_text(overdue_csv, overdue_csv_text(overdue))
    html_path = directory / f"{stem}.html"
    _write_text(html_path, render_html(document, draft=False))
    pdf_path = directory / f"{stem}.pdf"
    _atomic_write(pdf_path, lambda tmp: render_pdf(document, tmp, draft=False))
    return MonitoringPack(
        quarter=quarter.label,
        directory=directory,
        pdf=pdf_path,
        html=html_path,
        csv=(figures_csv, overdue_csv),
        pdf_sha256=hashlib.sha256(pdf_path.read_bytes()).hexdigest(),
        overdue=len(overdue),
    )


# --- the document --------------------------------------------------------------------------


def monitoring_document(
    quarter: FinancialQuarter,
    current: QuarterlyFigures,
    prior: QuarterlyFigures,
    overdue: list[OverdueCase],
    settings: Settings,
) -> Document:
    words = wording(WORDING)
    period = words.text("period", quarter.year.label, quarter.number)
    compared = prior if prior.present else None
    blocks: list[Block] = [
        Heading(1, words.text("about_heading")),
        *words.blocks(
            "about",
            quarter.year.label,
            quarter.number,
            quarter.last_day,
            quarter.year.prior.label,
            compared is not None,
        ),
        *activity_section(quarter, current, compared),
        *timeliness_section(quarter, current, compared, settings),
        *open_section(quarter, current),
        *annex_section(quarter, overdue),
    ]
    return Document(
        title_lines=tuple(words.text("title_lines").splitlines()),
        council_name=settings.council_name,
        year_label=period,
        title=words.text("title", period),
        blocks=blocks,
        furniture=FURNITURE,
        cover_note=words.text("cover_note", quarter.year.start, quarter.last_day),
    )


def activity_section(
    quarter: FinancialQuarter, current: QuarterlyFigures, prior: QuarterlyFigures | None
) -> list[Block]:
    """Received and decided at each stage so far, against the same quarters last year: a
    sentence per stage, the year-to-date table and the quarter-by-quarter table."""
    words = wording(WORDING)
    year, prior_label, n = quarter.year.label, quarter.year.prior.label, quarter.number
    sentences, rows = [], []
    for stage in STAGES:
        received, decided = current.activity_to(n, stage)
        before = prior.activity_to(n, stage) if prior else (None, None)
        sentences.append(
            say.sentence(
                words.text("activity_sentence", stage, received, decided, *before, prior_label)
            )
        )
        cells = [words.text("stage_label", stage), str(received), str(decided)]
        if prior:
            cells += [str(before[0]), str(before[1])]
        rows.append(TableRow(tuple(cells)))
    header = [words.text("activity_column", c, year) for c in ("stage", "received", "decided")]
    if prior:
        header += [words.text("activity_column", c, prior_label) for c in ("received", "decided")]
    by_quarter = []
    for figures in (current, prior) if prior else (current,):
        for number in range(1, n + 1):
            cells = [words.text("quarter_label", figures.year.label, number)]
            for stage in STAGES:
                cells += [str(value) for value in figures.activity(number, stage)]
            by_quarter.append(TableRow(tuple(cells)))
    quarter_header = [words.text("quarter_column_first")] + [
        words.text("quarter_column", kind, stage)
        for stage in STAGES
        for kind in ("received", "decided")
    ]
    return [
        Heading(1, words.text("activity_heading")),
        *words.blocks("activity_intro", year, prior_label, prior is not None),
        Paragraph(" ".join(sentences)),
        Table(
            words.text("activity_caption", year, n, prior_label, prior is not None),
            tuple(header),
            tuple(rows),
        ),
        Table(
            words.text("by_quarter_caption", year, prior_label, prior is not None),
            tuple(quarter_header),
            tuple(by_quarter),
            widths=(1.6, 1, 1, 1, 1, 1, 1),
        ),
    ]


def _percent(counts: tuple[int, int]) -> Decimal | None:
    responses, within = counts
    return say.percent_value(within, responses) if responses else None


def timeliness_section(
    quarter: FinancialQuarter,
    current: QuarterlyFigures,
    prior: QuarterlyFigures | None,
    settings: Settings,
) -> list[Block]:
    """Every timeliness measure of the registry, so far this year (and the same quarters of
    last year): responses, within target, the percentage."""
    words = wording(WORDING)
    year, prior_label, n = quarter.year.label, quarter.year.prior.label, quarter.number
    no_responses = words.text("no_responses_cell")

    def cell(value: Decimal | None) -> str:
        return no_responses if value is None else say.percent_text(value)

    rows = []
    for measure in TIMELINESS_MEASURES:
        counts = current.timeliness_to(n, measure.name)
        cells = [
            measure.label,
            words.text("target_cell", getattr(settings, measure.target_setting)),
            str(counts[0]),
            str(counts[1]),
            cell(_percent(counts)),
        ]
        if prior:
            cells.append(cell(_percent(prior.timeliness_to(n, measure.name))))
        rows.append(TableRow(tuple(cells)))
    header = [
        words.text("timeliness_column", c) for c in ("timescale", "target", "responses", "within")
    ]
    header.append(year)
    if prior:
        header.append(prior_label)
    return [
        Heading(1, words.text("timeliness_heading")),
        *words.blocks("timeliness_intro", year, n, prior_label, prior is not None),
        Table(
            words.text("timeliness_caption", year, n),
            tuple(header),
            tuple(rows),
            numeric_from=2,
            widths=(3.2, 1.4, 1.1, 1.1, 1.1, 1.1)[: len(header)],
        ),
    ]


def open_section(quarter: FinancialQuarter, current: QuarterlyFigures) -> list[Block]:
    """Each stage's cases open at the end of the quarter, and how many are past target."""
    words = wording(WORDING)
    counts = [current.open_at(quarter.number, stage) for stage in STAGES]
    rows = [
        TableRow((words.text("stage_label", stage), str(open_cases), str(past)))
        for stage, (open_cases, past) in zip(STAGES, counts, strict=True)
    ]
    total_open, total_past = sum(c[0] for c in counts), sum(c[1] for c in counts)
    rows.append(TableRow((words.text("total_label"), str(total_open), str(total_past)), "total"))
    return [
        Heading(1, words.text("open_heading")),
        *words.blocks("open_intro", quarter.last_day),
        Paragraph(
            say.sentence(words.text("open_sentence", total_open, total_past, quarter.last_day))
        ),
        Table(
            words.text("open_caption", quarter.last_day),
            tuple(words.text("open_column", c) for c in ("stage", "open", "past_target")),
            tuple(rows),
            widths=(3, 1, 1),
        ),
    ]


def annex_section(quarter: FinancialQuarter, overdue: list[OverdueCase]) -> list[Block]:
    """The overdue open cases by complaint reference, stage, team and working days open."""
    words = wording(WORDING)
    blocks: list[Block] = [
        Heading(1, words.text("annex_heading")),
        *words.blocks("annex_intro", len(overdue), quarter.last_day),
    ]
    if overdue:
        blocks.append(
            Table(
                words.text("annex_caption", quarter.last_day),
                tuple(
                    words.text("annex_column", c)
                    for c in ("reference", "stage", "team", "working_days")
                ),
                tuple(
                    TableRow(
                        (case.reference, str(case.stage), case.team, str(case.working_days_open))
                    )
                    for case in overdue
                ),
                numeric_from=3,
                widths=(1.6, 0.7, 2.6, 1.2),
            )
        )
    return blocks


# --- the CSV files -------------------------------------------------------------------------

FIGURES_CSV_COLUMNS = (
    "council_code",
    "financial_year",
    "quarter",
    "figure",
    "stage_or_measure",
    "year_to_date",
    "prior_year_to_date",
)
OVERDUE_CSV_COLUMNS = ("reference", "stage", "service_area", "team", "working_days_open")


def _csv_text(header: tuple[str, ...], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def figures_csv_text(
    council_code: str,
    quarter: FinancialQuarter,
    current: QuarterlyFigures,
    prior: QuarterlyFigures,
) -> str:
    """The pack's figures, one row each: received, decided, responses and within target so far
    (with the same quarters of last year), and open and past target at the quarter's end."""
    n = quarter.number
    key = (council_code, quarter.year.label, n)
    rows: list[tuple] = []
    for stage in STAGES:
        now, before = current.activity_to(n, stage), prior.activity_to(n, stage)
        rows.append((*key, "received", stage, now[0], before[0]))
        rows.append((*key, "decided", stage, now[1], before[1]))
    for measure in TIMELINESS_MEASURES:
        now, before = current.timeliness_to(n, measure.name), prior.timeliness_to(n, measure.name)
        rows.append((*key, "responses", measure.name, now[0], before[0]))
        rows.append((*key, "within_target", measure.name, now[1], before[1]))
    for stage in STAGES:
        open_cases, past = current.open_at(n, stage)
        rows.append((*key, "open_at_quarter_end", stage, open_cases, ""))
        rows.append((*key, "past_target_at_quarter_end", stage, past, ""))
    return _csv_text(FIGURES_CSV_COLUMNS, rows)


def overdue_csv_text(overdue: list[OverdueCase]) -> str:
    return _csv_text(
        OVERDUE_CSV_COLUMNS,
        [(c.reference, c.stage, c.service_area, c.team, c.working_days_open) for c in overdue],
    )
