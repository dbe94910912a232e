"""Build one year's annual report: PDF, HTML and the stats tables as CSV open data.

Plain functions, no Airflow: the ``complaints_annual_report`` DAG calls them, and so can a test
or a person at a prompt. Every file is written under a temporary name in its final folder and
renamed into place, so a reader never sees half a file and a final report replaces its draft in
one step.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from csc_complaints.dates import FinancialYear
from csc_complaints.db import sql
from csc_complaints.report.reconciliation import Reconciliation, read_reconciliation
from csc_complaints.report.sign_off import SignOff, SignOffMissing
from csc_complaints.settings import Settings


class YearNotReady(RuntimeError):
    """The year's figures are missing, stale or not reconciled: no report is built from them."""


class ReportBlocked(RuntimeError):
    """A final (signed-off) report was asked for a year that cannot be signed off."""


@dataclass(frozen=True)
class Readiness:
    """Whether a year's figures can be reported, and whether the report could be signed off."""

    financial_year: str
    problems: tuple[str, ...]  # non-empty: do not build the report
    sign_off_blockers: tuple[str, ...]  # non-empty: the report stays a DRAFT
    reconciliation: Reconciliation

    @property
    def ready(self) -> bool:
        return not self.problems

    def raise_if_not_ready(self) -> None:
        if self.problems:
            raise YearNotReady(
                f"the {self.financial_year} report cannot be built: " + "; ".join(self.problems)
            )


@dataclass(frozen=True)
class ReportResult:
    financial_year: str
    final: bool
    directory: Path
    pdf: Path
    html: Path
    csv: tuple[Path, ...]
    pdf_sha256: str
    sign_off_blockers: tuple[str, ...] = field(default=())

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.pdf, self.html, *self.csv)


def year_directory(output_dir: Path | str, year: FinancialYear) -> Path:
    return Path(output_dir) / year.slug


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def check_year_ready(
    warehouse_engine: Engine,
    settings: Settings,
    financial_year: str,
    output_dir: Path | str | None = None,
    now: datetime | None = None,
) -> Readiness:
    """Are the year's stats present, fresh and reconciled?

    * the year has ended, and the warehouse holds stats rows for it (for this council);
    * an extract finished after the year ended (so the year's data is complete);
    * the warehouse's record of the year's latest reconciliation (``dq_reconciliations``) is of
      what the year holds now: the stats fingerprint in ``etl_year_builds`` and the rows
      rejected in ``dq_rejects``.

    ``reconciliation.json`` is written again from that record when it is missing or differs
    (a fresh output folder is not "not reconciled"). Rejected rows and failed critical rules do
    not stop the draft; they are returned as ``sign_off_blockers`` and keep the report a DRAFT.
    """
    from csc_complaints.report.figures import stats_row_count

    year = FinancialYear.parse(financial_year)
    now = now or datetime.now(UTC)
    output = Path(output_dir) if output_dir is not None else settings.output_path
    code = settings.council_code
    problems: list[str] = []
    if now.date() < year.end:
        problems.append(f"{year.label} has not ended yet (it ends on {year.last_day})")
    if stats_row_count(warehouse_engine, code, year) == 0:
        problems.append(
            f"the warehouse holds no stats for {year.label} (council {code}):"
            " run complaints_extract and complaints_warehouse first"
        )
    with warehouse_engine.connect() as connection:
        last_extract = _aware(
            connection.execute(
                sql("report", "last_extract_finished"), {"council_code": code}
            ).scalar()
        )
    if last_extract is None:
        problems.append("no extract has finished for this council yet")
    elif last_extract.date() < year.end:
        problems.append(
            f"the latest extract finished at {last_extract.isoformat()}, before {year.label} "
            "ended: the year's data is incomplete"
        )
    reconciliation, state = current_reconciliation(warehouse_engine, code, year, output)
    if state.recorded is None:
        problems.append(
            f"{year.label} has not been reconciled (the warehouse holds no reconciliation of "
            "it): run complaints_warehouse, which reconciles every year not yet reconciled"
        )
    elif state.stats_changed:
        changed = (
            f" ({state.built_at.isoformat()}, run {state.built_run_id})" if state.built_at else ""
        )
        problems.append(
            f"the reconciliation ({state.recorded.reconciled_at.isoformat()}, run "
            f"{state.recorded.run_id}) is older than the last change to the {year.label} "
            f"stats{changed}: run complaints_warehouse, which reconciles every year whose stats "
            "changed"
        )
    elif state.rejects_changed:
        problems.append(
            f"rows touching {year.label} were rejected or released after its reconciliation "
            f"({state.recorded.reconciled_at.isoformat()}, run {state.recorded.run_id}): run "
            "complaints_warehouse, which reconciles every year whose rejected rows changed"
        )
    blockers = tuple(reconciliation.blocking_reasons()) if reconciliation.available else ()
    return Readiness(year.label, tuple(problems), blockers, reconciliation)


def current_reconciliation(
    warehouse_engine: Engine, council_code: str, year: FinancialYear, output: Path
):
    """The year's reconciliation as the report reads it, and the warehouse's state of the year.

    When the warehouse holds a reconciliation of the year, ``reconciliation.json`` is first
    written again from it if missing or different; the file is then read as usual.
    """
    from csc_complaints.quality.reconciliation import write_reconciliation_files, year_state
    from csc_complaints.quality.tables import create_quality_schema

    create_quality_schema(warehouse_engine)  # a warehouse never reconciled has no record yet
    state = year_state(warehouse_engine, council_code, year.label)
    if state.recorded is not None:
        write_reconciliation_files(warehouse_engine, council_code, output, [year.label])
    return read_reconciliation(output, year, council_code), state


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through ``write(temporary path)``, then rename over ``path`` in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_text(path: Path, text: str) -> None:
    _atomic_write(path, lambda tmp: tmp.write_bytes(text.encode("utf-8")))


