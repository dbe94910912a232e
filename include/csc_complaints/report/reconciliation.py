"""The year's reconciliation results (``<output>/<YYYY-YY>/reconciliation.json``).

Written by the quality step (``csc_complaints.quality.reconciliation``) from the warehouse's
record of the year's reconciliation, which is the one that counts: ``report.build`` writes the
file again from it when missing or stale before reading it here for the report's annex ("How
these figures were checked") and to decide whether the year may be signed off. The file is a
JSON object; the report reads these keys::

    {
      "council_code": "E06000005",          # checked when present
      "financial_year": "2019/20",          # must be the year asked for
      "rules": [                            # every DQ and RC verdict for the year
        {"code": "RC02", "severity": "critical", "rule": "description", "passed": true,
         "expected": 57, "observed": 57},
        {"code": "DQ07", ..., "rejected_rows": [  # a row check's rows (optional)
          {"reference": "CSC-2019-0042", "source_table": "complaint_stages",
           "source_key": "17", "message": "complaint_stages 17: team 99 does not exist"}]}
      ],
      "rejected_rows_by_rule": {"DQ04": 2}, # rejected rows by rule code, for this year
      "generated_at": "2026-04-15T05:02:11+00:00"   # optional; else the file's time
    }

This project writes the file itself, so only these names are read, and every rule code must be
a rule of the suites in ``expectations/`` (``csc_complaints.quality.suites.rule_by_code``). A
year with any rejected row or any failed critical rule cannot be approved (docs/quality.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from csc_complaints.dates import FinancialYear
from csc_complaints.quality.suites import rule_by_code
from csc_complaints.report.safe_text import clean_text

FILE_NAME = "reconciliation.json"


class ReconciliationFileError(ValueError):
    """The reconciliation file exists but cannot be read as the format above."""


@dataclass(frozen=True)
class CheckResult:
    code: str
    severity: str
    passed: bool
    expected: Any
    observed: Any
    rule: str

    @property
    def is_row_check(self) -> bool:
        """A DQ rule (its suite says so), else an RC rule."""
        return rule_by_code(self.code).is_row_check

    @property
    def blocks_sign_off(self) -> bool:
        return not self.passed and self.severity == "critical"


@dataclass(frozen=True)
class HeldBackRow:
    """A row a row check held back, named as the complaints team looks it up."""

    code: str  # the row check's rule code
    reference: str  # the complaint's reference; "" for a row of no complaint (a team, feedback)
    source_table: str
    source_key: str
    message: str  # keys, codes and dates only


@dataclass(frozen=True)
class Reconciliation:
    """The file's content, or ``available=False`` when the year has not been reconciled."""

    path: Path
    available: bool
    results: tuple[CheckResult, ...] = ()
    rejected_rows: dict[str, int] = field(default_factory=dict)
    generated_at: datetime | None = None
    held_back: tuple[HeldBackRow, ...] = ()  # each rejected row, by reference then table and key

    @property
    def failed_critical(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocks_sign_off]

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected_rows.values())

    def blocking_reasons(self) -> list[str]:
        """Why the year cannot be signed off; empty when it can."""
        if not self.available:
            return [f"the year has not been reconciled ({self.path} does not exist)"]
        rejected = {code for code, count in self.rejected_rows.items() if count}
        reasons = [
            f"{r.code} failed (critical): expected {r.expected}, observed {r.observed}"
            for r in self.failed_critical
            if r.code not in rejected
        ]
        reasons += [
            f"{count} rejected {'row' if count == 1 else 'rows'} under {code}"
            for code, count in sorted(self.rejected_rows.items())
            if count
        ]
        return reasons


def reconciliation_path(output_dir: Path, year: FinancialYear) -> Path:
    return Path(output_dir) / year.slug / FILE_NAME


def _text(value: Any) -> str:
    """A value of the file as the report prints it: a complaint reference is typed by a person
    into the source, so it is cleaned like the warehouse's text (``safe_text.clean_text``)."""
    return "" if value is None else clean_text(str(value))


def read_reconciliation(
    output_dir: Path, year: FinancialYear, council_code: str | None = None
) -> Reconciliation:
    """Read the year's reconciliation file; a missing file is "not reconciled", not an error."""
    path = reconciliation_path(output_dir, year)
    if not path.exists():
        return Reconciliation(path=path, available=False)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ReconciliationFileError(f"{path}: not valid JSON ({exc})") from exc
    items = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ReconciliationFileError(f"{path}: expected an object with a 'rules' list")
    if data.get("financial_year", year.label) != year.label:
        raise ReconciliationFileError(f"{path}: holds {data['financial_year']}, not {year.label}")
    if council_code and data.get("council_code", council_code) != council_code:
        raise ReconciliationFileError(
            f"{path}: holds council {data['council_code']}, not {council_code}"
        )
    results, held_back = [], []
    for index, item in enumerate(items):
        missing = [k for k in ("code", "severity", "passed", "rule") if k not in item]
        if missing:
            raise ReconciliationFileError(f"{path}: rules[{index}] lacks {', '.join(missing)}")
        code = str(item["code"])
        try:
            rule_by_code(code)
        except KeyError as exc:
            raise ReconciliationFileError(f"{path}: rules[{index}]: {exc.args[0]}") from None
        results.append(
            CheckResult(
                code=code,
                severity=str(item["severity"]).lower(),
                passed=bool(item["passed"]),
                expected=_text(item.get("expected")),
                observed=_text(item.get("observed")),
                rule=_text(item["rule"]),
            )
        )
        for row in item.get("rejected_rows") or ():
            held_back.append(
                HeldBackRow(
                    code=code,
                    reference=_text(row.get("reference")),
                    source_table=_text(row.get("source_table")),
                    source_key=_text(row.get("source_key")),
                    message=_text(row.get("message")),
                )
            )
    # Required: read as "none" when missing, a DRAFT year's file could be signed off.
    rejected = data.get("rejected_rows_by_rule")
    if not isinstance(rejected, dict):
        raise ReconciliationFileError(
            f"{path}: 'rejected_rows_by_rule' must map rule codes to counts"
        )
    for code in rejected:
        try:
            row_check = rule_by_code(code).is_row_check
        except KeyError as exc:
            raise ReconciliationFileError(f"{path}: rejected_rows_by_rule: {exc.args[0]}") from None
        if not row_check:
            raise ReconciliationFileError(
                f"{path}: rejected_rows_by_rule names {code}, which is not a row check"
            )
    generated = data.get("generated_at")
    try:
        generated_at = (
            datetime.fromisoformat(generated)
            if generated
            else datetime.fromtimestamp(path.stat().st_mtime, UTC)
        )
    except ValueError as exc:
        raise ReconciliationFileError(f"{path}: generated_at {generated!r} is not ISO") from exc
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=UTC)
    return Reconciliation(
        path=path,
        available=True,
        # The reconciliation's rules first, then the row checks', each by code.
        results=tuple(sorted(results, key=lambda r: (r.is_row_check, r.code))),
        rejected_rows={str(k): int(v) for k, v in sorted(rejected.items())},
        generated_at=generated_at,
        held_back=tuple(
            sorted(
                held_back,
                key=lambda r: (r.reference == "", r.reference, r.source_table, r.source_key),
            )
        ),
    )
