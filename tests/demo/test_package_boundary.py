"""The pipeline package holds only what runs in production: nothing in it, the DAGs or the
plugins imports the demo package, except the CLI's ``demo-source`` command."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import csc_complaints

PROJECT = Path(csc_complaints.__file__).resolve().parents[2]
DEMO = "csc_complaints_demo"


def _imports_of_demo(path: Path) -> list[int]:
    """Line numbers at which ``path`` imports the demo package (or a module of it)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name == DEMO or name.startswith(f"{DEMO}.") for name in names):
            lines.append(node.lineno)
    return lines


def test_only_the_cli_demo_command_imports_the_demo_package():
    folders = [PROJECT / "include" / "csc_complaints", PROJECT / "dags", PROJECT / "plugins"]
    found = {
        str(path.relative_to(PROJECT)): lines
        for folder in folders
        for path in sorted(folder.rglob("*.py"))
        if (lines := _imports_of_demo(path))
    }
    assert list(found) == ["include/csc_complaints/cli.py"], found
    assert len(found["include/csc_complaints/cli.py"]) == 1


def test_the_csc_generate_console_script_is_installed(tmp_path):
    """``pip install -e .`` installs both packages and the demo's console script."""
    script = Path(sys.executable).with_name("csc-generate")
    url = f"sqlite:///{tmp_path / 'generated.sqlite'}"
    command = [str(script), "--url", url, "--complaints-per-year", "5", "--years", "1"]
    done = subprocess.run([*command, "--no-progress"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "complaints: 5" in done.stdout.splitlines()
