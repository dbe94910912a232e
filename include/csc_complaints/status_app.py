"""The Complaints page's web app, mounted in Airflow's api-server at ``/complaints``.

``plugins/complaints_status_page.py`` registers ``create_app()`` as a plugin ``fastapi_apps``
entry and the page as an ``external_views`` entry in the UI's navigation. Routes:

* ``GET /complaints/``: the page (HTML, no script), one section per council and year;
* ``GET /complaints/api/status``: the same as JSON, one entry per council and financial year
  (``csc_complaints.status.YearStatus.as_json``);
* ``GET /complaints/files/<council>/<path>``: a file of the council's output folder
  (``<output>/<council_code>``: the reports, CSV, ``reconciliation.json``, Data Docs), for the
  page's links.

The councils are the council registry's (``csc_complaints.councils.load_councils``), then any
other council code the warehouse holds.

Airflow does not authenticate a plugin's app: every route here depends on Airflow's own
``get_user`` (the JWT of the ``Authorization: Bearer`` header, or the UI's ``_token`` cookie,
checked by the configured auth manager) and on the auth manager allowing the user to read DAG
runs, as Airflow's own routes do. No valid token: 401 (none, or expired) or 403 (invalid).

What the page shows comes from ``csc_complaints.status`` (plain functions); this module reads
what Airflow knows (the report runs and their human-in-the-loop sign-off) from Airflow's
metadata database and hands it over as ``ReportRun`` records.
"""

# No ``from __future__ import annotations``: FastAPI reads the route functions' annotations,
# which name classes imported inside create_app.
import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from starlette.concurrency import run_in_threadpool

from csc_complaints.status import EXTRACT_DAG, ReportRun, YearStatus
from csc_complaints.status_links import REPORT_DAG, WAREHOUSE_DAG

URL_PREFIX = "/complaints"
APPROVAL_TASK = "approve_report"  # dags/complaints_annual_report.py's APPROVE_REPORT
YEAR_TASK = "check_year_ready"  # dags/complaints_annual_report.py's CHECK_YEAR_READY
# The report DAG runs them once per council, in its task group "council" (orchestration's
# COUNCIL_GROUP): "council.approve_report"; runs from before it did are read too.
COUNCIL_GROUP_PREFIX = "council."
SOURCE_COMPARISON_DAG = "complaints_source_comparison"
# A report DAG mapped over a council registry lists the councils in this task (its result: one
# {"code": ...} per map index of the council's tasks).
COUNCILS_TASK = "list_councils"
APPROVE_OPTION = "Approve"  # ApprovalOperator.APPROVE
WAITING_STATES = frozenset(
    {"awaiting_input", "deferred", "running", "queued", "scheduled", "up_for_reschedule"}
)


# --- what Airflow knows ------------------------------------------------------------------------


def _responder_name(user: Any) -> str | None:
    if isinstance(user, dict):
        return user.get("name") or user.get("id")
    return None


def _approval(hitl, payload: Any, ti_state: str | None) -> dict[str, Any]:
    """The sign-off of one run: from its human-in-the-loop record, else from the approval
    task's result (the demo's auto-approval leaves no request behind)."""
    if hitl is not None:
        if hitl.responded_at is None:
            waiting = ti_state in WAITING_STATES
            return {"approval": "waiting" if waiting else None, "requested_at": hitl.created_at}
        chosen = hitl.chosen_options or []
        return {
            "approval": "approved" if APPROVE_OPTION in chosen else "rejected",
            "requested_at": hitl.created_at,
            "responded_at": hitl.responded_at,
            "responded_by": _responder_name(hitl.responded_by),
        }
    if isinstance(payload, dict) and payload.get("chosen_options"):
        responded_at = payload.get("responded_at")
        if isinstance(responded_at, str):
            responded_at = datetime.fromisoformat(responded_at)
        approved = APPROVE_OPTION in payload["chosen_options"]
        return {
            "approval": "approved" if approved else "rejected",
            "responded_at": responded_at if isinstance(responded_at, datetime) else None,
            "responded_by": _responder_name(payload.get("responded_by_user")),
        }
    return {}


def _both(task_id: str) -> tuple[str, str]:
    """A report task's id in the council group, and as it was before the group."""
    return (f"{COUNCIL_GROUP_PREFIX}{task_id}", task_id)


