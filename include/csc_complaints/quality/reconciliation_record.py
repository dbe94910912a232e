"""The warehouse's record of reconciliations: which years are reconciled, and every result.

``dq_reconciliations`` holds one row per (council, year): the year's latest reconciliation, the
run and time, and the fingerprint of the stats it checked (``etl_year_builds.fingerprint``, read
before the check). ``dq_reconciliation_results`` holds each DQ and RC verdict of it. Together
they are the only record that counts: ``<output>/<YYYY-YY>/reconciliation.json`` is written from
them, and written again from them whenever it is missing or differs (a fresh output folder, a
deleted or hand-edited file).

A year is *reconciled* when its recorded fingerprint is the fingerprint of the stats it holds
now. Any other year is *owed* a reconciliation, and so is a year whose latest reconciliation the
alert step has not dealt with yet (``reported_at`` NULL): a build or reconciliation killed
half-way leaves its years owed, and the next run reconciles and alerts them, however the last
one ended. Comparing fingerprints, not times, also means a year rebuilt with the same figures
stays reconciled.

No Great Expectations here: the readiness check of the report reads this too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from csc_complaints.db import sql
from csc_complaints.quality.results import RuleResult

STEP = "quality"


@dataclass(frozen=True)
class RecordedYear:
    """A year's latest reconciliation as the warehouse holds it."""

    financial_year: str
    stats_fingerprint: str | None
    run_id: str
    reconciled_at: datetime  # aware, UTC
    data_docs: str | None
    reported_at: datetime | None
    rules: tuple[RuleResult, ...] = field(default=())


@dataclass(frozen=True)
class YearState:
    """A year's stats build and latest reconciliation, side by side (for the report)."""

    financial_year: str
    built_fingerprint: str | None
    built_at: datetime | None
    built_run_id: str | None
    recorded: RecordedYear | None

    @property
    def reconciled(self) -> bool:
        """The latest reconciliation checked exactly the stats the year holds now."""
        return (
            self.recorded is not None and self.recorded.stats_fingerprint == self.built_fingerprint
        )


def _utc(value: Any) -> datetime | None:
    """A stored time (naive UTC; SQLite may return text) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _json(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=False)


def _details(rule: RuleResult) -> dict[str, Any]:
    if rule.is_row_check:
        return {"rejected_rows_by_table": rule.rejected_by_table, "messages": rule.messages}
    return {"discrepancies": rule.discrepancies}


def built_fingerprints(engine: Engine, council_code: str) -> dict[str, str]:
    """Each year's fingerprint in ``etl_year_builds``: the stats a reconciliation is about to
    check. Read before checking, so a build that lands meanwhile leaves the year owed."""
    with engine.connect() as conn:
        rows = conn.execute(sql(STEP, "built_fingerprints"), {"council_code": council_code})
        return {year: fingerprint for year, fingerprint in rows}


def owed_years(engine: Engine, council_code: str) -> list[str]:
    """The years owed a reconciliation (see the module docstring), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(sql(STEP, "reconciliation_owed"), {"council_code": council_code})
        return sorted({row[0] for row in rows})


def store_reconciled_years(
    engine: Engine,
    council_code: str,
    run_id: str,
    reconciled_at: datetime,
    years: Mapping[str, tuple[str | None, str | None, Sequence[RuleResult]]],
) -> None:
    """Record each year's reconciliation, replacing the one before, in one transaction.

    ``years``: financial year -> (fingerprint of the stats checked, Data Docs page, rules).
    """
    at = _naive_utc(reconciled_at)
    with engine.begin() as conn:
        for year, (fingerprint, data_docs, rules) in sorted(years.items()):
            key = {"council_code": council_code, "financial_year": year}
            conn.execute(sql(STEP, "delete_reconciliation_results"), key)
            conn.execute(sql(STEP, "delete_reconciliation"), key)
            conn.execute(
                sql(STEP, "insert_reconciliation"),
                {
                    **key,
                    "stats_fingerprint": fingerprint,
                    "run_id": run_id,
                    "reconciled_at": at,
                    "data_docs": data_docs,
                },
            )
            if rules:
                conn.execute(
                    sql(STEP, "insert_reconciliation_result"),
                    [
                        {
                            **key,
                            "rule_code": rule.code,
                            "position": position,
                            "severity": rule.severity,
                            "description": rule.description,
                            "passed": bool(rule.passed),
                            "expected": _json(rule.expected),
                            "observed": _json(rule.observed),
                            "details": _json(_details(rule)),
                        }
                        for position, rule in enumerate(rules)
                    ],
                )


def _rule(row: Any) -> RuleResult:
    details = json.loads(row.details)
    return RuleResult(
        code=row.rule_code,
        severity=row.severity,
        description=row.description,
        passed=bool(row.passed),
        expected=json.loads(row.expected),
        observed=json.loads(row.observed),
        discrepancies=details.get("discrepancies", []),
        rejected_by_table=details.get("rejected_rows_by_table", {}),
        messages=details.get("messages", []),
    )


def _load(conn: Connection, council_code: str, years: Iterable[str] | None) -> dict:
    wanted = None if years is None else set(years)
    params = {"council_code": council_code}
    rules: dict[str, list[RuleResult]] = {}
    for row in conn.execute(sql(STEP, "select_reconciliation_results"), params):
        if wanted is None or row.financial_year in wanted:
            rules.setdefault(row.financial_year, []).append(_rule(row))
    recorded = {}
    for row in conn.execute(sql(STEP, "select_reconciliations"), params):
        if wanted is None or row.financial_year in wanted:
            recorded[row.financial_year] = RecordedYear(
                financial_year=row.financial_year,
                stats_fingerprint=row.stats_fingerprint,
                run_id=row.run_id,
                reconciled_at=_utc(row.reconciled_at),
                data_docs=row.data_docs,
                reported_at=_utc(row.reported_at),
                rules=tuple(rules.get(row.financial_year, ())),
            )
    return recorded


def load_recorded_years(
    engine: Engine, council_code: str, years: Iterable[str] | None = None
) -> dict[str, RecordedYear]:
    """The recorded reconciliation of each year (all years of the council when ``years`` is
    None); a year never reconciled is absent."""
    with engine.connect() as conn:
        return _load(conn, council_code, years)


def year_state(engine: Engine, council_code: str, financial_year: str) -> YearState:
    """The year's build (``etl_year_builds``) and latest reconciliation, read together."""
    params = {"council_code": council_code, "financial_year": financial_year}
    with engine.connect() as conn:
        build = conn.execute(sql(STEP, "select_year_build"), params).first()
        recorded = _load(conn, council_code, [financial_year]).get(financial_year)
    return YearState(
        financial_year=financial_year,
        built_fingerprint=build.fingerprint if build else None,
        built_at=_utc(build.built_at) if build else None,
        built_run_id=build.run_id if build else None,
        recorded=recorded,
    )


def mark_reported(
    conn: Connection, council_code: str, run_id: str, years: Iterable[str], at: datetime
) -> None:
    """The alert step has dealt with these years' reconciliation by ``run_id`` (inside the
    transaction that records what it sent): they are no longer owed."""
    for year in sorted(set(years)):
        conn.execute(
            sql(STEP, "mark_reconciliation_reported"),
            {
                "council_code": council_code,
                "financial_year": year,
                "run_id": run_id,
                "reported_at": _naive_utc(at),
            },
        )
