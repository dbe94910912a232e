"""Each rule's query runs once while GX validates it (gx_counted_rows), with the same verdict."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from csc_complaints.db import make_engine
from csc_complaints.quality.suites import DQ_SUITE, load_rules

FAILING_ROWS = 250  # more than the 200-row sample GX keeps: the count must not stop there
SCOPE = {"council_code": "E06000005", "as_of_date": "2020-09-01"}


@pytest.fixture
def numbers(new_database) -> str:
    """A warehouse (SQLite, and PostgreSQL) holding one table of numbers for the rules to read."""
    url = new_database()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE numbers (n INTEGER PRIMARY KEY)")
        conn.exec_driver_sql(
            "INSERT INTO numbers (n) VALUES " + ", ".join(f"({n})" for n in range(FAILING_ROWS))
        )
    engine.dispose()
    return url


def _rule_query(rule: int, failing: bool) -> str:
    where = "n.n >= 0" if failing else "n.n < 0"
    return (
        "SELECT 'numbers' AS source_table, CAST(n.n AS VARCHAR(60)) AS source_key,"
        f" 'rule {rule} row ' || CAST(n.n AS VARCHAR(60)) AS message"
        " FROM numbers n JOIN {batch} AS scope ON scope.council_code = 'E06000005'"
        f" WHERE {where} AND {rule} = {rule}"
    )


@pytest.fixture
def statements():
    """Every SQL statement any engine runs while the test runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_each_rule_query_runs_once_and_a_failing_rule_is_counted_past_the_sample(
    numbers, statements, tmp_path
):
    from csc_complaints.quality.gx_validation import validate_suite

    codes = [rule.code for rule in load_rules(DQ_SUITE)]
    rule_numbers = itertools.count()
    # Every rule's query replaced (validate_suite's rewrite hook, in suite order): the first
    # fails on every number, the others find nothing.
    queries: list[str] = []

    def rewrite(_query: str) -> str:
        rule = next(rule_numbers)
        queries.append(_rule_query(rule, failing=rule == 0))
        return queries[-1]

    run = validate_suite(numbers, DQ_SUITE, SCOPE, "counted", tmp_path, rewrite=rewrite)

    failing = run.outcomes[codes[0]]
    assert not failing.success
    assert failing.unexpected_count == FAILING_ROWS
    assert sorted(int(row["source_key"]) for row in failing.rows) == list(range(FAILING_ROWS))
    assert all(run.outcomes[code].success for code in codes[1:])
    assert all(run.outcomes[code].unexpected_count == 0 for code in codes[1:])
    assert not any("unexpected_row_count" in s for s in statements)  # no COUNT(*) wrapper

    def runs_of(rule: int) -> int:
        marker = f"WHERE n.n {'>=' if rule == 0 else '<'} 0 AND {rule} = {rule}"
        return sum(marker in s for s in statements)

    assert [runs_of(rule) for rule in range(len(codes))] == [2] + [1] * (len(codes) - 1)
    # Validated once, then every row of the failing rule fetched once (get_unexpected_rows).


def test_the_data_docs_page_shows_each_rule_with_its_count(numbers, tmp_path):
    from csc_complaints.quality.gx_validation import validate_suite

    rule_numbers = itertools.count()

    def rewrite(_query: str) -> str:
        rule = next(rule_numbers)
        return _rule_query(rule, failing=rule == 0)

    run = validate_suite(numbers, DQ_SUITE, SCOPE, "docs", tmp_path, rewrite=rewrite)
    html = Path(run.data_docs_page.removeprefix("file://")).read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    # Each rule's row: its description, then its observed count (past the 200-row sample).
    rules = load_rules(DQ_SUITE)
    assert f"{rules[0].description} {FAILING_ROWS}" in text
    assert all(f"{rule.description} 0" in text for rule in rules[1:])
