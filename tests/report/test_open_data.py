"""The year's open data as a user downloads it: ``<output>/2019-20/csv/``.

Built from the reference warehouse (tests/report/conftest.py). Checked independently of the
writer: the CSV files are read back with the standard library, the CSVW metadata is loaded and
validated with the ``csvw`` package, and every number is traced back to the stats tables by
reading them with SQL.
"""

from __future__ import annotations

import csv
import json
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from csc_complaints.db import make_engine
from csc_complaints.measures import HEADLINE_MEASURES, OUTCOMES, TIMELINESS_MEASURES
from csc_complaints.report.build import build_report
from csc_complaints.report.open_data import CSVW_METADATA, LICENCE_URL, README, columns_of
from csc_complaints.report.open_data_tables import OPEN_DATA_TABLES
from csc_complaints.warehouse import schema

from .conftest import AREA_OF, load_reference_warehouse, sign_off, write_reconciliation

FY = "2019/20"
STAGES = (1, 2, 3)


@pytest.fixture(scope="module")
def settings_():
    from csc_complaints.settings import load_settings

    return load_settings({})


@pytest.fixture(scope="module")
def built(tmp_path_factory, settings_):
    root = tmp_path_factory.mktemp("open-data")
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    load_reference_warehouse(url, settings_.council_code)
    output = root / "output"
    write_reconciliation(output, settings_.council_code)
    engine = make_engine(url)
    result = build_report(engine, settings_, FY, output, final=False)
    return {"engine": engine, "output": output, "folder": output / "2019-20" / "csv", "r": result}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def by_file(built, file_name: str) -> list[dict[str, str]]:
    return read_csv(built["folder"] / file_name)


def stats(built, table: str) -> list[dict]:
    with built["engine"].connect() as conn:
        rows = conn.execute(
            text(f"SELECT * FROM {table} WHERE financial_year = :fy"), {"fy": FY}
        ).mappings()
        return [dict(r) for r in rows]


def test_the_folder_holds_the_files_a_reader_understands(built):
    names = {p.name for p in built["folder"].iterdir()}
    assert names == {
        "headline-figures.csv",
        "complaints-received-by-team.csv",
        "complaint-outcomes-by-team.csv",
        "complaints-by-issue.csv",
        "compliments-and-comments-by-team.csv",
        "response-times.csv",
        "complaints-by-who-complained.csv",
        "complaints-by-channel.csv",
        "complaints-escalated.csv",
        "response-days-by-stage.csv",
        "ombudsman-decisions.csv",
        "learning-actions-by-team.csv",
        README,
        CSVW_METADATA,
    }
    assert set(built["r"].csv) == {built["folder"] / n for n in names}
    # One file per published stats table (all but the quarterly monitoring pack's).
    published = {t.name for t in schema.PUBLISHED_STATS_TABLES}
    assert {t.stats_table for t in OPEN_DATA_TABLES} == published


def test_every_team_and_outcome_has_its_cell_zeros_included(built):
    teams = {(AREA_OF[t], t) for t in AREA_OF}
    rows = by_file(built, "complaint-outcomes-by-team.csv")
    cells = {(int(r["stage"]), r["service_area"], r["team"], r["outcome"]) for r in rows}
    expected = {
        (stage, area, team, outcome.code)
        for stage in STAGES
        for area, team in teams
        for outcome in OUTCOMES
        if outcome.applies_to(stage)
    }
    assert cells == expected and len(rows) == len(expected), "one row per cell, none twice"
    zeros = [r for r in rows if r["decisions"] == "0"]
    assert zeros and len(zeros) < len(rows)
    # The seed's blank cell (a pivot of the non-zero rows) is now an explicit zero.
    stats_cells = {
        (r["stage"], r["team"], r["outcome"]) for r in stats(built, "stats_outcomes_by_team")
    }
    assert len(stats_cells) < len(expected), "the stats table itself has only non-zero cells"


def test_comment_rows_are_present_for_every_team(built):
    rows = by_file(built, "compliments-and-comments-by-team.csv")
    comments = [r for r in rows if r["kind"] == "comment"]
    assert {r["team"] for r in comments} == set(AREA_OF)
    assert {r["kind_label"] for r in comments} == {"Comments"}
    received = {r["team"]: int(r["received"]) for r in rows if r["kind"] == "compliment"}
    assert received["Fostering"] == 3 and received["Adoption Team"] == 0
    by_team = by_file(built, "complaints-received-by-team.csv")
    assert {(int(r["stage"]), r["team"]) for r in by_team} == {
        (s, t) for s in STAGES for t in AREA_OF
    }


def test_a_zero_row_leaves_a_figure_that_is_not_a_count_empty(built):
    """This fixture's warehouse holds no response days: each stage is listed with zero
    responses and no mean or median (a mean of nothing is not zero)."""
    rows = by_file(built, "response-days-by-stage.csv")
    assert [(r["stage"], r["responses"], r["mean_working_days"]) for r in rows] == [
        ("1", "0", ""),
        ("2", "0", ""),
        ("3", "0", ""),
    ]
    assert [r["stage"] for r in by_file(built, "complaints-escalated.csv")] == ["1", "2"]
    learning = by_file(built, "learning-actions-by-team.csv")
    assert {r["team"] for r in learning} == set(AREA_OF)


def test_every_measure_and_issue_is_listed(built):
    headlines = by_file(built, "headline-figures.csv")
    assert [r["measure"] for r in headlines] == [m.name for m in HEADLINE_MEASURES]
    assert all(r["measure_label"] for r in headlines)
    times = by_file(built, "response-times.csv")
    assert [r["measure"] for r in times] == [m.name for m in TIMELINESS_MEASURES]
    issues = by_file(built, "complaints-by-issue.csv")
    assert all(r["issue_label"] for r in issues)
    assert sum(int(r["complaints"]) for r in issues) == 57


