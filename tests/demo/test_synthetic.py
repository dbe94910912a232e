"""The synthetic source generator: clean rows, realistic awkward cases, determinism, the CLI.

The row checks here are written independently of the generator, straight from the DQ rules of
docs/quality.md and docs/source-schema.md: plain Python over the rows read back from the database,
with their own working-day count (a day-by-day loop over the ``holidays`` package).
"""

from __future__ import annotations

import copy
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from contextlib import closing
from datetime import date, datetime, timedelta
from functools import cache

import holidays
import pytest
from sqlalchemy import create_engine, insert, select

from csc_complaints_demo.models import SourceBase
from csc_complaints_demo.synthetic import (
    COLUMNS,
    GeneratorConfig,
    SourceNotEmptyError,
    generate,
    iter_batches,
)

CANARY = "Canary-7Q!x"

# Code lists as the spec writes them (docs/source-schema.md), not imported from the code under test.
SPEC_OUTCOMES = {
    "upheld",
    "partially_upheld",
    "not_upheld",
    "inconclusive",
    "withdrawn",
    "escalated_without_response",
}
SPEC_CHANNELS = {"web", "email", "phone", "letter", "in person", "other"}
SPEC_KINDS = {"compliment", "comment"}
SPEC_RELATIONSHIPS = {"child or young person", "parent", "carer", "advocate", "other"}
SPEC_STATUSES = {"open", "completed"}
KEYS = {
    "teams": "team_id",
    "issue_categories": "code",
    "complainants": "complainant_id",
    "complaints": "complaint_id",
    "complaint_stages": "stage_id",
    "feedback": "feedback_id",
    "ombudsman_cases": "ombudsman_case_id",
    "learning_actions": "action_id",
}
PERSONAL = {
    "complainants": ("full_name", "email", "phone", "address"),
    "complaints": ("summary",),
    "feedback": ("summary",),
}
TARGETS = {1: (10, 20), 2: (25, 65)}

# Small but with every awkward case frequent enough to be present for sure.
FEATURE_CONFIG = GeneratorConfig(
    seed=7,
    first_year="2018/19",
    years=3,
    complaints_per_year=400,
    teams=14,
    deletion_rate=0.03,
    late_edit_rate=0.05,
    ombudsman_unlinked_rate=0.01,
    canary=CANARY,
    batch_size=150,
)


# --- independent helpers -------------------------------------------------------------------------


@cache
def _bank_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def working_days(start: date, end: date) -> int:
    """Working days D with start < D <= end (docs/counting-rules.md), counted day by day."""
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in _bank_holidays(day.year):
            count += 1
        day += timedelta(days=1)
    return count


def weekdays(start: date, end: date) -> int:
    """Like working_days but ignoring bank holidays (the mistake a pipeline could make)."""
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += day.weekday() < 5
        day += timedelta(days=1)
    return count


def financial_year_end(day: date) -> date:
    return date(day.year + 1 if day.month >= 4 else day.year, 3, 31)


def read_source(url: str) -> dict[str, list[dict]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: [
                    dict(row._mapping)
                    for row in conn.execute(select(table).order_by(table.c[KEYS[name]]))
                ]
                for name, table in SourceBase.metadata.tables.items()
            }
    finally:
        engine.dispose()


def run(url: str, config: GeneratorConfig) -> dict[str, int]:
    engine = create_engine(url)
    try:
        return generate(engine, config, progress=False)
    finally:
        engine.dispose()


