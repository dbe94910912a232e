"""The Complaints page in a running Airflow, in a real browser, as the data engineer uses it.

The stack of ``tests/deployment/native_stack.py`` (api-server with the project's plugins,
scheduler, dag-processor, triggerer; PostgreSQL metadata) runs against a PostgreSQL warehouse the
pipeline built with a year in every state (``tests/status_warehouse.py``). The test:

1. without a valid token, the API, the page and the output files answer 401 or 403;
2. signed in, ``GET /complaints/api/status`` lists every year in its state;
3. the 2018/19 report is backfilled: the run waits for the Complaints Manager, and the API says
   "awaiting sign-off" since the approval was requested;
4. Debian's Chromium signs in on Airflow's own login page (SimpleAuthManager), finds
   "Complaints" in the UI's navigation, opens the page, sees the states, keeps a screenshot under
   ``output/screenshots/`` (a CI artefact), and axe-core finds no violation;
5. the Complaints Manager approves through the REST API; the year is then signed off by her.
"""

from __future__ import annotations

import time
from urllib.parse import unquote

import httpx
import pytest

from tests.browser.harness import run_axe, save_screenshot
from tests.deployment.native_stack import ApiClient, NativeStack, airflow_conn_uri
from tests.status_warehouse import (
    DRAFT,
    NO_DATA,
    NOT_BUILT,
    PARTIAL,
    REJECTED,
    RESTATED,
    SIGNED_OFF,
    build_status_warehouse,
)

pytestmark = [pytest.mark.airflow, pytest.mark.postgres]

REPORT_DAG = "complaints_annual_report"
APPROVAL_TASK = "council.approve_report"  # mapped per council: one council here, index 0
STARTUP_TIMEOUT = 240
RUN_TIMEOUT = 420
APPROVAL_SETTLE_SECONDS = 5  # as tests/deployment/test_native_scheduler.py, for the same reason


@pytest.fixture
def stack(tmp_path, new_postgres_database, new_sqlite_database):
    output = tmp_path / "output"
    built = build_status_warehouse(new_postgres_database(), new_sqlite_database(), output)
    native = NativeStack(
        home=tmp_path / "airflow-home",
        metadata_url=new_postgres_database(),
        connections={
            "complaints_source": airflow_conn_uri(built.source_url),
            "complaints_warehouse": airflow_conn_uri(built.warehouse_url),
        },
        # A task whose start times out on a busy machine is retried soon, not in 5 minutes.
        extra_env={
            "COMPLAINTS_OUTPUT_DIR": str(output),
            "COMPLAINTS_TASK_RETRY_DELAY_SECONDS": "5",
        },
    )
    native.built = built
    native.init()
    native.start()
    try:
        yield native
    finally:
        native.stop()


def _states(api: ApiClient) -> dict[str, dict]:
    response = api.http.get("/complaints/api/status")
    assert response.status_code == 200, response.text[:2000]
    return {entry["financial_year"]: entry for entry in response.json()}


def _task_states(api: ApiClient, run_id: str) -> dict[str, str | None]:
    tasks = api.get(f"/dags/{REPORT_DAG}/dagRuns/{run_id}/taskInstances")["task_instances"]
    states = {t["task_id"]: t["state"] for t in tasks}
    if any(s in ("failed", "upstream_failed") for s in states.values()):
        raise AssertionError(f"{REPORT_DAG} run {run_id}: a task failed: {states}")
    return states


