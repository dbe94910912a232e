"""The clean reference dataset and a synthetic source pass every rule; checks are idempotent."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select

from csc_complaints.db import make_engine
from csc_complaints.extract import run_extract
from csc_complaints.quality import run_reconciliation, run_row_checks
from csc_complaints.quality.suites import DQ_SUITE, RC_SUITE, load_rules
from csc_complaints.settings import load_settings
from csc_complaints.warehouse.build import build_warehouse
from csc_complaints.warehouse.schema import dq_rejects
from csc_complaints_demo.reference_data import build_reference_dataset
from csc_complaints_demo.synthetic import GeneratorConfig, generate
from tests.quality.dataset import execute


def _run_all(source_url, warehouse_url, output):
    source, warehouse = make_engine(source_url), make_engine(warehouse_url)
    settings = dataclasses.replace(load_settings(), output_dir=str(output))
    run_extract(source, warehouse, settings, "extract-1")
    checks = run_row_checks(warehouse, settings, "extract-1", output)
    build = build_warehouse(warehouse, settings, "warehouse-1")
    recon = run_reconciliation(warehouse, settings, "warehouse-1", build.financial_years, output)
    source.dispose()
    warehouse.dispose()
    return checks, build, recon


def test_reference_dataset_passes_every_rule(new_database, tmp_path):
    source_url, warehouse_url = new_database(), new_database()
    build_reference_dataset(make_engine(source_url))
    checks, build, recon = _run_all(source_url, warehouse_url, tmp_path)
    assert checks.failed_rules == [], checks.summary()
    assert set(build.financial_years) == {"2018/19", "2019/20"}
    for year, rec in recon.years.items():
        assert rec.failed_rules == [], recon.summary()
        written = json.loads(
            (tmp_path / year.replace("/", "-") / "reconciliation.json").read_text()
        )
        assert written["passed"] is True and written["draft"] is False
        rules = len(load_rules(DQ_SUITE)) + len(load_rules(RC_SUITE))
        assert len(written["rules"]) == rules and all(r["passed"] for r in written["rules"])


def test_synthetic_source_passes_every_rule(new_sqlite_database, tmp_path):
    source_url, warehouse_url = new_sqlite_database(), new_sqlite_database()
    config = GeneratorConfig(years=2, complaints_per_year=120, canary="Canary-Quality-55")
    generate(make_engine(source_url), config, progress=False)
    checks, build, recon = _run_all(source_url, warehouse_url, tmp_path)
    assert checks.failed_rules == [], checks.summary()
    assert recon.years and all(not rec.failed_rules for rec in recon.years.values()), (
        recon.summary()
    )


def test_row_checks_are_idempotent_and_keep_the_first_run(pipeline):
    p = pipeline()
    execute(p.source, "UPDATE complaint_stages SET outcome = NULL WHERE stage_id = 101")
    p.extract("extract-1")
    first = p.row_checks("extract-1")
    second = p.row_checks("extract-2")
    assert (first.new_rejects, second.new_rejects, second.resolved_rejects) == (1, 0, 0)
    with p.warehouse.connect() as conn:
        rows = conn.execute(select(dq_rejects)).mappings().all()
    assert [(r["rule_code"], r["source_key"], r["first_run_id"], r["run_id"]) for r in rows] == [
        ("DQ05", "101", "extract-1", "extract-2")
    ]
    assert rows[0]["message"] == "complaint_stages 101: response_date without outcome"