def dq_violations(db: dict[str, list[dict]], as_of: datetime) -> list[str]:
    """Every breach of DQ01-DQ10 (plus the generator's promises) in the rows, as messages."""
    found: list[str] = []
    teams = {t["team_id"] for t in db["teams"]}
    issues = {c["code"] for c in db["issue_categories"]}
    complainants = {c["complainant_id"] for c in db["complainants"]}
    complaints = {c["complaint_id"]: c for c in db["complaints"]}
    stages_by_complaint: dict[int, dict[int, dict]] = defaultdict(dict)

    # DQ01 keys and references unique
    for table, key in KEYS.items():
        for value, n in Counter(row[key] for row in db[table]).items():
            if n > 1:
                found.append(f"DQ01 {table}.{key} {value} x{n}")
    for value, n in Counter(c["reference"] for c in db["complaints"]).items():
        if n > 1 or not value:
            found.append(f"DQ01 reference {value!r} x{n}")

    # DQ02 required dates present, nothing later than as_of; audit columns coherent
    required = {
        "complaints": "received_date",
        "complaint_stages": "requested_date",
        "feedback": "received_date",
        "ombudsman_cases": "referred_date",
        "learning_actions": "agreed_date",
    }
    for table, rows in db.items():
        for row in rows:
            where = f"{table} {row[KEYS[table]]}"
            if table in required and not isinstance(row[required[table]], date):
                found.append(f"DQ02 {where}: {required[table]} missing")
            for column, value in row.items():
                if isinstance(value, datetime):
                    if value > as_of:
                        found.append(f"DQ02 {where}: {column} {value} after as_of")
                elif isinstance(value, date) and value > as_of.date():
                    found.append(f"DQ02 {where}: {column} {value} after as_of")
            if table not in ("teams", "issue_categories"):
                if row["updated_at"] is None:
                    found.append(f"DQ02 {where}: updated_at missing")
                elif row["deleted_at"] is not None and row["updated_at"] < row["deleted_at"]:
                    found.append(f"{where}: deleted_at after updated_at")

    # DQ03 stage numbers, DQ04 order of dates, DQ05 outcome iff response, DQ06/07 for stages
    for s in db["complaint_stages"]:
        where = f"stage row {s['stage_id']}"
        if s["stage"] not in (1, 2, 3):
            found.append(f"DQ03 {where}: stage {s['stage']}")
        if s["stage"] in stages_by_complaint[s["complaint_id"]]:
            found.append(f"DQ03 {where}: stage {s['stage']} twice")
        stages_by_complaint[s["complaint_id"]][s["stage"]] = s
        chain = [s["requested_date"], s["panel_date"], s["panel_report_date"], s["response_date"]]
        present = [d for d in chain if d is not None]
        if present != sorted(present):
            found.append(f"DQ04 {where}: dates out of order {chain}")
        if s["panel_report_date"] is not None and s["panel_date"] is None:
            found.append(f"DQ04 {where}: panel report without panel")
        if s["stage"] != 3 and (s["panel_date"] or s["panel_report_date"]):
            found.append(f"{where}: panel dates outside stage 3")
        if (s["outcome"] is None) != (s["response_date"] is None):
            found.append(f"DQ05 {where}: outcome {s['outcome']} response {s['response_date']}")
        if s["outcome"] is not None and s["outcome"] not in SPEC_OUTCOMES:
            found.append(f"DQ06 {where}: outcome {s['outcome']}")
        if s["team_id"] not in teams:
            found.append(f"DQ07 {where}: team {s['team_id']}")
        if s["complaint_id"] not in complaints:
            found.append(f"DQ07 {where}: complaint {s['complaint_id']}")

    for c in db["complaints"]:
        where = f"complaint {c['reference']}"
        if c["issue"] not in issues:
            found.append(f"DQ07 {where}: issue {c['issue']}")
        if c["channel"] not in SPEC_CHANNELS:
            found.append(f"DQ06 {where}: channel {c['channel']}")
        if c["complainant_id"] not in complainants:
            found.append(f"DQ07 {where}: complainant {c['complainant_id']}")
        stages = stages_by_complaint.get(c["complaint_id"], {})
        # DQ09 qualifying iff stages
        if c["qualifying"] and 1 not in stages:
            found.append(f"DQ09 {where}: qualifying without stage 1")
        if not c["qualifying"] and stages:
            found.append(f"DQ09 {where}: non-qualifying with stages")
        if 1 in stages and stages[1]["requested_date"] != c["received_date"]:
            found.append(f"{where}: stage 1 requested is not the received date")
        # DQ08 stage chain and escalation after the earlier stage's response
        for n in (2, 3):
            if n in stages:
                earlier = stages.get(n - 1)
                if earlier is None:
                    found.append(f"DQ08 {where}: stage {n} without stage {n - 1}")
                elif earlier["response_date"] is None:
                    found.append(f"DQ08 {where}: stage {n} while stage {n - 1} is open")
                elif stages[n]["requested_date"] < earlier["response_date"]:
                    found.append(f"DQ08 {where}: stage {n} requested before stage {n - 1} ended")
        # DQ10 escalated_without_response only at stage 1, and then stage 2 exists
        for n, s in stages.items():
            if s["outcome"] == "escalated_without_response":
                if n != 1:
                    found.append(f"DQ10 {where}: escalated_without_response at stage {n}")
                elif 2 not in stages:
                    found.append(f"DQ10 {where}: escalated_without_response, no stage 2")
                elif stages[2]["requested_date"] != s["response_date"]:
                    found.append(f"DQ10 {where}: escalation date differs from stage 2 request")
            if s["outcome"] == "withdrawn" and n + 1 in stages:
                found.append(f"{where}: escalated after withdrawal")

    for f in db["feedback"]:
        if f["kind"] not in SPEC_KINDS:
            found.append(f"DQ06 feedback {f['feedback_id']}: kind {f['kind']}")
        if f["team_id"] not in teams:
            found.append(f"DQ07 feedback {f['feedback_id']}: team {f['team_id']}")
    for p in db["complainants"]:
        if p["relationship"] not in SPEC_RELATIONSHIPS:
            found.append(f"DQ06 complainant {p['complainant_id']}: {p['relationship']}")
    for o in db["ombudsman_cases"]:
        where = f"ombudsman case {o['ombudsman_case_id']}"
        if o["complaint_id"] is not None and o["complaint_id"] not in complaints:
            found.append(f"DQ07 {where}: complaint {o['complaint_id']}")
        if o["decision_date"] is not None and o["decision_date"] < o["referred_date"]:
            found.append(f"DQ04 {where}: decided before referred")
        if (o["decision"] is None) != (o["decision_date"] is None):
            found.append(f"{where}: decision without decision date or the reverse")
        if o["decision"] is None and o["maladministration"] is not None:
            found.append(f"{where}: maladministration without decision")
    for a in db["learning_actions"]:
        where = f"learning action {a['action_id']}"
        if a["complaint_id"] not in complaints:
            found.append(f"DQ07 {where}: complaint {a['complaint_id']}")
        if a["team_id"] not in teams:
            found.append(f"DQ07 {where}: team {a['team_id']}")
        if a["status"] not in SPEC_STATUSES:
            found.append(f"DQ06 {where}: status {a['status']}")
        if (a["status"] == "completed") != (a["completed_date"] is not None):
            found.append(f"{where}: status {a['status']} completed {a['completed_date']}")
        if a["completed_date"] is not None and a["completed_date"] < a["agreed_date"]:
            found.append(f"DQ04 {where}: completed before agreed")
        if not a["action_text"].strip():
            found.append(f"{where}: empty text")
    return found


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feature_db(tmp_path_factory) -> dict[str, list[dict]]:
    """FEATURE_CONFIG generated once into SQLite, read back."""
    url = f"sqlite:///{tmp_path_factory.mktemp('synthetic') / 'features.sqlite'}"
    run(url, FEATURE_CONFIG)
    return read_source(url)


