"""Councils for the many-council tests: a registry file, synthetic sources, a broken complaint.

The first council of every registry here is the settings' own (Darlington, the reference
dataset, connection ``complaints_source``); the others are synthetic councils of
``csc_complaints_demo.synthetic``, each seeded with its own seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from csc_complaints.db import make_engine


@dataclass(frozen=True)
class RegistryCouncil:
    code: str
    name: str
    short_name: str
    source_conn_id: str
    approvers: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.short_name} ({self.code})"

    @property
    def conn_variable(self) -> str:
        return f"AIRFLOW_CONN_{self.source_conn_id.upper()}"


DARLINGTON = RegistryCouncil(
    "E06000005", "Darlington Borough Council", "Darlington", "complaints_source"
)
NORTHMOOR = RegistryCouncil(
    "E06000999", "Northmoor Council", "Northmoor", "complaints_source_northmoor"
)
EASTBROOK = RegistryCouncil(
    "E08000998",
    "Eastbrook Metropolitan Borough Council",
    "Eastbrook",
    "complaints_source_eastbrook",
)


def write_registry(path: Path, councils: list[RegistryCouncil]) -> Path:
    """A council registry (``COMPLAINTS_COUNCILS_FILE``) holding ``councils``, in order."""
    tables = []
    for council in councils:
        table = (
            f'[[council]]\ncode = "{council.code}"\nname = "{council.name}"\n'
            f'short_name = "{council.short_name}"\nsource_conn_id = "{council.source_conn_id}"\n'
        )
        if council.approvers:
            table += f"approvers = [{', '.join(f'{a!r}' for a in council.approvers)}]\n"
        tables.append(table.replace("'", '"'))
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


def seed_synthetic_source(url: str, seed: int, complaints_per_year: int = 120) -> None:
    """A clean synthetic source of 2018/19 and 2019/20 (its own teams, its own seed)."""
    from csc_complaints_demo.synthetic import GeneratorConfig, generate

    config = GeneratorConfig(
        seed=seed, first_year="2018/19", years=2, complaints_per_year=complaints_per_year
    )
    engine = make_engine(url)
    generate(engine, config, progress=False)
    engine.dispose()


# A 2019/20 complaint with one stage, decided, and nothing else hanging on it.
_ONE_STAGE_COMPLAINT = """
SELECT MIN(s.stage_id) FROM complaint_stages s JOIN complaints c ON c.complaint_id = s.complaint_id
WHERE s.stage = 1 AND s.outcome IS NOT NULL AND s.response_date IS NOT NULL
  AND s.deleted_at IS NULL AND c.deleted_at IS NULL
  AND s.requested_date >= '2019-04-01' AND s.response_date < '2020-03-01'
  AND c.received_date >= '2019-04-01'
  AND (SELECT COUNT(*) FROM complaint_stages o WHERE o.complaint_id = c.complaint_id) = 1
  AND NOT EXISTS (SELECT 1 FROM learning_actions a WHERE a.complaint_id = c.complaint_id)
  AND NOT EXISTS (SELECT 1 FROM ombudsman_cases o WHERE o.complaint_id = c.complaint_id)
"""


def break_one_complaint(url: str) -> int:
    """DQ05 on one 2019/20 stage (a response date without an outcome); its complaint's id.

    The row checks reject the stage and hold its complaint back whole
    (docs/counting-rules.md), so the year stays a DRAFT."""
    engine = make_engine(url)
    with engine.begin() as conn:
        stage_id = conn.execute(text(_ONE_STAGE_COMPLAINT)).scalar_one()
        complaint_id = conn.execute(
            text("SELECT complaint_id FROM complaint_stages WHERE stage_id = :s"), {"s": stage_id}
        ).scalar_one()
        conn.execute(
            text("UPDATE complaint_stages SET outcome = NULL WHERE stage_id = :s"), {"s": stage_id}
        )
    engine.dispose()
    return complaint_id


def without_complaint(url: str, complaint_id: int) -> None:
    """Remove a complaint and its stages from a source: what the figures count while the
    complaint is held back (the oracle then counts the source as the warehouse does)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("DELETE FROM complaint_stages WHERE complaint_id = :c"), {"c": complaint_id}
        )
        conn.execute(text("DELETE FROM complaints WHERE complaint_id = :c"), {"c": complaint_id})
    engine.dispose()
