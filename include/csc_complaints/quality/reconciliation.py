"""Reconciliation (RC rules) of the warehouse after each build, for every year that changed.

``run_reconciliation`` validates the ``rc_warehouse`` suite with GX once for all the years it
checks (the batch holds one row per council and year), splits each rule's rows by their
``financial_year`` and adds each year's DQ verdict (rejected rows whose dates fall in the year).
The years it checks are the ones asked for plus every year the warehouse still owes a
reconciliation (its stats changed since it was last reconciled, however the run that changed
them ended). Each year's results are recorded in the warehouse (``reconciliation_record``), and
``<output>/<YYYY-YY>/reconciliation.json`` is written from that record, so a missing or stale
file is simply written again from it. A rule that depends on the council alone
(``meta.scope: "council"`` in the suite: RC01) reads each council once whatever the number of
years and its result is reported in every year's file: it counts whole tables, so running it
per year would make the cost grow with data x years. RC07 compares a year whose final report was
published with the figures stored at publication (``record_published_figures``).

Why one file of over 400 lines: which years to check, the one GX validation of them, the
splitting of its results by year and the record written from them are one step, read in order.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from csc_complaints.dates import FinancialYear
from csc_complaints.db import sql
from csc_complaints.quality.compared import compared_figures, figures_for
from csc_complaints.quality.compared import figure_value as _figure
from csc_complaints.quality.gx_validation import (
    ExpectationOutcome,
    ValidationError,
    validate_suite,
)
from csc_complaints.quality.reconciliation_record import (
    RecordedYear,
    YearState,
    built_fingerprints,
    load_recorded_years,
    load_year_state,
    owed_by_stats,
    rejects_fingerprint,
    store_reconciled_years,
)
from csc_complaints.quality.results import (
    RejectedRow,
    RuleResult,
    RuleVerdicts,
    row_check_result,
)
from csc_complaints.quality.suites import DQ_SUITE, RC_SUITE, load_rules
from csc_complaints.quality.tables import create_quality_schema
from csc_complaints.settings import Settings

log = logging.getLogger(__name__)

RECONCILIATION_FILE = "reconciliation.json"


@dataclass
class YearReconciliation(RuleVerdicts):
    """Every rule's verdict for one financial year: the RC rules' and the DQ rules' (rows
    rejected by the row checks that touch the year)."""

    financial_year: str
    rules: list[RuleResult]
    data_docs_page: str | None = None
    path: Path | None = None  # the reconciliation.json written

    @property
    def draft(self) -> bool:
        """docs/quality.md: any rejected row or critical failure keeps the year's report a DRAFT."""
        return bool(self.critical_failures or self.rejected_counts)

    def as_json(self, council_code: str, run_id: str, generated_at: datetime) -> dict[str, Any]:
        return {
            "council_code": council_code,
            "financial_year": self.financial_year,
            "run_id": run_id,
            "generated_at": generated_at.isoformat(timespec="seconds"),
            "passed": not self.failed_rules,
            "draft": self.draft,
            "critical_failures": [r.code for r in self.critical_failures],
            "warnings": [r.code for r in self.warnings],
            "rejected_rows_by_rule": dict(sorted(self.rejected_counts.items())),
            "rules": [rule.as_json() for rule in self.rules],
            "data_docs": self.data_docs_page,
        }


