"""The warehouse's record of reconciliations: which years are reconciled, and every result.

``dq_reconciliations`` holds one row per (council, year): the year's latest reconciliation, the
run and time, and the fingerprint of the stats it checked (``etl_year_builds.fingerprint``, read
before the check). ``dq_reconciliation_results`` holds each DQ and RC verdict of it. Together
they are the only record that counts: ``<output>/<YYYY-YY>/reconciliation.json`` is written from
them, and written again from them whenever it is missing or differs (a fresh output folder, a
deleted or hand-edited file).

A year is *reconciled* when its recorded fingerprints are those of the stats it holds now and of
the rows rejected now (a row rejected later changes the year's DQ verdict even when no figure
moves). Any other year is *owed* a reconciliation, and so is a year whose latest reconciliation
the alert step has not dealt with yet (``reported_at`` NULL): a build or reconciliation killed
half-way leaves its years owed, and the next run reconciles and alerts them, however the last
one ended. Comparing fingerprints, not times, also means a year rebuilt with the same figures
stays reconciled.

No Great Expectations here: the readiness check of the report reads this too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from csc_complaints.db import sql
from csc_complaints.quality.results import RejectedRow, RuleResult

STEP = "quality"


@dataclass(frozen=True)
class RecordedYear:
    """A year's latest reconciliation as the warehouse holds it."""

    financial_year: str
    stats_fingerprint: str | None  # of the stats checked (etl_year_builds); None: no stats
    rejects_fingerprint: str  # of the rejected rows that touched the year (rejects_fingerprint)
    run_id: str
    reconciled_at: datetime  # aware, UTC
    data_docs: str | None
    reported_at: datetime | None = None
    rules: tuple[RuleResult, ...] = field(default=())


@dataclass(frozen=True)
class YearState:
    """A year as it stands now (stats build, rejected rows) beside its latest reconciliation."""

    financial_year: str
    built_fingerprint: str | None
    built_at: datetime | None
    built_run_id: str | None
    rejects_fingerprint: str  # of the rows rejected now
    recorded: RecordedYear | None

    @property
    def stats_changed(self) -> bool:
        """The year's stats are not those its latest reconciliation checked."""
        return self.recorded is None or self.recorded.stats_fingerprint != self.built_fingerprint

    @property
    def rejects_changed(self) -> bool:
        """Rows were rejected, or released, since the year's latest reconciliation."""
        return (
            self.recorded is None or self.recorded.rejects_fingerprint != self.rejects_fingerprint
        )

    @property
    def reconciled(self) -> bool:
        """The latest reconciliation checked exactly what the year holds now."""
        return not (self.stats_changed or self.rejects_changed)


def rejects_fingerprint(rejects: Iterable[RejectedRow]) -> str:
    """sha256 of rejected rows: the rows (rule, table, key), not their messages (a DQ02
    message quotes the extract's date, which moves)."""
    lines = sorted({f"{r.rule_code}\t{r.source_table}\t{r.source_key}" for r in rejects})
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


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
    return json.dumps(value, default=str)


def _details(rule: RuleResult) -> dict[str, Any]:
    if rule.is_row_check:
        return {
            "rejected_rows_by_table": rule.rejected_by_table,
            "messages": rule.messages,
            "rejected_rows": rule.rejected_rows,
        }
    return {"discrepancies": rule.discrepancies}


def built_fingerprints(engine: Engine, council_code: str) -> dict[str, str]:
    """Each year's fingerprint in ``etl_year_builds``: the stats a reconciliation is about to
    check. Read before checking, so a build that lands meanwhile leaves the year owed."""
    with engine.connect() as conn:
        rows = conn.execute(sql(STEP, "built_fingerprints"), {"council_code": council_code})
        return {year: fingerprint for year, fingerprint in rows}


def owed_by_stats(engine: Engine, council_code: str) -> set[str]:
    """The years owed a reconciliation for their stats (built since, or emptied) or because it
    was never alerted: ``reconciliation_owed.sql``."""
    with engine.connect() as conn:
        rows = conn.execute(sql(STEP, "reconciliation_owed"), {"council_code": council_code})
        return {row[0] for row in rows}


def store_reconciled_years(
    engine: Engine, council_code: str, years: Sequence[RecordedYear]
) -> None:
    """Record each year's reconciliation, replacing the one before, in one transaction."""
    with engine.begin() as conn:
        for year in sorted(years, key=lambda y: y.financial_year):
            key = {"council_code": council_code, "financial_year": year.financial_year}
            conn.execute(sql(STEP, "delete_reconciliation_results"), key)
            conn.execute(sql(STEP, "delete_reconciliation"), key)
            conn.execute(
                sql(STEP, "insert_reconciliation"),
                {
                    **key,
                    "stats_fingerprint": year.stats_fingerprint,
                    "rejects_fingerprint": year.rejects_fingerprint,
                    "run_id": year.run_id,
                    "reconciled_at": _naive_utc(year.reconciled_at),
                    "data_docs": year.data_docs,
                },
            )
            if year.rules:
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
                        for position, rule in enumerate(year.rules)
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
        rejected_rows=details.get("rejected_rows", []),
    )


def _load(
    conn: Connection, council_code: str, years: Iterable[str] | None, with_rules: bool
) -> dict[str, RecordedYear]:
    wanted = None if years is None else set(years)
    params = {"council_code": council_code}
    rules: dict[str, list[RuleResult]] = {}
    if with_rules:
        for row in conn.execute(sql(STEP, "select_reconciliation_results"), params):
            if wanted is None or row.financial_year in wanted:
                rules.setdefault(row.financial_year, []).append(_rule(row))
    recorded = {}
    for row in conn.execute(sql(STEP, "select_reconciliations"), params):
        if wanted is None or row.financial_year in wanted:
            recorded[row.financial_year] = RecordedYear(
                financial_year=row.financial_year,
                stats_fingerprint=row.stats_fingerprint,
                rejects_fingerprint=row.rejects_fingerprint,
                run_id=row.run_id,
                reconciled_at=_utc(row.reconciled_at),
                data_docs=row.data_docs,
                reported_at=_utc(row.reported_at),
                rules=tuple(rules.get(row.financial_year, ())),
            )
    return recorded


def load_recorded_years(
    engine: Engine,
    council_code: str,
    years: Iterable[str] | None = None,
    *,
    with_rules: bool = True,
) -> dict[str, RecordedYear]:
    """The recorded reconciliation of each year (all years of the council when ``years`` is
    None); a year never reconciled is absent. ``with_rules=False``: the years alone."""
    with engine.connect() as conn:
        return _load(conn, council_code, years, with_rules)


def load_year_state(
    engine: Engine, council_code: str, financial_year: str, current_rejects: str
) -> YearState:
    """The year's build (``etl_year_builds``) and latest reconciliation, read together;
    ``current_rejects``: the fingerprint of the rows rejected in the year now."""
    params = {"council_code": council_code, "financial_year": financial_year}
    with engine.connect() as conn:
        build = conn.execute(sql(STEP, "select_year_build"), params).first()
        recorded = _load(conn, council_code, [financial_year], True).get(financial_year)
    return YearState(
        financial_year=financial_year,
        built_fingerprint=build.fingerprint if build else None,
        built_at=_utc(build.built_at) if build else None,
        built_run_id=build.run_id if build else None,
        rejects_fingerprint=current_rejects,
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
