"""The rule definitions: the Great Expectations suites kept as files in ``expectations/``.

Every DQ and RC rule is one ``unexpected_rows_expectation`` in a suite file. Its query returns
one row per offending source row (DQ) or per discrepancy (RC); no row means the rule holds. The
expectation's ``meta.code``, ``severity`` and ``description`` are the rule's code, severity and
wording, ``meta.summary`` what it checks in a few words (alerts and the annex's table of held-back
rows), ``meta.plain_english`` the rule in one plain sentence for a member of the public (the
annex's table of checks, which names the two figures the rule compares in that order) and, for
a reconciliation rule, ``meta.compared_query`` the year's two figures it compares (the annex
shows them when the rule holds, so no cell is blank); the suite it is in is its kind: a row
check (``dq_staging``) or a reconciliation (``rc_warehouse``).
Validation (GX), quarantine (``dq_rejects``), alert text, ``reconciliation.json`` and the report
all read these files (``load_rules``, ``rule_by_code``); no rule, and nothing about one, is
written a second time in Python (docs/quality.md).

Queries are scoped by joining ``{batch} AS scope``: the batch is a query asset holding the
council and the financial year (one row per year reconciled), or the council and the date the
extract ran, so one suite serves every council and year without string-building SQL. A rule
whose result cannot depend on the year (RC01 counts whole tables) says so with
``meta.scope: "council"``: its query reads the batch only as
``SELECT DISTINCT scope.council_code FROM {batch} AS scope``, so it runs once per council however
many years the batch holds, and reconciliation reports its one result in every year.

An incremental row check (csc_complaints.quality.check_scope) validates the same rules on the
rows in ``dq_check_scope`` alone: ``scoped_to_checked_rows`` makes every
``FROM stg_<table> <alias> JOIN {batch} AS scope`` of a DQ query start from the scope table and
join the staged row by its key, so each rule reads the checked rows, not the whole staging. A DQ
query must therefore reach the batch only in that form (checked when the suite is loaded).

This module only reads JSON (no GX import), so the DAG files may import the package at parse
time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from csc_complaints.settings import PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DQ_SUITE = "dq_staging"
RC_SUITE = "rc_warehouse"
SEVERITIES = ("critical", "warning", "info")
COUNCIL_SCOPE = "council"  # meta.scope of a rule that depends on the council alone

# GX formats the query with str.format (so only {batch} may appear in braces) and runs it as a
# SQLAlchemy text() clause (so ':name' would be read as a bind parameter).
_BIND_PARAMETER = re.compile(r"(?<![:\w]):[A-Za-z_]")
_SCOPE_JOIN = "{batch} AS scope"
_SCOPE_COLUMN = re.compile(r"\bscope\.([A-Za-z_]+)")
_COUNCIL_BATCH = "SELECT DISTINCT scope.council_code FROM {batch} AS scope"
# How every DQ query reads a staging table: joined to the batch on the council.
_STAGED_FROM = re.compile(
    r"FROM stg_([a-z_]+) ([a-z][a-z0-9_]*) JOIN \{batch\} AS scope "
    r"ON scope\.council_code = \2\.council_code\b"
)
CHECK_SCOPE_TABLE = "dq_check_scope"


class SuiteError(ValueError):
    """A suite file that cannot drive validation, quarantine and alerts."""


@dataclass(frozen=True)
class Rule:
    """One rule as its suite file defines it."""

    code: str
    severity: str
    description: str  # "DQ05: outcome set without response_date, ..."
    rule: str  # the wording alone
    query: str
    suite: str
    scope: str | None = None  # COUNCIL_SCOPE, or None: the suite's whole scope
    summary: str = ""  # what it checks, in plain words: "Codes are in their lists"
    plain_english: str = ""  # the rule in one sentence for a member of the public
    # RC rules: the year's two compared figures (financial_year, expected, observed), scoped by
    # {batch} AS scope like the rule's query; a council-scoped rule's has no financial_year
    compared_query: str | None = None

    @property
    def critical(self) -> bool:
        return self.severity == "critical"

    @property
    def is_row_check(self) -> bool:
        """A DQ rule: its rows are source rows kept out of the facts (``dq_rejects``), counted
        as rejected rows; otherwise an RC rule, whose rows are discrepancies between figures."""
        return self.suite == DQ_SUITE

    @property
    def council_scoped(self) -> bool:
        """The rule reads the council alone: one result serves every year."""
        return self.scope == COUNCIL_SCOPE


def suite_path(name: str) -> Path:
    return EXPECTATIONS_DIR / f"{name}.json"


def _check_placeholders(where: str, query: str) -> None:
    if set(re.findall(r"\{[^}]*\}", query)) != {"{batch}"}:
        raise SuiteError(f"{where}: the only brace placeholder allowed is {{batch}}")
    if _BIND_PARAMETER.search(query.replace("::", "")):
        raise SuiteError(f"{where}: ':name' would be read as a bind parameter")


@cache
def load_suite_dict(name: str) -> dict:
    """The suite file as GX wrote/reads it (a dict), checked for what this package relies on."""
    path = suite_path(name)
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SuiteError(f"expectation suite {path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise SuiteError(f"expectation suite {path} is not valid JSON: {exc}") from exc
    seen: set[str] = set()
    for position, item in enumerate(suite.get("expectations", [])):
        code = (item.get("meta") or {}).get("code")
        where = f"{path.name} expectation {position} ({code or 'no code'})"
        if item.get("type") != "unexpected_rows_expectation":
            raise SuiteError(f"{where}: only unexpected_rows_expectation is supported")
        if not code or code in seen:
            raise SuiteError(f"{where}: meta.code missing or used twice")
        seen.add(code)
        if item.get("severity") not in SEVERITIES:
            raise SuiteError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        if not item["meta"].get("summary"):
            raise SuiteError(f"{where}: meta.summary (what it checks, in plain words) is missing")
        if not item["meta"].get("plain_english"):
            raise SuiteError(
                f"{where}: meta.plain_english (the rule in one sentence for the public) is missing"
            )
        query = item.get("kwargs", {}).get("unexpected_rows_query", "")
        if _SCOPE_JOIN not in query or " JOIN " not in query:
            # GX aliases {batch} itself unless the query has a JOIN; ours always join the scope.
            raise SuiteError(f"{where}: the query must JOIN {_SCOPE_JOIN}")
        _check_placeholders(where, query)
        if name == DQ_SUITE and len(_STAGED_FROM.findall(query)) != query.count(_SCOPE_JOIN):
            raise SuiteError(
                f"{where}: a row check reads the batch only as "
                "FROM stg_<table> <alias> JOIN {batch} AS scope ON scope.council_code = "
                "<alias>.council_code (so an incremental check can scope it to dq_check_scope)"
            )
        compared_query = item["meta"].get("compared_query")
        if name == RC_SUITE and not compared_query:
            raise SuiteError(f"{where}: meta.compared_query (the figures it compares) is missing")
        if compared_query is not None:
            if _SCOPE_JOIN not in compared_query:
                raise SuiteError(f"{where}: meta.compared_query must read {_SCOPE_JOIN}")
            _check_placeholders(f"{where} meta.compared_query", compared_query)
        scope = item["meta"].get("scope")
        if scope is not None:
            if scope != COUNCIL_SCOPE:
                raise SuiteError(f"{where}: meta.scope may only be {COUNCIL_SCOPE!r}")
            # Its one result is reused for every year, so it must not read the year; and the
            # batch holds a row per year, so it must read each council once, not once a year.
            for text in filter(None, (query, compared_query)):
                if set(_SCOPE_COLUMN.findall(text)) - {"council_code"}:
                    raise SuiteError(
                        f"{where}: a council-scoped query may read only scope.council_code"
                    )
                if text.count(_SCOPE_JOIN) != text.count(_COUNCIL_BATCH):
                    raise SuiteError(
                        f"{where}: a council-scoped query reads the batch as {_COUNCIL_BATCH}"
                    )
    return suite


@cache
def load_rules(name: str) -> tuple[Rule, ...]:
    """The rules of a suite, in file order."""
    suite = load_suite_dict(name)
    return tuple(
        Rule(
            code=item["meta"]["code"],
            severity=item["severity"],
            description=item.get("description") or item["meta"]["code"],
            rule=item["meta"].get("rule", ""),
            query=item["kwargs"]["unexpected_rows_query"],
            suite=name,
            scope=item["meta"].get("scope"),
            summary=item["meta"]["summary"],
            plain_english=item["meta"]["plain_english"],
            compared_query=item["meta"].get("compared_query"),
        )
        for item in suite["expectations"]
    )


@cache
def _rules_by_code() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for name in (DQ_SUITE, RC_SUITE):
        for rule in load_rules(name):
            if rule.code in rules:
                first = rules[rule.code].suite
                raise SuiteError(f"rule {rule.code} is defined in both {first} and {name}")
            rules[rule.code] = rule
    return rules


def rule_by_code(code: str) -> Rule:
    """The rule ``code`` names, from whichever suite defines it; KeyError naming the code when
    none does."""
    try:
        return _rules_by_code()[code]
    except KeyError:
        raise KeyError(f"{code!r} is not a rule of {DQ_SUITE} or {RC_SUITE}") from None


def scoped_to_checked_rows(query: str) -> str:
    """A DQ rule's query restricted to the rows of ``dq_check_scope`` (an incremental check).

    Each ``FROM stg_<table> <alias> JOIN {batch} AS scope ON ...`` becomes
    ``FROM dq_check_scope ck JOIN stg_<table> <alias> ON`` the scope row's table and key ``JOIN
    {batch} AS scope ON ...``: the staged rows the rule reads are the checked ones, looked up by
    key; what the rule says about them (its subqueries on other rows) is unchanged.
    """
    from csc_complaints.warehouse.schema import STAGING

    def scoped(match: re.Match) -> str:
        table, alias = match.group(1), match.group(2)
        if table not in STAGING:
            raise SuiteError(f"stg_{table} is not a staging table")
        key = STAGING[table][1]
        scope_column = "source_key" if table == "issue_categories" else "key_value"
        return (
            f"FROM {CHECK_SCOPE_TABLE} ck JOIN stg_{table} {alias} "
            f"ON ck.source_table = '{table}' AND {alias}.council_code = ck.council_code "
            f"AND {alias}.{key} = ck.{scope_column} "
            f"JOIN {_SCOPE_JOIN} ON scope.council_code = {alias}.council_code"
        )

    return _STAGED_FROM.sub(scoped, query)