@dataclass
class ReconciliationResult:
    council_code: str
    run_id: str
    years: dict[str, YearReconciliation] = field(default_factory=dict)  # reconciled by this run
    # Years reconciled although not asked for: owed since an earlier run (owed_years).
    owed: tuple[str, ...] = ()
    # Years not reconciled by this run whose reconciliation.json was missing or stale, and was
    # written again from the warehouse's record.
    rewritten: dict[str, Path] = field(default_factory=dict)

    @property
    def critical_failures(self) -> list[tuple[str, RuleResult]]:
        """(financial year, rule) for every critical RC failure; DQ rules are the row checks'."""
        return [
            (year, rule)
            for year, rec in self.years.items()
            for rule in rec.critical_failures
            if not rule.is_row_check
        ]

    @property
    def warnings(self) -> list[tuple[str, RuleResult]]:
        return [(year, rule) for year, rec in self.years.items() for rule in rec.warnings]

    def summary(self) -> str:
        lines = []
        for year, rec in self.years.items():
            failed = [r for r in rec.failed_rules if not r.is_row_check]
            state = "DRAFT" if rec.draft else "reconciled"
            rejected = ", ".join(f"{c} {n}" for c, n in sorted(rec.rejected_counts.items()))
            lines.append(
                f"reconciliation {self.council_code} {year}: {state}"
                + (f"; rejected rows {rejected}" if rejected else "")
            )
            for rule in failed:
                lines.append("  " + rule.headline())
                lines += ["    " + d["message"] for d in rule.discrepancies[:20]]
            if failed and rec.data_docs_page:
                lines.append(f"  Data Docs: {rec.data_docs_page}")
        if self.owed:
            lines.append(
                f"reconciliation {self.council_code}: {', '.join(self.owed)} checked as owed by "
                "an earlier run (stats or rejected rows changed since the last reconciliation, "
                "or its alert was never sent)"
            )
        if not lines:
            lines.append(
                f"reconciliation {self.council_code}: no year to check (every year is "
                "reconciled for the figures it holds)"
            )
        lines += [
            f"reconciliation {self.council_code} {year}: {path} written again from the warehouse"
            for year, path in sorted(self.rewritten.items())
        ]
        return "\n".join(lines)


def _years_of(dates: tuple[Any, ...]) -> set[str]:
    years = set()
    for value in dates:
        try:
            years.add(FinancialYear.containing(datetime.fromisoformat(str(value)).date()).label)
        except (TypeError, ValueError):
            continue
    return years


def rejects_by_year(
    engine: Engine, council_code: str, years: list[str]
) -> dict[str, list[RejectedRow]]:
    """For each year, the rejected rows (``dq_rejects``) that touch it.

    A reject touches every year in which its row, or anything held back with it (a whole
    complaint), has a date. A rejected row without one readable date could belong to any year,
    so every year gets it.
    """
    touched: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    with engine.connect() as conn:
        known = {
            (r.rule_code, r.source_table, r.source_key): (r.message, r.reference)
            for r in conn.execute(sql("quality", "select_rejects"), {"council_code": council_code})
        }
        rows = conn.execute(sql("quality", "rejected_row_dates"), {"council_code": council_code})
        for rule_code, table, key, *dates in rows:
            touched[(rule_code, table, key)] |= _years_of(tuple(dates))
    found: dict[str, list[RejectedRow]] = {year: [] for year in years}
    for (rule_code, table, key), in_years in sorted(touched.items()):
        message, reference = known.get((rule_code, table, key), ("", None))
        reject = RejectedRow(rule_code, table, key, message, reference)
        for year in sorted((in_years or set(years)) & set(years)):
            found[year].append(reject)
    return found


def _dq_rules_for_year(rejects: list[RejectedRow]) -> list[RuleResult]:
    return [
        row_check_result(rule, [r for r in rejects if r.rule_code == rule.code])
        for rule in load_rules(DQ_SUITE)
    ]


def year_folder(output_dir: Path, financial_year: str) -> Path:
    return Path(output_dir) / FinancialYear.parse(financial_year).slug


def outcomes_by_year(
    outcomes: dict[str, ExpectationOutcome], years: list[str], council_scoped: set[str]
) -> dict[str, dict[str, ExpectationOutcome]]:
    """Each year's verdict on every rule, from one validation of all ``years``.

    A year rule's rows carry the year they are about (``financial_year``), so a year's verdict
    is its own rows: the same as validating that year alone. A council-scoped rule's verdict
    holds for every year. GX counted the rows when it validated and they were fetched again
    afterwards: if the two disagree (the warehouse changed in between) or a row names no year
    of the batch, the rows cannot be shared out honestly, so that is an error, not a pass.
    """
    by_year: dict[str, dict[str, ExpectationOutcome]] = {year: {} for year in years}
    for code, outcome in outcomes.items():
        if code in council_scoped:
            for year in years:
                by_year[year][code] = outcome
            continue
        rows: dict[str, list[dict[str, Any]]] = {year: [] for year in years}
        for row in outcome.rows:
            year = row.get("financial_year")
            if year not in rows:
                raise ValidationError(f"{code}: a row names no year of the batch ({year!r})")
            rows[year].append(row)
        if sum(map(len, rows.values())) != outcome.unexpected_count:
            raise ValidationError(
                f"{code}: GX counted {outcome.unexpected_count} rows but "
                f"{len(outcome.rows)} were fetched (did the warehouse change meanwhile?)"
            )
        for year in years:
            by_year[year][code] = ExpectationOutcome(
                code=code,
                severity=outcome.severity,
                description=outcome.description,
                success=not rows[year],
                unexpected_count=len(rows[year]),
                rows=rows[year],
            )
    return by_year


