"""docs/ stays the project's contract: it names what the code defines, and nothing cites a file
the repository does not hold.

Each test reads a definition from its one home in the code (the warehouse schema, the suites,
the settings, the extract's staging tables) and looks for every name in the page that documents
it, so a table, column, rule, setting or DAG added without its documentation fails here.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from csc_complaints.orchestration import (
    ALERT_EMAILS_VARIABLE,
    SMTP_CONN_ID,
    SOURCE_CONN_ID,
    WAREHOUSE_CONN_ID,
    WEBHOOK_CONN_ID,
)
from csc_complaints.quality.suites import DQ_SUITE, RC_SUITE, load_rules
from csc_complaints.quality.tables import quality_metadata
from csc_complaints.settings import PROJECT_ROOT, Settings
from csc_complaints.warehouse.schema import STAGING, STATS_TABLES, metadata
from tests.dags.test_dag_integrity import EXPECTED_DAG_IDS

DOCS = PROJECT_ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
# The contracts the project restates in docs/; its code must not send a reader to them.
SPEC_FILE = re.compile(r"\b(?:DATA|QUALITY|REPORT|DESIGN)\.md\b")
CODE_FOLDERS = ("include", "dags", "plugins", "tests", "benchmarks", "expectations", "docker")
CODE_FILES = ("README.md", "Makefile", "pyproject.toml", "docker-compose.yml", ".env.example")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _code_lines() -> list[tuple[str, str]]:
    """(where, line) for every line of the project's code, tests, SQL and configuration."""
    paths = [PROJECT_ROOT / name for name in CODE_FILES]
    for folder in CODE_FOLDERS:
        paths += [p for p in (PROJECT_ROOT / folder).rglob("*") if p.is_file()]
    lines = []
    for path in paths:
        if "__pycache__" in path.parts or path.suffix in {".pyc", ".db"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            lines.append((f"{path.relative_to(PROJECT_ROOT)}:{number}", line.strip()))
    return lines


def test_nothing_cites_the_spec_files_instead_of_docs():
    assert [f"{where}: {line}" for where, line in _code_lines() if SPEC_FILE.search(line)] == []


def test_every_docs_page_the_code_cites_exists():
    cited = {
        (where, name)
        for where, line in _code_lines()
        for name in re.findall(r"\bdocs/([\w-]+\.md)\b", line)
    }
    assert cited, "the code cites no page of docs/ at all"
    assert [f"{where}: docs/{name}" for where, name in cited if not (DOCS / name).exists()] == []


def _anchor(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {_anchor(line.lstrip("#")) for line in lines if re.match(r"#{1,6} ", line)}


@pytest.mark.parametrize("path", [PROJECT_ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_every_link_between_the_pages_resolves(path: Path):
    for target in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        assert linked.exists(), f"{path.name} links to {target}, which does not exist"
        if anchor:
            assert anchor in _anchors(linked), f"{path.name} links to {target}: no such heading"


def test_the_index_lists_every_page():
    index = _page("README.md")
    for page in PAGES:
        if page.name != "README.md":
            assert f"]({page.name})" in index, f"docs/README.md does not list {page.name}"


def test_every_warehouse_table_and_column_is_documented():
    page = _page("warehouse.md")
    for table in [*metadata.sorted_tables, *quality_metadata.sorted_tables]:
        assert f"`{table.name}`" in page, f"docs/warehouse.md does not describe {table.name}"
        for column in table.columns:
            assert f"`{column.name}`" in page, f"docs/warehouse.md: {table.name}.{column.name}"


def test_every_stats_table_has_its_own_section():
    page = _page("warehouse.md")
    for table in STATS_TABLES:
        assert f"**`{table.name}`**" in page, table.name


def test_every_rule_is_documented_with_its_severity():
    page = _page("quality.md")
    for suite in (DQ_SUITE, RC_SUITE):
        for rule in load_rules(suite):
            rows = [line for line in page.splitlines() if line.startswith(f"| {rule.code} |")]
            assert rows, f"docs/quality.md has no table row for {rule.code}"
            if suite == RC_SUITE:
                assert f"| {rule.severity} |" in rows[0], f"{rule.code} is {rule.severity}"
    if all(rule.critical for rule in load_rules(DQ_SUITE)):
        assert "Every DQ rule is **critical**" in page


def test_every_column_the_extract_reads_is_documented():
    page = _page("source-schema.md")
    bookkeeping = {"council_code", "_source_copies", "_run_id"}
    for source_table, (staging, _key) in STAGING.items():
        assert f"`{source_table}.sql`" in page, f"docs/source-schema.md: {source_table}.sql"
        for column in staging.columns:
            if column.name not in bookkeeping:
                assert f"`{column.name}`" in page or f" {column.name}," in page, (
                    f"docs/source-schema.md: {source_table}.{column.name}"
                )


def test_every_extract_sql_file_is_documented():
    page = _page("source-schema.md")
    for path in sorted((PROJECT_ROOT / "include" / "sql" / "extract").glob("*.sql")):
        assert f"`{path.name}`" in page, f"docs/source-schema.md does not name {path.name}"


def test_every_setting_is_documented():
    page = _page("operations.md")
    for field in dataclasses.fields(Settings):
        assert f"`{field.name}`" in page or f"`[{field.name}]`" in page, field.name


def test_every_dag_and_connection_is_on_the_map():
    page = _page("architecture.md")
    names = [
        *EXPECTED_DAG_IDS,
        SOURCE_CONN_ID,
        WAREHOUSE_CONN_ID,
        SMTP_CONN_ID,
        WEBHOOK_CONN_ID,
        ALERT_EMAILS_VARIABLE,
    ]
    for name in names:
        assert f"`{name}`" in page, f"docs/architecture.md does not name {name}"
