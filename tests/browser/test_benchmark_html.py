"""The regional benchmark's HTML page in a real browser, as the annual report's is
(``test_report_html``): axe-core finds no violation and leaves nothing incomplete; the charts'
text is the body's size; header cells read left-aligned, each council's name within two lines,
every table inside the page. Built from the four councils of ``tests/report/benchmark_region``
(SQLite). A screenshot goes to output/screenshots/ (a CI artefact, never committed).
"""

from __future__ import annotations

import pytest

from csc_complaints.report.benchmark import build_benchmark
from tests.browser.harness import run_axe, save_screenshot
from tests.browser.test_report_html import _font_sizes
from tests.report.benchmark_region import COUNCILS, YEAR, build_region


@pytest.fixture
def benchmark_page(new_sqlite_database, tmp_path, browser_page):
    region = build_region(new_sqlite_database, new_sqlite_database, tmp_path, row_checks=False)
    try:
        result = build_benchmark(region.warehouse, COUNCILS, YEAR, region.output, region.settings)
    finally:
        region.dispose()
    browser_page.goto(result.html.as_uri())
    return browser_page


def test_the_benchmark_page_passes_axe_and_reads_as_the_annual_reports(benchmark_page):
    page = benchmark_page
    result = run_axe(page)
    save_screenshot(page, "benchmark-2019-20")
    assert result.violations == [], result.describe("violations")
    assert result.incomplete == [], result.describe("incomplete")

    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    charts = page.evaluate(
        """() => [...document.querySelectorAll('figure img')].map(img => ({
            shown: img.getBoundingClientRect().width, drawn: img.naturalWidth,
            svg: atob(img.src.split(',')[1])}))"""
    )
    assert len(charts) == 9
    for chart in charts:
        assert chart["shown"] == pytest.approx(chart["drawn"], abs=1)
        sizes = {float(s) for s in _font_sizes(chart["svg"])}
        assert sizes and min(sizes) >= body - 2, sizes
    layout = page.evaluate(
        """() => [...document.querySelectorAll('main table')].map(table => ({
            aligns: [...table.querySelectorAll('th')].map(th => getComputedStyle(th).textAlign),
            lines: [...table.querySelectorAll('tbody th[scope=row]')].map(th => {
                const style = getComputedStyle(th);
                const text = th.clientHeight - parseFloat(style.paddingTop)
                    - parseFloat(style.paddingBottom);
                return Math.round(text / parseFloat(style.lineHeight));
            }),
            width: table.getBoundingClientRect().width,
            room: table.parentElement.getBoundingClientRect().width
        }))"""
    )
    assert len(layout) == 10  # the councils, then one per measure
    for table in layout:
        assert set(table["aligns"]) <= {"left", "start"}
        assert max(table["lines"]) <= 2, table["lines"]
        assert table["width"] <= table["room"]
