"""The browser harness itself: axe-core runs in Debian's Chromium and tells good pages from bad.

A page that breaks a rule must be reported, or a zero-violation check elsewhere would prove
nothing.
"""

from __future__ import annotations

from tests.browser.harness import run_axe, save_screenshot

GOOD_PAGE = """<!doctype html><html lang="en-GB"><head><title>Fine</title></head>
<body><main><h1>Complaints</h1><p>Forty-two complaints.</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="A bar chart"></main></body></html>"""

# An image without alternative text and a page without a language: two WCAG A failures.
BAD_PAGE = """<!doctype html><html><head><title>Broken</title></head>
<body><main><h1>Complaints</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body>
</html>"""


def test_axe_finds_nothing_on_an_accessible_page(browser_page):
    browser_page.set_content(GOOD_PAGE)
    result = run_axe(browser_page)
    assert result.violations == [], result.describe("violations")


def test_axe_reports_missing_alt_text_and_language(browser_page):
    browser_page.set_content(BAD_PAGE)
    result = run_axe(browser_page)
    assert {"image-alt", "html-has-lang"} <= {rule["id"] for rule in result.violations}
    assert "image-alt" in result.describe("violations")


def test_screenshots_are_kept_under_output(browser_page):
    browser_page.set_content(GOOD_PAGE)
    path = save_screenshot(browser_page, "harness-self-test")
    assert path.read_bytes().startswith(b"\x89PNG")
    assert path.parent.name == "screenshots" and path.parents[1].name == "output"
