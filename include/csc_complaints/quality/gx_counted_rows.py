"""Each rule's query run once per validation, not twice.

GX's ``UnexpectedRowsExpectation`` depends on two metrics, each its own query of the rule:
``unexpected_rows_query.row_count`` (``SELECT COUNT(*) FROM (<rule>)``) and
``unexpected_rows_query.table`` (the rule again, for a 200-row sample). At 1M complaints the
second run of every rule was half of a full row check (``make bench``'s ``gx_overhead``).

``CountedUnexpectedRowsExpectation`` is the same expectation (same query, same verdict, same
renderers in the Data Docs) depending on one metric, ``unexpected_rows_query.counted_rows``,
which runs the rule once and returns both the count and the sample. ``gx_validation`` validates
every suite rule as this type; the suite files keep GX's own ``unexpected_rows_expectation``.

This module imports Great Expectations at its top: import it only where GX is used (inside a
task), never from a DAG file.
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.constants import MAX_RESULT_RECORDS
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.core.result_format import ResultFormat
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.core.unexpected_rows_expectation import (
    UnexpectedRowsExpectation,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.query_metric_provider import QueryMetricProvider

METRIC = "unexpected_rows_query.counted_rows"
EXPECTATION_TYPE = "counted_unexpected_rows_expectation"


class UnexpectedRowsQueryCountedRows(QueryMetricProvider):
    """The rule's rows counted, and the first ``MAX_RESULT_RECORDS`` of them, from one query."""

    metric_name = METRIC
    value_keys = ("unexpected_rows_query",)
    query_param_name: ClassVar[str] = "unexpected_rows_query"

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        execution_engine: SqlAlchemyExecutionEngine,
        metric_domain_kwargs: dict,
        metric_value_kwargs: dict,
        metrics: dict[str, Any],
        runtime_configuration: dict,
    ) -> dict[str, Any]:
        batch_selectable, _, _ = execution_engine.get_compute_domain(
            metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
        )
        query = cls._get_substituted_batch_subquery_from_query_and_batch_selectable(
            query=cls._get_query_from_metric_value_kwargs(metric_value_kwargs),
            batch_selectable=batch_selectable,
            execution_engine=execution_engine,
        )
        result = execution_engine.execute_query(sa.text(query))
        sample = [row._asdict() for row in result.fetchmany(MAX_RESULT_RECORDS)]
        # The rest is only counted: no row beyond the sample is kept.
        count = len(sample) + sum(1 for _ in result)
        return {"count": count, "sample": sample}


class CountedUnexpectedRowsExpectation(UnexpectedRowsExpectation):
    """GX's ``UnexpectedRowsExpectation``, its count and sample from one run of the query."""

    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC,)

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> dict:
        # The same result as UnexpectedRowsExpectation._validate gives for each result format.
        counted = metrics[METRIC]
        count, sample = counted["count"], counted["sample"]
        success = count == 0
        config = self._get_result_format(runtime_configuration=runtime_configuration)
        result_format = config
        if isinstance(config, dict):
            result_format = config.get("result_format", ResultFormat.SUMMARY)
        if result_format == ResultFormat.BOOLEAN_ONLY:
            return {"success": success}
        result: dict[str, Any] = {"observed_value": count}
        if result_format == ResultFormat.COMPLETE:
            result["details"] = {"unexpected_rows": sample}
        return {"success": success, "result": result}
