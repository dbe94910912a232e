"""Result types shared by the row checks, the reconciliation and the alerts (no heavy imports)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from csc_complaints.quality.suites import Rule, rule_by_code


@dataclass
class RejectedRow:
    """One source row a DQ rule keeps out of the facts."""

    rule_code: str
    source_table: str
    source_key: str
    message: str  # keys, codes and dates only
    reference: str | None = None  # the complaint's reference (CSC-2019-0042), when it has one

    @property
    def named(self) -> str:
        """The row as a person looks it up: ``[CSC-2019-0042] complaint_stages 17: ...``."""
        return f"[{self.reference}] {self.message}" if self.reference else self.message

    def as_json(self) -> dict[str, Any]:
        """As ``reconciliation.json`` lists it under its rule's ``rejected_rows``."""
        return {
            "reference": self.reference,
            "source_table": self.source_table,
            "source_key": self.source_key,
            "message": self.message,
        }


@dataclass
class RuleResult:
    """One rule's verdict for one scope (the council's staging, or one financial year).

    DQ rules: ``expected`` is 0 and ``observed`` the number of rejected rows. RC rules:
    ``discrepancies`` rows, each with the expected and observed figure and a message such as
    ``RC02 2019/20 stage 1: teams sum to 56, ...``; ``expected``/``observed`` are those of the
    first discrepancy (None when the rule holds).
    """

    code: str
    severity: str
    description: str
    passed: bool
    expected: Any = None
    observed: Any = None
    discrepancies: list[dict[str, Any]] = field(default_factory=list)
    rejected_by_table: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)  # DQ: one per rejected row
    # DQ: each rejected row (RejectedRow.as_json): its complaint's reference, table, key, message
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def critical(self) -> bool:
        return self.severity == "critical"

    @property
    def is_row_check(self) -> bool:
        """A DQ rule (its suite says so): rejected rows, not discrepancies."""
        return rule_by_code(self.code).is_row_check

    def headline(self) -> str:
        """One line for logs and alerts, e.g. ``DQ05 (critical): expected 0 ... observed 3``."""
        if self.is_row_check:
            tables = ", ".join(f"{t} {n}" for t, n in sorted(self.rejected_by_table.items()))
            return (
                f"{self.description} ({self.severity}): expected 0 rejected rows, "
                f"observed {self.observed}" + (f" ({tables})" if tables else "")
            )
        return (
            f"{self.description} ({self.severity}): {len(self.discrepancies)} "
            f"discrepanc{'y' if len(self.discrepancies) == 1 else 'ies'}"
        )

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "rule": self.description,
            "passed": self.passed,
            "expected": self.expected,
            "observed": self.observed,
        }
        if self.is_row_check:
            data["rejected_rows_by_table"] = dict(sorted(self.rejected_by_table.items()))
            data["rejected_rows"] = self.rejected_rows
        else:
            data["discrepancies"] = self.discrepancies
        return data


def row_check_result(
    rule: Rule, rejects: Sequence[RejectedRow], passed: bool | None = None
) -> RuleResult:
    """A DQ rule's verdict from the rows it rejects: in a council's staging (the row checks,
    which pass GX's own verdict as ``passed``), or those touching one year (a reconciliation)."""
    return RuleResult(
        code=rule.code,
        severity=rule.severity,
        description=rule.description,
        passed=not rejects if passed is None else passed,
        expected=0,
        observed=len(rejects),
        rejected_by_table=dict(Counter(reject.source_table for reject in rejects)),
        messages=[reject.named for reject in rejects],
        rejected_rows=[reject.as_json() for reject in rejects],
    )


class RuleVerdicts:
    """The verdicts of a set of rules over one scope: the row checks' over a council's staging,
    or a reconciliation's over one financial year. The class using it has a ``rules`` list."""

    rules: list[RuleResult]

    @property
    def failed_rules(self) -> list[RuleResult]:
        return [rule for rule in self.rules if not rule.passed]

    @property
    def critical_failures(self) -> list[RuleResult]:
        return [rule for rule in self.failed_rules if rule.critical]

    @property
    def warnings(self) -> list[RuleResult]:
        return [rule for rule in self.failed_rules if not rule.critical]

    @property
    def rejected_counts(self) -> dict[str, int]:
        """Rejected rows by DQ rule code (rules without rejects left out)."""
        return {r.code: r.observed for r in self.rules if r.is_row_check and r.observed}