# --- tests ---------------------------------------------------------------------------------------


def test_columns_written_are_the_models_columns():
    for table, columns in COLUMNS.items():
        assert set(columns) == set(SourceBase.metadata.tables[table].columns.keys()), table
    assert set(COLUMNS) == set(SourceBase.metadata.tables)


def test_rows_are_clean_identical_across_databases_and_batches(new_database, tmp_path):
    """On SQLite and PostgreSQL: counts as returned, every DQ rule holds, the same rows as a
    SQLite run with another batch size, and ids continue after the generated ones."""
    url = new_database()
    counts = run(url, FEATURE_CONFIG)
    db = read_source(url)
    assert counts == {table: len(rows) for table, rows in db.items()}
    assert dq_violations(db, FEATURE_CONFIG.effective_as_of) == []

    other = f"sqlite:///{tmp_path / 'other_batches.sqlite'}"
    run(other, GeneratorConfig(**{**FEATURE_CONFIG.__dict__, "batch_size": 100_000}))
    assert read_source(other) == db

    # PostgreSQL sequences were moved past the explicit ids: a normal insert still works.
    engine = create_engine(url)
    with engine.begin() as conn:
        teams = SourceBase.metadata.tables["teams"]
        new_id = conn.execute(
            insert(teams).values(team_name="New Team", service_area="X").returning(teams.c.team_id)
        ).scalar_one()
    engine.dispose()
    assert new_id == counts["teams"] + 1


