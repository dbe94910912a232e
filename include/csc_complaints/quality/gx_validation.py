"""Run a suite file from ``expectations/`` with Great Expectations against the warehouse.

One ephemeral GX context per validation: the warehouse as a SQL data source, a query asset as
the batch (the scope: one row per council and year, or per council and extract date), the suite
loaded from its file, a checkpoint that stores the validation result on disk and updates the
Data Docs site. A caller validates once per task (every year in one batch), so it pays for one
context, one checkpoint and one Data Docs update, not one per year.
The rows an expectation found are then fetched through GX itself
(``ValidationDefinition.get_unexpected_rows``, every row, not a sample), so quarantine and
alert text come from the very query GX validated.

Each rule is validated as ``CountedUnexpectedRowsExpectation`` (``gx_counted_rows``): GX's own
expectation, its count and 200-row sample from one run of the rule's query instead of two. A
rule that failed runs once more in ``get_unexpected_rows``: keep the queries cheap.

Great Expectations is imported inside the functions: it takes seconds to import and the DAG
files must parse fast.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csc_complaints.quality.suites import load_rules, load_suite_dict

log = logging.getLogger(__name__)

DATA_DOCS_SITE = "complaints_quality"
_VIEWS = "csc_complaints.quality.gx_docs_views"
_SCOPE_VALUE = re.compile(r"^[A-Za-z0-9/_.\- ]{1,40}$")


class ValidationError(RuntimeError):
    """GX could not run a suite (the query failed, the warehouse is unreachable...)."""


@dataclass
class ExpectationOutcome:
    """One rule's result in one validation run."""

    code: str
    severity: str
    description: str
    success: bool
    unexpected_count: int
    rows: list[dict[str, Any]] = field(default_factory=list)  # every offending row, if failed


@dataclass
class SuiteRun:
    """One validation of a suite for one or more scopes (the rows of its batch)."""

    suite: str
    scopes: list[dict[str, str]]
    success: bool
    outcomes: dict[str, ExpectationOutcome]
    data_docs_page: str | None  # file:// URL of this validation's page


def data_docs_dir(output_dir: Path) -> Path:
    return Path(output_dir) / "data-docs"


def _results_dir(output_dir: Path) -> Path:
    return Path(output_dir) / "gx-validation-results"


Scope = Mapping[str, str]


def _scope_list(scope: Scope | Sequence[Scope]) -> list[dict[str, str]]:
    """The batch's rows: at least one, all with the same columns, none twice (a rule that
    joins the batch to count facts per year would count a repeated year twice)."""
    scopes = [dict(scope)] if isinstance(scope, Mapping) else [dict(s) for s in scope]
    if not scopes or any(list(s) != list(scopes[0]) for s in scopes):
        raise ValueError("a batch needs at least one scope, every scope with the same columns")
    if len({tuple(s.items()) for s in scopes}) != len(scopes):
        raise ValueError("a batch may not hold the same scope twice")
    return scopes


def scope_query(scope: Scope | Sequence[Scope]) -> str:
    """The batch every rule joins: ``SELECT 'E06000005' AS council_code, ...``, one row per
    scope (``UNION ALL``), so one validation covers, say, every year a build changed."""
    rows = []
    for one in _scope_list(scope):
        columns = []
        for name, value in one.items():
            if not re.fullmatch(r"[a-z_]+", name) or not _SCOPE_VALUE.fullmatch(str(value)):
                raise ValueError(f"scope value {name}={value!r} is not a plain code, date or year")
            columns.append(f"'{value}' AS {name}")
        rows.append("SELECT " + ", ".join(columns))
    return "\nUNION ALL\n".join(rows)


def _label(scopes: list[dict[str, str]]) -> str:
    """A name for the batch in GX and Data Docs, e.g. ``E06000005-2016-17..2025-26``."""
    parts = []
    for name in scopes[0]:
        first, last = scopes[0][name], scopes[-1][name]
        parts.append(first if first == last else f"{first}..{last}")
    return "-".join(parts).replace("/", "-")


