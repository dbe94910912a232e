"""Fixtures for the quality tests: a lax source, a warehouse, and the pipeline steps around them."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from csc_complaints.db import make_engine
from csc_complaints.extract import run_extract
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.build import build_warehouse
from tests.quality.dataset import EXTRACT_AT, seed_lax_source

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@dataclasses.dataclass
class Pipeline:
    """A lax source (SQLite), a warehouse (SQLite or PostgreSQL) and an output folder."""

    source: object
    warehouse: object
    output: Path
    settings: object

    def extract(self, run_id: str, now=EXTRACT_AT):
        return run_extract(self.source, self.warehouse, self.settings, run_id, now=now)

    def row_checks(self, run_id: str):
        from csc_complaints.quality import run_row_checks

        return run_row_checks(self.warehouse, self.settings, run_id, self.output)

    def build(self, run_id: str):
        return build_warehouse(self.warehouse, self.settings, run_id)

    def reconcile(self, run_id: str, years):
        from csc_complaints.quality import run_reconciliation

        return run_reconciliation(self.warehouse, self.settings, run_id, years, self.output)


@pytest.fixture
def pipeline(new_database, new_sqlite_database, tmp_path) -> Callable[..., Pipeline]:
    """Seeded lax source + empty warehouse of each kind; call it to get the Pipeline."""
    engines = []

    def make(seed: bool = True) -> Pipeline:
        source = make_engine(new_sqlite_database())
        warehouse = make_engine(new_database())
        engines.extend([source, warehouse])
        if seed:
            seed_lax_source(source)
        settings = dataclasses.replace(load_settings(), output_dir=str(tmp_path / "output"))
        return Pipeline(source, warehouse, tmp_path / "output", settings)

    yield make
    for engine in engines:
        engine.dispose()