def write_stats_csv(
    warehouse_engine: Engine,
    settings: Settings,
    financial_year: str,
    directory: Path | str,
    final: bool = False,
) -> tuple[Path, ...]:
    """The year's open data in ``directory``: a CSV file per stats table, ``README.md`` (the
    data dictionary and licence) and ``metadata.json`` (CSV on the Web).

    Each file is declared in ``csc_complaints.report.open_data_tables``: its rows are the stats
    table's for the year with every team, outcome, issue and measure the report covers present,
    a zero included, a label beside each code and a ``status`` column (``draft`` or ``final``).
    """
    from csc_complaints.measures import TIMELINESS_MEASURES
    from csc_complaints.report.figures import read_open_data_domain, read_stats_rows
    from csc_complaints.report.open_data import write_open_data
    from csc_complaints.report.open_data_tables import OpenDataContext
    from csc_complaints.report.sections.teams import FEEDBACK_RECEIVED
    from csc_complaints.report.wording import wording

    year = FinancialYear.parse(financial_year)
    code = settings.council_code
    stats = read_stats_rows(warehouse_engine, code, year)
    teams, issues = read_open_data_domain(warehouse_engine, code)
    # The teams the year's figures name, even one the teams dimension no longer holds.
    named = {
        (row[names.index("service_area")], row[names.index("team")])
        for names, rows in stats.values()
        if "team" in names
        for row in rows
    }
    issue_labels = dict(issues)
    names, rows = stats["stats_issues"]
    for row in rows:
        issue_labels.setdefault(row[names.index("issue")], row[names.index("label")])
    words = wording("sections/teams")
    context = OpenDataContext(
        council_code=code,
        financial_year=year.label,
        status="final" if final else "draft",
        targets={m.name: getattr(settings, m.target_setting) for m in TIMELINESS_MEASURES},
        # In the council's order, as the report lists them (settings.order_key).
        teams=tuple(sorted(set(teams) | named, key=lambda t: (*settings.order_key(*t), t))),
        issues=tuple(sorted(issue_labels.items())),
        feedback_labels={kind: words.text("feedback_title", kind) for kind in FEEDBACK_RECEIVED},
    )
    return write_open_data(Path(directory), stats, context, settings.council_name, _write_text)


def build_report(
    warehouse_engine: Engine,
    settings: Settings,
    financial_year: str,
    output_dir: Path | str | None = None,
    final: bool = False,
    sign_off: SignOff | None = None,
) -> ReportResult:
    """Write ``<output>/<YYYY-YY>/annual-report-<YYYY-YY>.pdf``, ``.html`` and ``csv/*.csv``.

    ``final=False`` marks every page DRAFT. ``final=True`` (after sign-off) needs the
    ``sign_off`` (who approved it and when: its cover and metadata say so, and its creation
    date is the approval's; ``SignOffMissing`` without it), and is refused with
    ``ReportBlocked`` while the year has rejected rows, failed critical rules, no reconciliation
    or a reconciliation of other figures than it holds; otherwise the unmarked files replace
    the draft. ``reconciliation.json`` is first written again from the warehouse's record when
    missing or stale (``current_reconciliation``).
    """
    from csc_complaints.report.figures import last_extract_date, load_history, load_year
    from csc_complaints.report.html import render_html
    from csc_complaints.report.pdf import render_pdf
    from csc_complaints.report.sections import build_document

    year = FinancialYear.parse(financial_year)
    output = Path(output_dir) if output_dir is not None else settings.output_path
    reconciliation, state = current_reconciliation(
        warehouse_engine, settings.council_code, year, output
    )
    blockers = tuple(reconciliation.blocking_reasons())
    if state.recorded is not None and not state.reconciled:
        blockers += (
            f"the {year.label} stats or rejected rows changed after the year's last "
            f"reconciliation ({state.recorded.reconciled_at.isoformat()}): run "
            "complaints_warehouse",
        )
    if final and blockers:
        raise ReportBlocked(f"{year.label} cannot be signed off: " + "; ".join(blockers))
    if final and sign_off is None:
        raise SignOffMissing(f"a final {year.label} report needs who approved it and when")

    current = load_year(warehouse_engine, settings.council_code, year)
    if not current.present:
        raise YearNotReady(
            f"the warehouse holds no stats for {year.label} (council {settings.council_code})"
        )
    prior = load_year(warehouse_engine, settings.council_code, year.prior, learning=False)
    history = load_history(warehouse_engine, settings.council_code, year)
    as_at = last_extract_date(warehouse_engine, settings.council_code)
    document = build_document(
        current,
        prior,
        settings,
        reconciliation,
        history,
        as_at,
        sign_off=sign_off if final else None,
    )
    draft = not final

    directory = year_directory(output, year)
    csv_paths = write_stats_csv(warehouse_engine, settings, year.label, directory / "csv", final)
    html_path = directory / f"annual-report-{year.slug}.html"
    _write_text(html_path, render_html(document, draft=draft))
    pdf_path = directory / f"annual-report-{year.slug}.pdf"
    _atomic_write(pdf_path, lambda tmp: render_pdf(document, tmp, draft=draft))
    return ReportResult(
        financial_year=year.label,
        final=final,
        directory=directory,
        pdf=pdf_path,
        html=html_path,
        csv=csv_paths,
        pdf_sha256=hashlib.sha256(pdf_path.read_bytes()).hexdigest(),
        sign_off_blockers=blockers,
    )