def _context(output_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    def in_memory(class_name: str) -> dict:
        return {"class_name": class_name, "store_backend": {"class_name": "InMemoryStoreBackend"}}

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        stores={
            "expectations_store": in_memory("ExpectationsStore"),
            "checkpoint_store": in_memory("CheckpointStore"),
            "validation_definition_store": in_memory("ValidationDefinitionStore"),
            # Results persist, so the Data Docs index lists every run, not only this one.
            "validation_results_store": {
                "class_name": "ValidationResultsStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(_results_dir(output_dir)),
                },
            },
        },
        data_docs_sites={
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_dir(output_dir)),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "view": {"module_name": _VIEWS, "class_name": "CachedIndexPageView"},
                },
                # Each validation adds its own page and the index; it does not render the suite
                # again (it is the same file every run: expectations/, docs/quality.md) nor look
                # for profiling runs (there are none). Rendering a page costs about a second, and
                # compiling GX's templates as much again: the views cache them (gx_docs_views).
                "site_section_builders": {
                    "expectations": "0",
                    "profiling": "0",
                    "validations": {  # merged into GX's own section config
                        "view": {"module_name": _VIEWS, "class_name": "CachedPageView"}
                    },
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(project_config=config, mode="ephemeral")


def _raised_exception(info: Any) -> str | None:
    """The message of an exception GX caught while running an expectation, if any.

    GX reports it either at the top of ``exception_info`` or per metric inside it.
    """
    if not isinstance(info, dict):
        return None
    candidates = [info] + [v for v in info.values() if isinstance(v, dict)]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            return str(candidate.get("exception_message") or "unknown error").splitlines()[0]
    return None


def _add_datasource(context, warehouse_url: str):
    """The warehouse as a GX data source of its own kind (SQLite, PostgreSQL, or generic SQL)."""
    from sqlalchemy.engine import make_url

    url = make_url(warehouse_url)
    sources = context.data_sources
    if url.get_backend_name() == "sqlite":
        return sources.add_sqlite(name="warehouse", connection_string=warehouse_url)
    if url.get_backend_name() == "postgresql":
        kwargs = {}
        if url.get_driver_name() in ("psycopg2", "psycopg"):
            kwargs = {"connect_args": {"options": _without_jit(url.query.get("options"))}}
        return sources.add_postgres(
            name="warehouse", connection_string=warehouse_url, kwargs=kwargs
        )
    return sources.add_sql(name="warehouse", connection_string=warehouse_url)


def _without_jit(options: str | tuple[str, ...] | None) -> str:
    """libpq ``options`` for the validation sessions: the URL's own, plus ``jit=off``.

    PostgreSQL compiles a query to machine code (JIT) when its estimated cost is high. The rule
    queries, full of scalar subqueries, estimate high yet run in milliseconds each: at 1M
    complaints compiling RC01 took 1.8 s of its 2.1 s. Off for these sessions only; no result
    changes.
    """
    given = [options] if isinstance(options, str) else list(options or ())
    return " ".join([*given, "-c jit=off"])


def validate_suite(
    warehouse_url: str,
    suite_name: str,
    scope: Scope | Sequence[Scope],
    run_name: str,
    output_dir: Path,
    rewrite: Callable[[str], str] | None = None,
) -> SuiteRun:
    """Validate ``expectations/<suite_name>.json`` for ``scope``; build its Data Docs page.

    ``scope``: one scope (a dict) or several with the same columns; each is a row of the batch
    every rule joins, so a rule's rows must say which scope they belong to (the RC rules return
    ``financial_year``) for the caller to tell the scopes apart. ``rewrite``: applied to every
    rule's query first (an incremental row check scopes them to ``dq_check_scope``).
    """
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite

    from csc_complaints.quality.gx_counted_rows import EXPECTATION_TYPE

    scopes = _scope_list(scope)
    rules = {rule.code: rule for rule in load_rules(suite_name)}
    suite_dict = copy.deepcopy(load_suite_dict(suite_name))
    for item in suite_dict["expectations"]:
        # Every item is an unexpected_rows_expectation (suites.load_rules refuses others).
        item["type"] = EXPECTATION_TYPE
        if rewrite is not None:
            kwargs = item["kwargs"]
            kwargs["unexpected_rows_query"] = rewrite(kwargs["unexpected_rows_query"])
    context = _context(output_dir)
    label = _label(scopes)
    datasource = _add_datasource(context, warehouse_url)
    asset = datasource.add_query_asset(name=f"{suite_name}-{label}", query=scope_query(scopes))
    batch_definition = asset.add_batch_definition_whole_table(name="scope")
    suite = context.suites.add(ExpectationSuite(**suite_dict))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite_name}-{label}", data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{suite_name}-{label}",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
            result_format="SUMMARY",  # counts only: the rows go to dq_rejects, not to files
        )
    )
    result = checkpoint.run(run_id=gx.RunIdentifier(run_name=run_name))
    (result_id, suite_result), *_ = result.run_results.items()

    outcomes: dict[str, ExpectationOutcome] = {}
    for item in suite_result.results:
        config = item.expectation_config
        code = config.meta["code"]
        problem = _raised_exception(item.exception_info)
        if problem:
            raise ValidationError(f"{suite_name} {code}: GX could not run the rule: {problem}")
        outcome = ExpectationOutcome(
            code=code,
            severity=rules[code].severity,
            description=rules[code].description,
            success=bool(item.success),
            unexpected_count=int(item.result.get("observed_value") or 0),
        )
        if not outcome.success:
            expectation = next(e for e in suite.expectations if e.meta.get("code") == code)
            outcome.rows = validation.get_unexpected_rows(expectation)
        outcomes[code] = outcome
    missing = set(rules) - set(outcomes)
    if missing:
        raise ValidationError(f"{suite_name}: GX returned no result for {sorted(missing)}")

    urls = context.get_docs_sites_urls(resource_identifier=result_id, site_name=DATA_DOCS_SITE)
    page = urls[0].get("site_url") if urls else None
    log.info(
        "GX %s %s: %s (%s)",
        suite_name,
        label,
        "passed" if suite_result.success else "failed",
        ", ".join(f"{c} {o.unexpected_count}" for c, o in outcomes.items() if not o.success)
        or "no failures",
    )
    return SuiteRun(
        suite=suite_name,
        scopes=scopes,
        success=bool(suite_result.success),
        outcomes=outcomes,
        data_docs_page=page,
    )