def test_the_checks_catch_broken_rows(feature_db):
    """The DQ checks above are not vacuous: each breaks on a row made wrong on purpose."""
    as_of = FEATURE_CONFIG.effective_as_of
    decided = next(s for s in feature_db["complaint_stages"] if s["response_date"])
    escalated = next(s for s in feature_db["complaint_stages"] if s["stage"] == 2)
    breakages = {
        "DQ05": lambda db: db["complaint_stages"][decided["stage_id"] - 1].update(outcome=None),
        "DQ04": lambda db: db["complaint_stages"][decided["stage_id"] - 1].update(
            response_date=decided["requested_date"] - timedelta(days=1)
        ),
        "DQ10": lambda db: db["complaint_stages"][escalated["stage_id"] - 1].update(
            outcome="escalated_without_response", response_date=escalated["requested_date"]
        ),
        "DQ02": lambda db: db["feedback"][0].update(received_date=as_of.date() + timedelta(1)),
        "DQ01": lambda db: db["complaints"][1].update(reference=db["complaints"][0]["reference"]),
        "DQ09": lambda db: db["complaints"][decided["complaint_id"] - 1].update(qualifying=False),
    }
    for rule, breakage in breakages.items():
        broken = copy.deepcopy(feature_db)
        breakage(broken)
        assert any(v.startswith(rule) for v in dq_violations(broken, as_of)), rule


def test_awkward_cases_are_present(feature_db):
    db = feature_db
    complaints = {c["complaint_id"]: c for c in db["complaints"]}
    stages = db["complaint_stages"]
    by_complaint: dict[int, dict[int, dict]] = defaultdict(dict)
    for s in stages:
        by_complaint[s["complaint_id"]][s["stage"]] = s

    # Soft deletions: deleted complaints, some with their stage rows left undeleted.
    deleted = [c for c in db["complaints"] if c["deleted_at"]]
    assert deleted
    assert any(
        any(s["deleted_at"] is None for s in by_complaint[c["complaint_id"]].values())
        for c in deleted
    )
    assert any(s["deleted_at"] for s in stages)
    assert any(f["deleted_at"] for f in db["feedback"])

    # Late edits: updated_at long after the row's last date, also after its year closed.
    def last_date(row: dict) -> date:
        return max(v for v in row.values() if type(v) is date)

    late = [
        s
        for s in stages + db["feedback"] + db["complaints"]
        if s["deleted_at"] is None and s["updated_at"].date() - last_date(s) >= timedelta(90)
    ]
    assert len(late) >= 20
    assert any(s["updated_at"].date() > financial_year_end(last_date(s)) for s in late)

    # Carry-overs: received in one year, decided in the next; escalated in the next year;
    # and cases still open when the data ends.
    assert any(
        s["stage"] == 1
        and s["response_date"]
        and financial_year_end(s["requested_date"]) < s["response_date"]
        for s in stages
    )
    assert any(
        s["stage"] == 2
        and financial_year_end(by_complaint[s["complaint_id"]][1]["requested_date"])
        < s["requested_date"]
        for s in stages
    )
    open_stages = [s for s in stages if s["response_date"] is None]
    assert {s["stage"] for s in open_stages} >= {1, 2}
    assert any(s["stage"] == 3 and s["response_date"] is None for s in stages)

    # All three stages, every outcome, withdrawals before a panel, extensions.
    assert {s["stage"] for s in stages} == {1, 2, 3}
    assert {s["outcome"] for s in stages} == SPEC_OUTCOMES | {None}
    assert any(s["stage"] == 3 and s["outcome"] and s["panel_date"] is None for s in stages)
    assert any(s["extension_agreed"] for s in stages)
    assert any(not c["qualifying"] for c in complaints.values())

    # Bank holidays decide timeliness: responses exactly on a target counted in working days
    # that are over it when bank holidays are (wrongly) counted as working days.
    shifted = [
        s
        for s in stages
        if s["stage"] in TARGETS
        and s["response_date"]
        and any(
            working_days(s["requested_date"], s["response_date"])
            == target
            < weekdays(s["requested_date"], s["response_date"])
            for target in TARGETS[s["stage"]]
        )
    ]
    assert len([s for s in shifted if s["stage"] == 1]) >= 5
    assert any(s["stage"] == 2 for s in shifted)
    # Teams answer on the deadline day, counted in real working days: among stage 1 responses
    # whose span includes a bank holiday, day 10 stands out from its neighbours.
    spanning = Counter(
        working_days(s["requested_date"], s["response_date"])
        for s in stages
        if s["stage"] == 1
        and s["response_date"]
        and weekdays(s["requested_date"], s["response_date"])
        > working_days(s["requested_date"], s["response_date"])
    )
    assert spanning[10] > spanning[9] + spanning[11], spanning

    # Ombudsman: linked and unlinked referrals, decided and open, maladministration found.
    cases = db["ombudsman_cases"]
    assert any(o["complaint_id"] is None for o in cases)
    assert any(o["complaint_id"] is not None for o in cases)
    assert any(o["maladministration"] is True for o in cases)
    assert any(o["decision_date"] is None for o in cases)
    assert any(o["decision_date"] is not None for o in cases)

    # Learning actions: varied texts, some carrying characters the report must escape.
    texts = [a["action_text"] for a in db["learning_actions"]]
    assert len(set(texts)) >= 0.6 * len(texts) >= 30
    for character in "<&>\"'":
        assert any(character in text for text in texts), character
    assert {a["status"] for a in db["learning_actions"]} == SPEC_STATUSES