def _rc_rules(
    rules, outcomes: dict[str, ExpectationOutcome], compared: dict | None = None, year: str = ""
) -> list[RuleResult]:
    """Each RC rule's verdict for one year: a failed rule's figures are its first discrepancy's,
    a rule that holds shows the two figures it compared (``quality.compared``)."""
    results = []
    for rule in rules:
        outcome = outcomes[rule.code]
        discrepancies = [
            {
                "expected": _figure(row.get("expected")),
                "observed": _figure(row.get("observed")),
                "message": str(row.get("message")),
            }
            for row in outcome.rows
        ]
        discrepancies.sort(key=lambda d: d["message"])
        first = discrepancies[0] if discrepancies else {}
        if outcome.success and compared is not None:
            figures = figures_for(compared, rule.code, year)
            if figures is not None:
                first = {"expected": figures[0], "observed": figures[1]}
        results.append(
            RuleResult(
                code=rule.code,
                severity=rule.severity,
                description=rule.description,
                passed=outcome.success,
                expected=first.get("expected"),
                observed=first.get("observed"),
                discrepancies=discrepancies,
            )
        )
    return results


def run_reconciliation(
    warehouse_engine: Engine,
    settings: Settings,
    run_id: str,
    years: list[str] | tuple[str, ...] = (),
    output_dir: Path | str | None = None,
    *,
    include_owed: bool = True,
) -> ReconciliationResult:
    """Reconcile each year in ``years`` and every year the warehouse still owes a
    reconciliation; record the results in the warehouse and write each ``reconciliation.json``.

    ``years``: the years the caller wants checked now (the build's changed years).
    ``include_owed``: also every year the warehouse still owes a reconciliation
    (``owed_years``: its stats or rejected rows changed since it was last reconciled, or that
    reconciliation was never alerted), so a build or reconciliation killed half-way is made
    good by the next run. The results are recorded in
    ``dq_reconciliations``/``dq_reconciliation_results`` and the files written from that record;
    the file of any other recorded year is rewritten from it too when missing or stale.
    """
    create_quality_schema(warehouse_engine)
    output = Path(output_dir) if output_dir is not None else settings.output_path
    council = settings.council_code
    asked = {FinancialYear.parse(y).label for y in years}
    owed = set(owed_years(warehouse_engine, council)) - asked if include_owed else set()
    ordered = sorted(asked | owed)
    result = ReconciliationResult(council_code=council, run_id=run_id, owed=tuple(sorted(owed)))
    if ordered:
        _reconcile(warehouse_engine, council, run_id, ordered, output, result)
    written = write_reconciliation_files(warehouse_engine, council, output)
    for year, (path, rewritten) in written.items():
        if year in result.years:
            result.years[year].path = path
        elif rewritten:
            result.rewritten[year] = path
    log.info("%s", result.summary())
    return result


def _reconcile(
    warehouse_engine: Engine,
    council: str,
    run_id: str,
    ordered: list[str],
    output: Path,
    result: ReconciliationResult,
) -> None:
    """Validate the RC suite once for all ``ordered`` years and record each year's verdicts."""
    url = warehouse_engine.url.render_as_string(hide_password=False)
    # The stats about to be checked: if a build replaces them meanwhile, the recorded
    # fingerprint is not theirs and the year stays owed.
    fingerprints = built_fingerprints(warehouse_engine, council)
    rejects = rejects_by_year(warehouse_engine, council, ordered)
    rules = load_rules(RC_SUITE)
    # One validation for every year: one GX context, one checkpoint, one Data Docs update,
    # and each rule's query runs over all the years at once instead of once a year.
    scopes = [{"council_code": council, "financial_year": year} for year in ordered]
    run = validate_suite(url, RC_SUITE, scopes, run_id, output)
    compared = compared_figures(warehouse_engine, rules, scopes)
    council_scoped = {rule.code for rule in rules if rule.council_scoped}
    for year, outcomes in outcomes_by_year(run.outcomes, ordered, council_scoped).items():
        result.years[year] = YearReconciliation(
            financial_year=year,
            rules=_rc_rules(rules, outcomes, compared, year) + _dq_rules_for_year(rejects[year]),
            data_docs_page=run.data_docs_page,
        )
    reconciled_at = datetime.now(UTC)
    store_reconciled_years(
        warehouse_engine,
        council,
        [
            RecordedYear(
                financial_year=year,
                stats_fingerprint=fingerprints.get(year),
                rejects_fingerprint=rejects_fingerprint(rejects[year]),
                run_id=run_id,
                reconciled_at=reconciled_at,
                data_docs=rec.data_docs_page,
                rules=tuple(rec.rules),
            )
            for year, rec in result.years.items()
        ],
    )


