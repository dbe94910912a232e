"""Browser fixtures: one headless Chromium per test session, a fresh page per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.harness import chromium_executable, missing_browser_tools


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    """Debian's Chromium under Playwright (skipped locally when absent; a failure under CI=true)."""
    problem = missing_browser_tools()
    if problem:
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(),
            headless=True,
            # Root in a container has no user namespace for Chromium's sandbox.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium_browser) -> Iterator[object]:
    """A fresh page at a desktop size, in its own context (no shared cookies between tests)."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
