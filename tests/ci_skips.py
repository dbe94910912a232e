"""Under ``CI=true`` a skipped test is a failed test, unless it says why it may be skipped.

A developer's machine may lack what the README and docs/ promise (PostgreSQL, Debian's
docker-compose, ``psql``), so the tests that need it skip there. CI must not: a skip in CI would
let a promise break without anyone seeing it. So when the environment variable ``CI`` is
``true``, every skip (``pytest.skip()`` in a test or a fixture, a ``skip``/``skipif`` marker,
``importorskip``, a module skipped at collection) is reported as a failure that quotes the skip's
reason.

A test whose skip guards nothing the README or docs/ promise keeps its skip in CI by saying so:
``@pytest.mark.may_skip_in_ci("why this is not a promised feature")``. Expected failures
(``xfail``) are not skips and are left alone.

``tests/conftest.py`` imports these hooks, so they apply to the whole suite; they are a module of
their own so that ``tests/test_ci_skips.py`` can load them into a separate pytest run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest

CI_VARIABLE = "CI"
ALLOW_MARKER = "may_skip_in_ci"


def running_in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """``CI=true`` (any case), as CI services and ``.ci/run`` set it."""
    return (os.environ if environ is None else environ).get(CI_VARIABLE, "").lower() == "true"


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The reason a skip gave: its report's longrepr is ``(path, line, "Skipped: reason")``."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_the_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    report.longrepr = (
        f"skipped under {CI_VARIABLE}=true, where a skip is a failure: {_skip_reason(report)}\n"
        "Install or start what the test needs on the CI machine. If the test guards nothing "
        f'the README promises, mark it @pytest.mark.{ALLOW_MARKER}("why").'
    )
    report.outcome = "failed"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{ALLOW_MARKER}(reason): the test may be skipped under {CI_VARIABLE}=true "
        "(it guards nothing the README promises)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and running_in_ci()
        and item.get_closest_marker(ALLOW_MARKER) is None
    ):
        _fail_the_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    if report.skipped and running_in_ci() and collector.get_closest_marker(ALLOW_MARKER) is None:
        _fail_the_skip(report)
    return report