def test_a_label_beside_every_code(built):
    labels = {o.code: o.label for o in OUTCOMES}
    rows = by_file(built, "complaint-outcomes-by-team.csv")
    assert all(r["outcome_label"] == labels[r["outcome"]] for r in rows)
    times = {r["measure"]: r for r in by_file(built, "response-times.csv")}
    assert times["stage1_within_10wd"]["measure_label"] == "Stage 1 response"
    for table in OPEN_DATA_TABLES:
        header = [c.name for c in columns_of(table)]
        for code in ("outcome", "measure", "issue", "kind"):
            if code in header:
                assert header[header.index(code) + 1] == f"{code}_label", table.file_name


def test_timeliness_has_target_and_percentage(built, settings_):
    times = {r["measure"]: r for r in by_file(built, "response-times.csv")}
    for measure in TIMELINESS_MEASURES:
        row = times[measure.name]
        assert int(row["target_working_days"]) == getattr(settings_, measure.target_setting)
        responses, within = int(row["responses"]), int(row["within_target"])
        if responses:
            exact = Decimal(within * 100) / Decimal(responses)
            assert Decimal(row["percentage_within_target"]) == exact.quantize(
                Decimal("0.1"), ROUND_HALF_UP
            )
        else:
            assert row["percentage_within_target"] == ""
    assert times["stage1_within_10wd"]["percentage_within_target"] == "33.3"  # 17 of 51


def test_status_says_draft_then_final(built, settings_, tmp_path):
    # (This fixture holds none of the newer tables' free-valued rows: those files are empty.)
    for table in OPEN_DATA_TABLES[:6]:
        assert {r["status"] for r in by_file(built, table.file_name)} == {"draft"}
    for table in OPEN_DATA_TABLES:
        assert {r["status"] for r in by_file(built, table.file_name)} <= {"draft"}
    assert "Status: **draft**" in (built["folder"] / README).read_text(encoding="utf-8")
    output = tmp_path / "out"
    write_reconciliation(output, settings_.council_code)
    final = build_report(built["engine"], settings_, FY, output, final=True, sign_off=sign_off())
    folder = final.directory / "csv"
    for table in OPEN_DATA_TABLES[:6]:
        assert {r["status"] for r in read_csv(folder / table.file_name)} == {"final"}


def test_every_value_traces_to_a_stats_table(built):
    """Each number is its stats table's (a missing row is zero); each stats row is published."""
    for table in OPEN_DATA_TABLES:
        rows = by_file(built, table.file_name)
        source = {tuple(str(r[k]) for k in table.key): r for r in stats(built, table.stats_table)}
        published = {tuple(r[k] for k in table.key): r for r in rows}
        assert set(source) <= set(published), f"{table.file_name} dropped a stats row"
        for key, row in published.items():
            assert row["council_code"] and row["financial_year"] == FY
            for column in columns_of(table):
                if column.stats_column is None or column.stats_column in table.key:
                    continue
                if key in source:
                    assert row[column.name] == str(source[key][column.stats_column]), (
                        table.file_name,
                        key,
                        column.name,
                    )
                elif column.datatype == "integer":
                    assert row[column.name] == "0", (table.file_name, key, column.name)


def test_readme_is_a_data_dictionary_with_the_licence(built):
    readme = (built["folder"] / README).read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in readme and LICENCE_URL in readme
    for table in OPEN_DATA_TABLES:
        section = readme[readme.index(f"### {table.file_name}") :]
        assert table.counting_rule in section
        for column in columns_of(table):
            line = next(row for row in section.splitlines() if row.startswith(f"| `{column.name}`"))
            assert column.meaning in line and column.datatype in line
            if column.unit:
                assert f"| {column.unit} |" in line
            if column.stats_column:
                assert f"`{table.stats_table}.{column.stats_column}`" in line


def test_csvw_metadata_is_valid_and_describes_every_file(built, tmp_path):
    """Validated by the ``csvw`` package (PyPI) as its ``csvwvalidate`` does: the metadata is
    read, every cell parsed as its column's datatype, primary keys checked unique."""
    import csvw

    metadata = built["folder"] / CSVW_METADATA
    document = json.loads(metadata.read_text(encoding="utf-8"))
    assert document["dc:license"] == {"@id": LICENCE_URL}
    checked = csvw.CSVW(str(metadata), validate=True)
    assert checked.is_valid, [str(w.message) for w in checked.warnings]
    assert [str(t.url) for t in checked.tables] == [t.file_name for t in OPEN_DATA_TABLES]
    for table, declared in zip(checked.tables, OPEN_DATA_TABLES, strict=True):
        assert [c.name for c in table.tableSchema.columns] == [c.name for c in columns_of(declared)]
        rows = list(table.iterdicts(strict=True))  # raises on a cell not of its datatype
        assert len(rows) == len(by_file(built, declared.file_name))
        integers = [c.name for c in columns_of(declared) if c.datatype == "integer"]
        assert all(isinstance(row[name], int) for row in rows for name in integers)
    # The validator does catch a bad file: a count that is not a number.
    broken = tmp_path / "csv"
    shutil.copytree(built["folder"], broken)
    headlines = broken / "headline-figures.csv"
    lines = headlines.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",fifty-seven"
    headlines.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert not csvw.CSVW(str(broken / CSVW_METADATA), validate=True).is_valid


def test_rebuild_writes_the_same_bytes(built, settings_):
    before = {p: p.read_bytes() for p in built["r"].csv}
    again = build_report(built["engine"], settings_, FY, built["output"], final=False)
    assert {p: p.read_bytes() for p in again.csv} == before