def read_airflow_records(session, council_code: str) -> tuple[list[ReportRun], dict[str, str]]:
    """The annual report's runs with their sign-off, and the DAG of each pipeline run id.

    One record per run and council: a run's council is the one the run's ``list_councils``
    task listed at the approval's map index when the report DAG maps its tasks over a council
    registry, else ``council_code`` (the registry's first council). A run's year is what its
    ``check_year_ready`` task returned, else the year its data interval covers.
    """
    from airflow.models.dagrun import DagRun
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from sqlalchemy import select

    from csc_complaints.timetables import FinancialYearTimetable

    xcoms: dict[tuple[str, str, int], Any] = {}
    for row in session.execute(
        select(XComModel.run_id, XComModel.task_id, XComModel.map_index, XComModel.value).where(
            XComModel.dag_id == REPORT_DAG,
            XComModel.task_id.in_([*_both(YEAR_TASK), *_both(APPROVAL_TASK), COUNCILS_TASK]),
            XComModel.key == "return_value",
        )
    ):
        task_id = row.task_id.removeprefix(COUNCIL_GROUP_PREFIX)
        xcoms[(row.run_id, task_id, row.map_index)] = XComModel.deserialize_value(row)
    approvals: dict[str, dict[int, tuple[Any, str | None]]] = {}
    for ti, hitl in session.execute(
        select(TaskInstance, HITLDetail)
        .outerjoin(HITLDetail, HITLDetail.ti_id == TaskInstance.id)
        .where(TaskInstance.dag_id == REPORT_DAG, TaskInstance.task_id.in_(_both(APPROVAL_TASK)))
    ):
        approvals.setdefault(ti.run_id, {})[ti.map_index] = (hitl, ti.state)
    timetable = FinancialYearTimetable()
    runs = []
    for run in session.scalars(select(DagRun).where(DagRun.dag_id == REPORT_DAG)):
        listed = xcoms.get((run.run_id, COUNCILS_TASK, -1))
        for map_index, (hitl, ti_state) in (
            approvals.get(run.run_id) or {-1: (None, None)}
        ).items():
            code = council_code
            if map_index >= 0 and isinstance(listed, list) and map_index < len(listed):
                entry = listed[map_index]
                code = entry.get("code", code) if isinstance(entry, dict) else str(entry)
            year = xcoms.get((run.run_id, YEAR_TASK, map_index))
            if isinstance(year, dict):  # a council's: {"financial_year", "code", ...}
                year = year.get("financial_year")
            if not isinstance(year, str):
                year = timetable.financial_year(run.data_interval_start, run.run_after).label
            payload = xcoms.get((run.run_id, APPROVAL_TASK, map_index))
            runs.append(
                ReportRun(
                    council_code=code,
                    financial_year=year,
                    run_id=run.run_id,
                    run_state=str(run.state) if run.state else None,
                    started_at=run.start_date or run.run_after,
                    **_approval(hitl, payload, ti_state),
                )
            )
    dag_of_run = {
        run_id: dag_id
        for dag_id, run_id in session.execute(
            select(DagRun.dag_id, DagRun.run_id).where(
                DagRun.dag_id.in_([EXTRACT_DAG, SOURCE_COMPARISON_DAG, WAREHOUSE_DAG])
            )
        )
    }
    return runs, dag_of_run


# --- the pipeline's side -------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _engine(url: str):
    from csc_complaints.db import make_engine

    return make_engine(url)


def warehouse_engine():
    """The warehouse through the ``complaints_warehouse`` connection, as the api-server sees
    it (environment variable, secrets backend or metadata database)."""
    from airflow.models.connection import Connection

    from csc_complaints.db import sqlalchemy_url
    from csc_complaints.orchestration import WAREHOUSE_CONN_ID

    return _engine(sqlalchemy_url(Connection.get_connection_from_secrets(WAREHOUSE_CONN_ID)))


def current_status() -> tuple[list[YearStatus], Any]:
    """Every council's years now (the registry's councils, then any other the warehouse
    holds), and the registry's councils they were read with."""
    from airflow.utils.session import create_session

    from csc_complaints.councils import load_councils
    from csc_complaints.status import warehouse_status

    registered = load_councils()
    with create_session() as session:
        runs, dag_of_run = read_airflow_records(session, registered[0].code)
    return warehouse_status(warehouse_engine(), registered, runs, dag_of_run=dag_of_run), registered


# --- the page -------------------------------------------------------------------------------------


def render_page(statuses: Iterable[YearStatus], generated_at: datetime) -> str:
    import jinja2

    from csc_complaints.report.wording import TEMPLATES_DIR
    from csc_complaints.status import STATE_LABELS

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    councils: dict[str, list[YearStatus]] = {}
    for status in statuses:
        councils.setdefault(status.council_code, []).append(status)
    return env.get_template("status_page.html.j2").render(
        councils=councils,
        labels=STATE_LABELS,
        generated_at=generated_at.strftime("%d %B %Y %H:%M UTC"),
    )


async def signed_in(request, credentials) -> Any:
    """Airflow's own authentication and authorization, as its routes do it: the user of the
    bearer token or the UI's ``_token`` cookie (``get_user``, via the configured auth manager),
    who must be allowed to read DAG runs (``requires_access_dag``). Raises 401 or 403.

    Airflow's API modules are imported here, on the first request, so that loading the plugin
    (which every Airflow process does, task runners included) stays light.
    """
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import get_user, requires_access_dag

    user = await get_user(request, None, credentials)
    check = requires_access_dag(method="GET", access_entity=DagAccessEntity.RUN)
    await run_in_threadpool(check, request, user)
    return user


def create_app():
    """The FastAPI app the plugin mounts at ``/complaints`` (every route signed-in only)."""
    from datetime import UTC

    from fastapi import Depends, FastAPI, HTTPException, Request
    from fastapi.responses import FileResponse, HTMLResponse
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    from csc_complaints.status import Council, list_councils
    from csc_complaints.status_links import resolve_output_file

    bearer = HTTPBearer(auto_error=False)

    async def require_user(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Any:
        return await signed_in(request, credentials)

    app = FastAPI(
        title="Children's Social Care complaints: status",
        description="Where each council's annual report stands (docs/operations.md).",
        dependencies=[Depends(require_user)],  # signed-in users only
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )

    @app.get("/api/status")
    async def api_status() -> list[dict[str, Any]]:
        """One entry per council and financial year: state, rejected rows, rules, extract,
        links."""
        statuses, _ = await run_in_threadpool(current_status)
        return [status.as_json() for status in statuses]

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        statuses, _ = await run_in_threadpool(current_status)
        html = render_page(statuses, datetime.now(UTC))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/files/{council_code}/{path:path}")
    async def output_file(council_code: str, path: str) -> FileResponse:
        from csc_complaints.councils import load_councils

        def find() -> Any:
            councils: list[Council] = list_councils(warehouse_engine(), load_councils())
            council = next((c for c in councils if c.code == council_code), None)
            return resolve_output_file(council, path) if council else None

        found = await run_in_threadpool(find)
        if found is None:
            raise HTTPException(status_code=404, detail="no such output file")
        return FileResponse(found)

    return app