def test_the_complaints_page_shows_each_years_state_to_signed_in_users_only(stack, browser_page):
    api = ApiClient(stack)
    stack.wait_for(
        "the api-server to answer /api/v2/version",
        lambda: api.http.get("/api/v2/version").json() or None,
        timeout=STARTUP_TIMEOUT,
    )

    # --- 1. nobody signed in: nothing is shown --------------------------------------------------
    anonymous = httpx.Client(base_url=stack.base_url, timeout=30)
    code = stack.built.settings.council_code
    pdf = f"/complaints/files/{code}/2018-19/annual-report-2018-19.pdf"
    for path in ("/complaints/api/status", "/complaints/", pdf):
        assert anonymous.get(path).status_code == 401, path
        forged = anonymous.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 403, path
        assert anonymous.get(path, cookies={"_token": "not-a-token"}).status_code == 403, path
    anonymous.close()

    # --- 2. signed in: every year in its state --------------------------------------------------
    api.login("data_engineer")
    years = _states(api)
    assert {year: entry["state"] for year, entry in years.items()} == {
        NO_DATA: "no_data",
        PARTIAL: "not_built",
        NOT_BUILT: "not_built",
        DRAFT: "draft",
        REJECTED: "draft",
        SIGNED_OFF: "signed_off",
        RESTATED: "restated",
    }
    assert [(r["rule"], r["reference"]) for r in years[REJECTED]["rejected_rows"]] == [
        ("DQ04", stack.built.rejected_reference)
    ]
    assert api.http.get(pdf).content.startswith(b"%PDF")

    # --- 3. the 2018/19 report waits for its sign-off -------------------------------------------
    def parsed() -> bool | None:
        return api.http.get(f"/api/v2/dags/{REPORT_DAG}").status_code == 200 or None

    stack.wait_for("the dag-processor to parse the report DAG", parsed, STARTUP_TIMEOUT)
    # Switched on first: the scheduler's own run (the year just ended, not in the warehouse)
    # starts and fails at once, before the backfill's run.
    api.request("PATCH", f"/dags/{REPORT_DAG}", json={"is_paused": False})
    api.request(
        "POST",
        "/backfills",
        json={
            "dag_id": REPORT_DAG,
            "from_date": "2018-04-01T00:00:00+01:00",
            "to_date": "2018-04-01T00:00:00+01:00",
            "max_active_runs": 1,
        },
    )

    def report_run() -> str | None:
        runs = api.get(f"/dags/{REPORT_DAG}/dagRuns")["dag_runs"]
        return next((r["dag_run_id"] for r in runs if r["run_type"] == "backfill"), None)

    run_id = stack.wait_for("the backfill to create the 2018/19 run", report_run, timeout=120)

    def awaiting() -> dict | None:
        if _task_states(api, run_id).get(APPROVAL_TASK) not in ("awaiting_input", "deferred"):
            return None
        entry = _states(api)[DRAFT]
        return entry if entry["state"] == "awaiting_sign_off" else None

    entry = stack.wait_for("the page to show 2018/19 awaiting sign-off", awaiting, RUN_TIMEOUT)
    assert entry["since"] is not None and "waiting for the Complaints Manager" in entry["summary"]
    links = {link["label"]: unquote(link["href"]) for link in entry["links"]}
    assert links["Report run"] == f"../dags/{REPORT_DAG}/runs/{run_id}"

    # --- 4. the browser: sign in, the nav entry, the page, a screenshot, axe --------------------
    page = browser_page
    page.goto(f"{stack.base_url}/auth/login?next={stack.base_url}/")
    page.get_by_label("Username").fill("data_engineer")
    page.get_by_label("Password").fill(stack.users["data_engineer"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/**")
    nav = page.locator('a[href$="plugin/complaints"]')
    nav.first.wait_for(timeout=30_000)
    nav.first.click()
    embedded = page.frame_locator('iframe[src$="/complaints/"]')
    embedded.get_by_role("heading", level=1).wait_for(timeout=30_000)

    page.goto(f"{stack.base_url}/complaints/")
    for label in (
        "Awaiting sign-off",
        "Built as DRAFT",
        "Signed off",
        "Restated since publication",
        "No data",
    ):
        assert page.get_by_text(label, exact=True).count() >= 1, label
    draft_row = page.get_by_role("row").filter(has_text=REJECTED).first
    assert "Built as DRAFT" in draft_row.inner_text()
    assert page.get_by_role("cell", name=stack.built.rejected_reference).count() == 1
    save_screenshot(page, "status-page-awaiting-sign-off")
    result = run_axe(page)
    assert result.violations == [], result.describe("violations")

    # --- 5. the Complaints Manager signs 2018/19 off ---------------------------------------------
    time.sleep(APPROVAL_SETTLE_SECONDS)
    hitl = f"/dags/{REPORT_DAG}/dagRuns/{run_id}/taskInstances/{APPROVAL_TASK}/0/hitlDetails"
    api.login("complaints_manager")
    api.request("PATCH", hitl, json={"chosen_options": ["Approve"], "params_input": {}})

    def published() -> bool | None:
        return _task_states(api, run_id).get("council.publish_final_report") == "success" or None

    stack.wait_for("the final 2018/19 report to be published", published, RUN_TIMEOUT)
    entry = _states(api)[DRAFT]
    assert entry["state"] == "signed_off", entry
    assert entry["signed_off_by"] == "complaints_manager", entry
    assert "signed off by complaints_manager" in entry["summary"]

    page.reload()
    row = page.get_by_role("row").filter(has_text=DRAFT).first
    assert "Signed off" in row.inner_text() and "complaints_manager" in row.inner_text()
    save_screenshot(page, "status-page")
    result = run_axe(page)
    assert result.violations == [], result.describe("violations")
