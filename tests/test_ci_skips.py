"""tests/ci_skips.py: every kind of skip fails under CI=true, and only there.

Each case runs a small test file in its own pytest process with only that plugin loaded, once as
on a developer's machine and once as in CI, and reads the outcome pytest reports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from csc_complaints.settings import PROJECT_ROOT
from tests.ci_skips import running_in_ci

SKIPS = {
    "in_the_test": """
        import pytest

        def test_needs_a_server():
            pytest.skip("the server is unreachable")
    """,
    "in_a_fixture": """
        import pytest

        @pytest.fixture
        def server():
            pytest.skip("the server is unreachable")

        def test_needs_a_server(server):
            pass
    """,
    "by_a_marker": """
        import pytest

        @pytest.mark.skipif(True, reason="the server is unreachable")
        def test_needs_a_server():
            pass
    """,
    "at_collection": """
        import pytest

        pytest.importorskip("a_module_nobody_installed", reason="the server is unreachable")

        def test_needs_a_server():
            pass
    """,
}


# A module skipped at collection leaves no test to run (exit code 5); failing its collection
# interrupts the session (exit code 2). Every other skip is one test's outcome.
LOCAL_EXIT = {kind: pytest.ExitCode.OK for kind in SKIPS} | {
    "at_collection": pytest.ExitCode.NO_TESTS_COLLECTED
}
CI_EXIT = {kind: pytest.ExitCode.TESTS_FAILED for kind in SKIPS} | {
    "at_collection": pytest.ExitCode.INTERRUPTED
}


def _run(tmp_path, source: str, ci: str | None) -> tuple[int, str]:
    """Run one test file with only tests.ci_skips loaded; (exit code, pytest's output)."""
    test_file = tmp_path / "test_case.py"
    test_file.write_text(textwrap.dedent(source))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's settings
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST_")}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.ci_skips", "-p", "no:cacheprovider",
         "-p", "no:randomly", "-rA", "-c", str(tmp_path / "pytest.ini"), str(test_file)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("kind", sorted(SKIPS))
def test_a_skip_is_a_skip_on_a_developer_machine(tmp_path, kind):
    code, output = _run(tmp_path, SKIPS[kind], ci=None)
    assert code == LOCAL_EXIT[kind], output
    assert "1 skipped" in output and "failed" not in output and "error" not in output, output


@pytest.mark.parametrize("kind", sorted(SKIPS))
def test_a_skip_fails_under_ci_and_says_why(tmp_path, kind):
    code, output = _run(tmp_path, SKIPS[kind], ci="true")
    assert code == CI_EXIT[kind], output
    assert "skipped" not in output.splitlines()[-1], output
    assert "skipped under CI=true, where a skip is a failure" in output, output
    assert "the server is unreachable" in output, output


def test_a_test_marked_as_not_promised_may_still_skip_under_ci(tmp_path):
    source = """
        import pytest

        @pytest.mark.may_skip_in_ci("a convenience for developers, not a promised feature")
        def test_optional():
            pytest.skip("the optional tool is missing")
    """
    code, output = _run(tmp_path, source, ci="true")
    assert code == 0, output
    assert "1 skipped" in output, output


def test_expected_failures_and_passes_are_left_alone_under_ci(tmp_path):
    source = """
        import pytest

        @pytest.mark.xfail(reason="a known bug", strict=True)
        def test_known_bug():
            assert False

        def test_fine():
            assert True
    """
    code, output = _run(tmp_path, source, ci="true")
    assert code == 0, output
    assert "1 passed, 1 xfailed" in output, output


@pytest.mark.parametrize(
    ("value", "in_ci"),
    [("true", True), ("TRUE", True), ("True", True), ("false", False), ("", False), ("1", False)],
)
def test_ci_is_read_from_the_environment(value, in_ci):
    assert running_in_ci({"CI": value}) is in_ci
    assert running_in_ci({}) is False
