"""DAG policy, in the style of the Astro project template: every DAG file imports cleanly,
declares its owner, tags, retries and docs, and imports nothing heavy at parse time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from csc_complaints.settings import PROJECT_ROOT

DAGS_FOLDER = PROJECT_ROOT / "dags"
DAG_FILES = sorted(p for p in DAGS_FOLDER.glob("*.py") if not p.name.startswith("_"))
# The contract (docs/architecture.md): these DAGs exist, each in the file named after it,
# whatever files the folder happens to hold.
EXPECTED_DAG_IDS = (
    "complaints_extract",
    "complaints_warehouse",
    "complaints_annual_report",
    "complaints_source_comparison",
    "complaints_operations_alerts",
    "complaints_quarterly_monitoring",
)
# Imported inside tasks only: GX alone takes seconds to import, and the dag-processor parses
# every file again and again.
HEAVY_MODULES = ("great_expectations", "pandas", "reportlab", "numpy", "scipy", "holidays")


@pytest.fixture(scope="module")
def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_dags_import_without_errors(dag_bag):
    assert dag_bag.import_errors == {}


@pytest.mark.parametrize("dag_id", EXPECTED_DAG_IDS)
def test_the_contract_dag_exists_in_its_own_file(dag_bag, dag_id):
    assert dag_id in dag_bag.dag_ids, f"{dag_id} is missing from {DAGS_FOLDER}"
    assert Path(dag_bag.dags[dag_id].fileloc) == DAGS_FOLDER / f"{dag_id}.py"


def test_every_dag_follows_the_policy(dag_bag):
    for dag_id, dag in dag_bag.dags.items():
        assert dag.tags and "complaints" in dag.tags, f"{dag_id} needs the complaints tag"
        assert dag.doc_md and len(dag.doc_md.strip()) > 80, f"{dag_id} needs doc_md"
        for task in dag.tasks:
            assert task.owner not in (None, "", "airflow"), f"{dag_id}.{task.task_id} owner"
            # Every task retries, except a person's decision (approval), which is not retried.
            # (A task in a task group: its id after the group's, "council.approve_report".)
            name = task.task_id.rsplit(".", 1)[-1]
            assert task.retries >= 1 or name.startswith("approve"), (
                f"{dag_id}.{task.task_id} needs retries"
            )
            assert task.doc_md or task.doc, f"{dag_id}.{task.task_id} needs a docstring"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_imports_nothing_heavy(dag_file: Path):
    """Parse the file in a fresh interpreter that has already imported airflow.sdk (what the
    dag-processor pays per file) and list the heavy modules that came in with it."""
    probe = (
        "import sys, runpy, airflow.sdk\n"
        "before = set(sys.modules)\n"
        f"runpy.run_path({str(dag_file)!r})\n"
        f"heavy = sorted(m for m in set(sys.modules) - before\n"
        f"               if m.split('.')[0] in {HEAVY_MODULES!r})\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert out.stdout.strip() == "", f"{dag_file.name} imports {out.stdout.strip()} at parse time"
