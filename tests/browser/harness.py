"""A real browser for the tests: Debian's Chromium driven by Playwright, with axe-core.

Playwright's own browser download is not reachable from here, so Playwright drives the system
Chromium (``/usr/bin/chromium``, Debian's ``chromium`` package, which ``.ci/run`` installs).
axe-core comes from npm (``package.json`` pins it; ``make test`` runs ``npm ci``) and is injected
into the page under test, so the accessibility rules are the real axe-core ones.

Use the fixtures of ``tests/browser/conftest.py`` (``browser_page``) rather than these functions
directly where a test only needs a page.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Screenshots and other browser evidence are CI artefacts: output/ is never committed.
SCREENSHOT_DIR = PROJECT_ROOT / "output" / "screenshots"

# The WCAG 2.2 A and AA rules (the Public Sector Bodies Accessibility Regulations cite WCAG AA)
# plus axe's best practices.
AXE_RUN_ONLY = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def chromium_executable() -> str | None:
    """The system Chromium, or None when it is not installed (``COMPLAINTS_CHROMIUM`` overrides)."""
    configured = os.environ.get("COMPLAINTS_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_browser_tools() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if chromium_executable() is None:
        return "Debian's chromium is not installed (apt-get install chromium; .ci/run does this)"
    if not AXE_SCRIPT.exists():
        return f"axe-core is not installed at {AXE_SCRIPT} (npm ci; make test does this)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is missing (make install)"
    return None


@dataclass(frozen=True)
class AxeResult:
    """What axe-core found on one page: rule ids with the nodes they flagged."""

    url: str
    violations: list[dict] = field(default_factory=list)
    incomplete: list[dict] = field(default_factory=list)

    def describe(self, kind: str) -> str:
        """One line per rule of ``kind`` ("violations" or "incomplete"), with the first nodes."""
        lines = []
        for rule in getattr(self, kind):
            targets = [" ".join(map(str, node.get("target", []))) for node in rule["nodes"][:3]]
            lines.append(f"{rule['id']} ({rule.get('impact')}): {rule['help']} at {targets}")
        return "\n".join(lines) or "none"


def run_axe(page) -> AxeResult:
    """Run axe-core on a loaded Playwright page and return its violations and incomplete results."""
    page.add_script_tag(content=AXE_SCRIPT.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": AXE_RUN_ONLY}, "resultTypes": ["violations"]}
    script = "async (options) => JSON.stringify(await axe.run(document, options))"
    raw = page.evaluate(script, options)
    result = json.loads(raw)
    return AxeResult(url=page.url, violations=result["violations"], incomplete=result["incomplete"])


def save_screenshot(page, name: str) -> Path:
    """Keep a full-page screenshot under ``output/screenshots/`` (a CI artefact)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
