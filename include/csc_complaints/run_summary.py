"""What a run of the DAGs left behind, read back for the person who started it (``make run``,
``make demo``), council by council: the headline figures, the rows held back by rule, and every
output file under the council's folder ``<output>/<council_code>/``.

Plain functions: the warehouse is opened read-only and never created (a run that failed before
the warehouse existed has no figures, and says so).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from csc_complaints.dates import FinancialYear
from csc_complaints.db import sql

# Complaint references shown per rule; the rest are in dq_rejects and reconciliation.json.
SHOWN_PER_RULE = 10


@dataclass(frozen=True)
class HeldBackRow:
    """A row a DQ rule keeps out of the figures until the source is corrected."""

    rule_code: str
    source_table: str
    source_key: str
    reference: str | None  # the complaint's reference, when the row belongs to a complaint

    @property
    def name(self) -> str:
        """``CSC-2019-0042 (complaint_stages 101)``, or ``feedback 202`` without a complaint."""
        row = f"{self.source_table} {self.source_key}"
        return f"{self.reference} ({row})" if self.reference else row


def headline_figures(
    warehouse: Engine, council_code: str, financial_years: Iterable[str]
) -> dict[str, dict[str, int]]:
    """``{year: {measure: value}}`` from ``stats_headlines`` (years without figures left out)."""
    from csc_complaints.warehouse.schema import stats_headlines as h

    years = sorted(financial_years)
    query = (
        select(h.c.financial_year, h.c.measure, h.c.value)
        .where(h.c.council_code == council_code, h.c.financial_year.in_(years))
        .order_by(h.c.financial_year, h.c.measure)
    )
    figures: dict[str, dict[str, int]] = {}
    with warehouse.connect() as conn:
        for year, measure, value in conn.execute(query):
            figures.setdefault(year, {})[measure] = value
    return figures


def held_back_rows(warehouse: Engine, council_code: str) -> list[HeldBackRow]:
    """Every row the DQ rules hold back for the council, with its complaint's reference (as
    the row checks stored it in ``dq_rejects``)."""
    with warehouse.connect() as conn:
        rows = conn.execute(sql("quality", "select_rejects"), {"council_code": council_code})
        return [
            HeldBackRow(row.rule_code, row.source_table, row.source_key, row.reference)
            for row in rows
        ]


def describe_held_back(rows: Sequence[HeldBackRow]) -> list[tuple[str, str]]:
    """(heading, rows) per rule for a terminal: the rule, its wording and how many rows; then
    which rows, by complaint reference where the row belongs to a complaint."""
    from csc_complaints.quality.suites import rule_by_code

    by_rule: dict[str, list[HeldBackRow]] = {}
    for row in rows:
        by_rule.setdefault(row.rule_code, []).append(row)
    lines = []
    for code, held in sorted(by_rule.items()):
        try:
            rule = rule_by_code(code)
            wording = rule.summary or rule.rule or code
        except KeyError:
            wording = code
        count = f"{len(held)} row{'s' if len(held) != 1 else ''}"
        names = [row.name for row in held[:SHOWN_PER_RULE]]
        more = len(held) - len(names)
        lines.append(
            (
                f"{code} ({count}): {wording.removeprefix(f'{code}: ')}",
                ", ".join(names) + (f" and {more} more" if more else ""),
            )
        )
    return lines


def output_paths(output_dir: Path, financial_years: Iterable[str]) -> list[Path]:
    """Every file a run wrote for the years (report, CSVs, reconciliation.json), then the Data
    Docs' front page."""
    paths = []
    for label in sorted(financial_years):
        folder = Path(output_dir) / FinancialYear.parse(label).slug
        if folder.is_dir():
            paths += sorted(
                p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
    docs = Path(output_dir) / "data-docs" / "index.html"
    if docs.is_file():
        paths.append(docs)
    return paths


def read_warehouse(
    warehouse: Engine, council_code: str, financial_years: Iterable[str]
) -> tuple[dict[str, dict[str, int]], list[HeldBackRow]] | None:
    """(figures, held-back rows), or None when there is no warehouse to read yet."""
    try:
        return (
            headline_figures(warehouse, council_code, financial_years),
            held_back_rows(warehouse, council_code),
        )
    except DBAPIError:  # no such file or table: the run stopped before the warehouse was built
        return None


def shown(path: Path) -> str:
    """A path as short as it can be said: relative to the working folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_summary(console, env: dict[str, str], councils, financial_years: Sequence[str]) -> None:
    """Each council's headline figures of the years, rows held back by rule and output files
    (under ``<output>/<council_code>/``)."""
    from airflow.sdk import Connection

    from csc_complaints.db import make_engine, sqlalchemy_url

    uri = env.get("AIRFLOW_CONN_COMPLAINTS_WAREHOUSE")
    warehouse = None
    if uri:  # else it lives in a secrets backend or the metadata DB: nothing to show here
        url = sqlalchemy_url(Connection.from_uri(uri, conn_id="complaints_warehouse"))
        warehouse = make_engine(url, read_only=True)  # never creates a missing warehouse
    try:
        for council in councils:
            console.print(f"\n[bold]{council.name}[/] ({council.code})")
            _print_council(console, warehouse, council, financial_years)
    finally:
        if warehouse is not None:
            warehouse.dispose()


def _print_council(console, warehouse, council, financial_years: Sequence[str]) -> None:
    years = sorted(financial_years)
    code = council.code
    read = None if warehouse is None else read_warehouse(warehouse, code, years)
    if read is None:
        console.print(f"No figures: the warehouse of council {code} has not been built.")
    else:
        figures, held_back = read
        measures = sorted({m for year in figures.values() for m in year})
        if measures:
            heading = "Headline figures".ljust(32)
            console.print(f"[bold]{heading}[/]" + "".join(f"{year:>9}" for year in years))
            for measure in measures:
                values = "".join(f"{figures.get(y, {}).get(measure, '-'):>9}" for y in years)
                console.print(f"  {measure:<30}{values}")
        for year in years:
            if year not in figures:
                console.print(f"{year}: no figures in the warehouse for council {code}")
        if held_back:
            console.print(
                f"[bold]Held back[/]: {len(held_back)} source row(s) kept out of the figures "
                "until corrected:"
            )
            for heading, rows in describe_held_back(held_back):
                # The rule's wording is cut to the line; the rows are never cut.
                console.print(f"  {heading}", markup=False, no_wrap=True, overflow="ellipsis")
                console.print(f"      {rows}", markup=False)
        else:
            console.print("Held back: no source row (none of its rows is in dq_rejects).")
    output = council.output_path
    paths = output_paths(output, years)
    # A path is never broken across lines (it is copied from the terminal).
    console.print(
        f"[bold]Outputs[/] under {shown(output)}/:" if paths else "No outputs.", soft_wrap=True
    )
    for folder, names in _grouped(paths, output):
        console.print(f"  {folder}{', '.join(names)}", markup=False)


# A folder of more CSV files than this (the open data) is shown as its README, its metadata and
# a count of its CSV files, which the README lists, so the summary still fits on one screen.
CSV_FILES_LISTED = 4


def _grouped(paths: Sequence[Path], root: Path) -> list[tuple[str, list[str]]]:
    """Files grouped by folder (relative to ``root``), one line per folder; the same file in
    several formats as ``name.{html,pdf}``; a folder of many CSV files as their count."""
    groups: dict[str, dict[str, list[str]]] = {}
    for path in paths:
        relative = path.relative_to(root)
        folder = "" if len(relative.parts) == 1 else f"{relative.parent}/"
        groups.setdefault(folder, {}).setdefault(relative.stem, []).append(relative.suffix)
    grouped = []
    for folder, stems in groups.items():
        names = [
            stem
            + (suffixes[0] if len(suffixes) == 1 else f".{{{','.join(s[1:] for s in suffixes)}}}")
            for stem, suffixes in stems.items()
        ]
        csv_files = [name for name in names if name.endswith(".csv")]
        if len(csv_files) > CSV_FILES_LISTED:
            names = [name for name in names if name not in csv_files]
            names.append(f"{len(csv_files)} CSV files")
        grouped.append((folder, names))
    return grouped
