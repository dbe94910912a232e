"""The HTML report in a real browser (issue 13.6 and its "done when"): axe-core finds no
violation and leaves nothing incomplete on the 2019/20 and 2018/19 reports, draft and final;
the charts' text is shown at the body's size; header cells read left-aligned; the team column
does not wrap a name onto three lines; each service area is a tbody; the Contents shows its
levels. Screenshots go to output/screenshots/ (a CI artefact, never committed).
"""

from __future__ import annotations

import pytest

from csc_complaints.db import make_engine
from csc_complaints.report.build import build_report
from tests.browser.harness import run_axe, save_screenshot
from tests.report.conftest import load_reference_warehouse, sign_off, write_reconciliation

YEARS = ("2019/20", "2018/19")
VERSIONS = [(year, final) for year in YEARS for final in (False, True)]
IDS = [f"{year.replace('/', '-')}-{'final' if final else 'draft'}" for year, final in VERSIONS]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The four HTML reports, built once from the reference figures."""
    from csc_complaints.settings import load_settings

    settings = load_settings({})
    root = tmp_path_factory.mktemp("html")
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    load_reference_warehouse(url, settings.council_code)
    engine = make_engine(url)
    built = {}
    for year, final in VERSIONS:
        output = root / ("final" if final else "draft")
        write_reconciliation(output, settings.council_code, fy=year)
        approval = sign_off(settings) if final else None
        result = build_report(engine, settings, year, output, final=final, sign_off=approval)
        built[year, final] = result.html
    engine.dispose()
    return built


@pytest.fixture(params=VERSIONS, ids=IDS)
def report_page(request, reports, browser_page):
    year, final = request.param
    browser_page.goto(reports[year, final].as_uri())
    return browser_page, request.node.callspec.id


def test_axe_finds_no_violation_and_nothing_incomplete(report_page):
    page, name = report_page
    result = run_axe(page)
    save_screenshot(page, f"annual-report-{name}")
    assert result.violations == [], result.describe("violations")
    assert result.incomplete == [], result.describe("incomplete")


def test_chart_text_is_as_large_as_the_body_text(report_page):
    """Each chart is shown at the size it is drawn (no scaling down at a desktop width), and it
    is drawn with 16px text: the body's size."""
    page, _ = report_page
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    charts = page.evaluate(
        """() => [...document.querySelectorAll('figure img')].map(img => ({
            shown: img.getBoundingClientRect().width, drawn: img.naturalWidth,
            svg: atob(img.src.split(',')[1])}))"""
    )
    assert charts
    for chart in charts:
        assert chart["shown"] == pytest.approx(chart["drawn"], abs=1)
        sizes = {float(s) for s in _font_sizes(chart["svg"])}
        assert sizes and min(sizes) >= body - 2, sizes  # bar values a point smaller
        assert max(sizes) >= body


def _font_sizes(svg: str) -> list[str]:
    import re

    return re.findall(r"font-size:\s*([0-9.]+)", svg) + re.findall(r'font-size="([0-9.]+)"', svg)


def test_tables_read_as_the_issue_asks(report_page):
    page, name = report_page
    layout = page.evaluate(
        """() => [...document.querySelectorAll('main table')].map(table => ({
            bodies: table.tBodies.length,
            areas: table.querySelectorAll('th[scope=rowgroup]').length,
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
    outcome_tables = [t for t in layout if t["areas"]]
    if name.startswith("2019-20"):  # the reference figures' outcome tables are 2019/20's
        assert len(outcome_tables) == 3
    for table in outcome_tables:
        assert table["bodies"] == table["areas"] + 1  # one per area, and the council total
    for table in layout:
        assert set(table["aligns"]) <= {"left", "start"}
        assert max(table["lines"]) <= 2, table["lines"]
        assert table["width"] <= table["room"]  # and the table stays inside the page


def test_contents_is_a_nested_list_showing_its_levels(report_page):
    page, _ = report_page
    nested = page.evaluate(
        """() => [...document.querySelectorAll('nav > ol > li > ol > li')].map(li =>
            [li.firstElementChild.textContent, getComputedStyle(li.parentElement).listStyleType])"""
    )
    assert ["Stage 1 – Local Resolution", "lower-alpha"] in nested
    assert ["Timescales", "lower-alpha"] in nested