def test_canary_only_in_personal_data(feature_db):
    for table, rows in feature_db.items():
        for row in rows:
            for column, value in row.items():
                if column in PERSONAL.get(table, ()):
                    assert CANARY in value, (table, column, row)
                elif isinstance(value, str):
                    assert CANARY not in value, (table, column)


def test_counts_follow_the_config(tmp_path):
    config = GeneratorConfig(seed=3, first_year="2020/21", years=2, complaints_per_year=700)
    url = f"sqlite:///{tmp_path / 'counts.sqlite'}"
    run(url, config)
    db = read_source(url)

    def fy(day: date) -> int:
        return day.year if day.month >= 4 else day.year - 1

    assert Counter(fy(c["received_date"]) for c in db["complaints"]) == {2020: 700, 2021: 700}
    feedback = Counter((f["kind"], fy(f["received_date"])) for f in db["feedback"])
    assert feedback == {
        ("compliment", 2020): 175,
        ("compliment", 2021): 175,
        ("comment", 2020): 21,
        ("comment", 2021): 21,
    }
    assert len(db["teams"]) == 12 == len({t["team_name"] for t in db["teams"]})
    assert {c["code"] for c in db["issue_categories"]} >= {c["issue"] for c in db["complaints"]}
    non_qualifying = sum(not c["qualifying"] for c in db["complaints"]) / 1400
    assert 0.04 < non_qualifying < 0.10

    by_complaint: dict[int, dict[int, dict]] = defaultdict(dict)
    for s in db["complaint_stages"]:
        by_complaint[s["complaint_id"]][s["stage"]] = s
    decided = [
        st
        for st in by_complaint.values()
        if st[1]["outcome"] in ("upheld", "partially_upheld", "not_upheld", "inconclusive")
    ]
    escalated = sum(2 in st for st in decided) / len(decided)
    assert 0.10 < escalated < 0.20
    stage1 = [st[1] for st in by_complaint.values() if st[1]["response_date"]]
    within_10 = sum(working_days(s["requested_date"], s["response_date"]) <= 10 for s in stage1)
    assert 0.4 < within_10 / len(stage1) < 0.8
    assert sum(
        Counter(s["outcome"] for s in stage1)[o] for o in ("not_upheld", "partially_upheld")
    ) > 0.6 * len(stage1)


def test_same_seed_same_rows_other_seed_other_rows(tmp_path):
    config = GeneratorConfig(seed=11, years=2, complaints_per_year=150, teams=30, canary="c")
    urls = [f"sqlite:///{tmp_path / f'{n}.sqlite'}" for n in range(3)]
    run(urls[0], config)
    run(urls[1], config)
    run(urls[2], GeneratorConfig(**{**config.__dict__, "seed": 12}))
    first, again, other = map(read_source, urls)
    assert first == again
    assert first["complaints"] != other["complaints"]
    assert first["complaint_stages"] != other["complaint_stages"]
    assert len(first["teams"]) == 30 == len({t["team_name"] for t in first["teams"]})


def test_rows_are_streamed_in_batches():
    config = GeneratorConfig(seed=5, years=2, complaints_per_year=300, batch_size=40)
    batches = [complaints for _rows, complaints in iter_batches(config)]
    assert sum(batches) == 600
    assert len(batches) >= 600 // 60
    assert max(batches) < 40 + 20  # a batch closes at the end of the day that fills it


