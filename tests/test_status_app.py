"""The Complaints page's app in a real api-server: mounted by the plugin, signed-in users only.

Only the api-server runs (SQLite metadata database, the SimpleAuthManager users of the compose
stack), against a SQLite warehouse the pipeline built with a year in every state
(``tests/status_warehouse.py``). The whole stack, a report awaiting and receiving its sign-off,
and the page in a browser are ``tests/browser/test_status_page.py``.
"""

from __future__ import annotations

import shutil

import httpx
import pytest

from tests.airflow_harness import MIGRATED_DB
from tests.deployment.native_stack import ApiClient, NativeStack, airflow_conn_uri
from tests.status_warehouse import (
    CANARY,
    DRAFT,
    NO_DATA,
    NOT_BUILT,
    PARTIAL,
    REJECTED,
    RESTATED,
    SIGNED_OFF,
    build_status_warehouse,
)

pytestmark = [pytest.mark.airflow]

STARTUP_TIMEOUT = 240


@pytest.fixture
def api_server(tmp_path, new_sqlite_database):
    output = tmp_path / "output"
    built = build_status_warehouse(new_sqlite_database(), new_sqlite_database(), output)
    home = tmp_path / "airflow-home"
    home.mkdir()
    if MIGRATED_DB.exists():  # make test migrates it once; the init job then has little to do
        shutil.copy(MIGRATED_DB, home / "airflow.db")
    native = NativeStack(
        home=home,
        metadata_url=f"sqlite:///{home / 'airflow.db'}",
        connections={
            "complaints_source": airflow_conn_uri(built.source_url),
            "complaints_warehouse": airflow_conn_uri(built.warehouse_url),
        },
        extra_env={"COMPLAINTS_OUTPUT_DIR": str(output)},
    )
    native.built = built
    native.init()
    native.start(("api-server",))
    try:
        api = ApiClient(native)
        native.wait_for(
            "the api-server to answer /api/v2/version",
            lambda: api.http.get("/api/v2/version").json() or None,
            timeout=STARTUP_TIMEOUT,
        )
        yield native, api
    finally:
        api.close()
        native.stop()


def test_only_signed_in_users_reach_the_page_its_api_and_the_files(api_server):
    stack, api = api_server
    code = stack.built.settings.council_code
    pdf = f"/complaints/files/{code}/2017-18/annual-report-2017-18.pdf"
    paths = ("/complaints/api/status", "/complaints/", pdf)

    with httpx.Client(base_url=stack.base_url, timeout=60) as anonymous:
        for path in paths:
            assert anonymous.get(path).status_code == 401, path
            forged = {"Authorization": "Bearer not-a-token"}
            assert anonymous.get(path, headers=forged).status_code == 403, path
            assert anonymous.get(path, cookies={"_token": "not.a.token"}).status_code == 403, path

    # Both users of the stack may read it: the data engineer (admin) and the Complaints Manager.
    for user in ("data_engineer", "complaints_manager"):
        api.login(user)
        for path in paths:
            assert api.http.get(path).status_code == 200, (user, path)

    response = api.http.get("/complaints/api/status")
    entries = response.json()
    assert {(e["financial_year"], e["state"]) for e in entries} == {
        (NO_DATA, "no_data"),
        (PARTIAL, "not_built"),
        (NOT_BUILT, "not_built"),
        (DRAFT, "draft"),
        (REJECTED, "draft"),
        (SIGNED_OFF, "signed_off"),
        (RESTATED, "restated"),
    }
    rejected = next(e for e in entries if e["financial_year"] == REJECTED)
    assert [(r["rule"], r["reference"], r["table"]) for r in rejected["rejected_rows"]] == [
        ("DQ04", stack.built.rejected_reference, "complaint_stages")
    ]
    restated = next(e for e in entries if e["financial_year"] == RESTATED)
    assert [r["code"] for r in restated["rules"] if not r["passed"]] == ["RC07"]
    assert CANARY not in response.text

    page = api.http.get("/complaints/")
    assert page.headers["content-type"].startswith("text/html")
    for label in ("Built as DRAFT", "Signed off", "Restated since publication", "No data"):
        assert label in page.text
    assert stack.built.rejected_reference in page.text and CANARY not in page.text
    assert api.http.get(pdf).content.startswith(b"%PDF")
    # Files come from the output folder only (the metadata database is beside it).
    for outside in ("..%2F..%2Fairflow-home%2Fairflow.db", "2017-18", "no-such-file.pdf"):
        assert api.http.get(f"/complaints/files/{code}/{outside}").status_code == 404, outside
    assert (
        api.http.get(f"/complaints/files/E09999999/{pdf.split(code + '/')[1]}").status_code == 404
    )

    # Airflow lists the plugin's app and its navigation entry.
    plugin = next(
        p for p in api.get("/plugins")["plugins"] if p["name"] == "complaints_status_page"
    )
    assert [a["url_prefix"] for a in plugin["fastapi_apps"]] == ["/complaints"]
    assert [(v["name"], v["href"], v["destination"]) for v in plugin["external_views"]] == [
        ("Complaints", "/complaints/", "nav")
    ]