def owed_years(warehouse_engine: Engine, council_code: str) -> list[str]:
    """The years owed a reconciliation, oldest first: built (or emptied) since their latest
    reconciliation, never alerted (``reconciliation_owed.sql``), or touched by rows rejected,
    or released, since."""
    owed = owed_by_stats(warehouse_engine, council_code)
    recorded = load_recorded_years(warehouse_engine, council_code, with_rules=False)
    rejects = rejects_by_year(warehouse_engine, council_code, sorted(recorded))
    owed |= {
        year
        for year, rec in recorded.items()
        if rec.rejects_fingerprint != rejects_fingerprint(rejects[year])
    }
    return sorted(owed)


def year_state(warehouse_engine: Engine, council_code: str, financial_year: str) -> YearState:
    """The year's stats and rejected rows now, beside its latest reconciliation."""
    rejects = rejects_by_year(warehouse_engine, council_code, [financial_year])[financial_year]
    return load_year_state(
        warehouse_engine, council_code, financial_year, rejects_fingerprint(rejects)
    )


def reconciliation_document(council_code: str, recorded: RecordedYear) -> str:
    """A year's ``reconciliation.json`` text, from its record in the warehouse."""
    rec = YearReconciliation(
        financial_year=recorded.financial_year,
        rules=list(recorded.rules),
        data_docs_page=recorded.data_docs,
    )
    data = rec.as_json(council_code, recorded.run_id, recorded.reconciled_at)
    return json.dumps(data, indent=2, default=str) + "\n"


def write_reconciliation_files(
    warehouse_engine: Engine,
    council_code: str,
    output_dir: Path | str,
    years: list[str] | None = None,
) -> dict[str, tuple[Path, bool]]:
    """Write ``<output>/<YYYY-YY>/reconciliation.json`` from the warehouse's record of each
    year (every recorded year when ``years`` is None), where the file is missing or differs.

    Returns year -> (path, whether it was written). A year never reconciled gets no file.
    """
    written: dict[str, tuple[Path, bool]] = {}
    for year, recorded in load_recorded_years(warehouse_engine, council_code, years).items():
        path = year_folder(Path(output_dir), year) / RECONCILIATION_FILE
        text = reconciliation_document(council_code, recorded).encode("utf-8")
        stale = not path.exists() or path.read_bytes() != text
        if stale:
            _replace_file(path, text)
        written[year] = (path, stale)
    return written


def _replace_file(path: Path, data: bytes) -> None:
    """Write under a temporary name, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def record_published_figures(
    warehouse_engine: Engine,
    council_code: str,
    financial_year: str,
    run_id: str = "manual",
) -> int:
    """Store a year's figures as published (call when its final report is approved).

    From then on RC07 warns when a build of that year computes different figures. Calling it
    again (a re-publication) replaces the stored figures. Returns how many figures were stored.
    """
    create_quality_schema(warehouse_engine)
    params = {
        "council_code": council_code,
        "financial_year": FinancialYear.parse(financial_year).label,
    }
    with warehouse_engine.begin() as conn:
        conn.execute(sql("quality", "delete_published_figures"), params)
        stored = conn.execute(sql("quality", "insert_published_figures"), params).rowcount
        conn.execute(sql("quality", "delete_published_year"), params)
        conn.execute(
            sql("quality", "insert_published_year"),
            {
                **params,
                "figures": stored,
                "published_at": datetime.now(UTC).replace(tzinfo=None),
                "run_id": run_id,
            },
        )
    log.info("published figures stored for %s %s: %d", council_code, financial_year, stored)
    return stored