def test_refuses_a_database_that_is_not_empty(new_database):
    url = new_database()
    config = GeneratorConfig(seed=2, years=1, complaints_per_year=30)
    counts = run(url, config)
    with pytest.raises(SourceNotEmptyError, match="not empty"):
        run(url, config)
    assert {table: len(rows) for table, rows in read_source(url).items()} == counts

    only_a_team = new_database()
    engine = create_engine(only_a_team)
    SourceBase.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(SourceBase.metadata.tables["teams"]).values(
                team_id=1, team_name="T", service_area="S"
            )
        )
    engine.dispose()
    with pytest.raises(SourceNotEmptyError, match="teams"):
        run(only_a_team, config)


def test_config_rejects_nonsense():
    with pytest.raises(ValueError, match="2018/19"):
        GeneratorConfig(first_year="2018-19")
    with pytest.raises(ValueError, match="follow"):
        GeneratorConfig(first_year="2018/20")
    with pytest.raises(ValueError, match="deletion_rate"):
        GeneratorConfig(deletion_rate=1.5)
    with pytest.raises(ValueError, match="outcome_mix"):
        GeneratorConfig(outcome_mix={"great": 1.0})


def test_as_of_cuts_the_data(tmp_path):
    as_of = datetime(2019, 9, 30, 12, 0)
    config = GeneratorConfig(seed=4, years=3, complaints_per_year=200, as_of=as_of)
    url = f"sqlite:///{tmp_path / 'as_of.sqlite'}"
    run(url, config)
    db = read_source(url)
    assert dq_violations(db, as_of) == []
    assert max(c["received_date"] for c in db["complaints"]) <= as_of.date()
    assert len(db["complaints"]) > 200


def test_command_line(tmp_path):
    path = tmp_path / "cli.sqlite"
    command = [
        sys.executable,
        "-m",
        "csc_complaints_demo.synthetic",
        "--url",
        f"sqlite:///{path}",
        "--complaints-per-year",
        "60",
        "--years",
        "2",
        "--first-year",
        "2019/20",
        "--teams",
        "5",
        "--seed",
        "3",
        "--canary",
        CANARY,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "complaints: 120" in done.stdout
    assert "120/120" in done.stderr  # the progress bar ran to the end
    db = read_source(f"sqlite:///{path}")
    assert len(db["complaints"]) == 120
    assert len(db["teams"]) == 5
    assert all(CANARY in p["full_name"] for p in db["complainants"])

    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2
    assert "not empty" in again.stderr


def test_a_failed_run_leaves_the_database_empty(new_database, monkeypatch):
    """All batches go in one transaction: a run that breaks half way writes nothing."""
    import csc_complaints_demo.synthetic as synthetic

    real_batches = synthetic.iter_batches

    def breaking_batches(config):
        for number, batch in enumerate(real_batches(config)):
            if number == 2:
                raise RuntimeError("disk full")
            yield batch

    url = new_database()
    config = GeneratorConfig(seed=2, years=1, complaints_per_year=200, batch_size=50)
    monkeypatch.setattr(synthetic, "iter_batches", breaking_batches)
    with pytest.raises(RuntimeError, match="disk full"):
        run(url, config)
    assert all(rows == [] for rows in read_source(url).values())
    monkeypatch.setattr(synthetic, "iter_batches", real_batches)
    assert run(url, config)["complaints"] == 200


def test_portable_writer_writes_the_same_rows(tmp_path):
    """Databases other than SQLite/PostgreSQL go through SQLAlchemy Core: same rows, and the
    fast SQLite path stores values exactly as SQLAlchemy's own types would."""
    from csc_complaints_demo.models import create_source_schema
    from csc_complaints_demo.synthetic import _generate_portable

    config = GeneratorConfig(seed=9, years=2, complaints_per_year=120, canary="c", batch_size=70)
    fast, portable = (f"sqlite:///{tmp_path / name}" for name in ("fast.db", "portable.db"))
    counts = run(fast, config)
    engine = create_engine(portable)
    create_source_schema(engine)
    assert _generate_portable(engine, config, progress=False) == counts
    engine.dispose()
    assert read_source(portable) == read_source(fast)

    def stored(name: str) -> list[str]:
        with closing(sqlite3.connect(tmp_path / name)) as conn:
            return list(conn.iterdump())

    assert stored("portable.db") == stored("fast.db")  # byte for byte, as stored
