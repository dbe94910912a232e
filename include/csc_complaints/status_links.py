"""The Complaints page's links: to Airflow's UI (DAG runs) and to the output files it serves.

Every link is relative to the page (``/complaints/``): ``../dags/<dag>/runs/<run>`` is Airflow's
UI, ``files/<council>/<path>`` a file of the council's output folder, served to signed-in users
only by ``csc_complaints.status_app`` through ``resolve_output_file``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlparse

from csc_complaints.dates import FinancialYear

if TYPE_CHECKING:
    from csc_complaints.status import Council, ReportRun

WAREHOUSE_DAG = "complaints_warehouse"
REPORT_DAG = "complaints_annual_report"


@dataclass(frozen=True)
class Link:
    label: str
    href: str  # relative to the page (/complaints/): "../dags/..." is Airflow's UI

    def as_json(self) -> dict[str, str]:
        return {"label": self.label, "href": self.href}


def dag_run_href(dag_id: str, run_id: str) -> str:
    """Airflow's UI page of a DAG run, relative to the page at ``/complaints/``."""
    return f"../dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def file_href(council_code: str, relative: Path | str) -> str:
    """An output file as the page serves it (``files/<council>/<path>``, signed-in users only)."""
    return f"files/{quote(council_code, safe='')}/{quote(Path(relative).as_posix())}"


def _output_file(output_dir: Path, path: Path) -> str | None:
    """``path`` relative to the output folder, or None when it lies outside it."""
    try:
        return path.resolve().relative_to(output_dir.resolve()).as_posix()
    except ValueError:
        return None


def _data_docs_path(data_docs: str | None) -> Path | None:
    """The Data Docs page as a file path (the warehouse keeps a ``file://`` URL)."""
    if not data_docs:
        return None
    parsed = urlparse(data_docs)
    return Path(unquote(parsed.path)) if parsed.scheme in ("file", "") else None


def year_links(
    council: Council,
    year: FinancialYear,
    recorded,
    runs: list[ReportRun],
    published,
    dag_of_run,
    pdf: Path,
    directory: Path,
) -> list[Link]:
    """The year's report run, reconciliation run, Data Docs page and output files, those that
    exist."""
    from csc_complaints.report.reconciliation import reconciliation_path

    code, output = council.code, council.output_dir
    links: list[Link] = []
    if runs:
        links.append(Link("Report run", dag_run_href(REPORT_DAG, runs[0].run_id)))
    elif published is not None:
        links.append(Link("Report run", dag_run_href(REPORT_DAG, published.run_id)))
    if recorded is not None:
        dag_id = dag_of_run.get(recorded.run_id, WAREHOUSE_DAG)
        links.append(Link("Reconciliation run", dag_run_href(dag_id, recorded.run_id)))
        docs = _data_docs_path(recorded.data_docs)
        relative = _output_file(output, docs) if docs and docs.exists() else None
        if relative:
            links.append(Link("Data Docs", file_href(code, relative)))
    for label, path in (
        ("Report (PDF)", pdf),
        ("Report (HTML)", pdf.with_suffix(".html")),
        ("reconciliation.json", reconciliation_path(output, year)),
    ):
        relative = _output_file(output, path) if path.exists() else None
        if relative:
            links.append(Link(label, file_href(code, relative)))
    for path in sorted((directory / "csv").glob("*.csv")):
        relative = _output_file(output, path)
        if relative:
            links.append(Link(f"{path.stem}.csv", file_href(code, relative)))
    return links


def resolve_output_file(council: Council, relative: str) -> Path | None:
    """An output file a page link names, or None when it is not a file inside the council's
    output folder (no ``..`` escapes, no folders)."""
    root = council.output_dir.resolve()
    candidate = (root / unquote(relative)).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate
