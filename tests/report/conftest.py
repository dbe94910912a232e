"""A warehouse holding the reference figures (2019/20 and 2018/19) for the report tests.

The stats rows are inserted straight from ``../shared/reference/figures-2019-20.yaml`` through
the schema's tables, so the report is tested against the published figures independently of the
extract and warehouse build. Where the YAML leaves a split open (compliments by team, the
2018/19 complaints of teams not listed in 2019/20) the split chosen here is stated below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import insert

from csc_complaints.db import make_engine
from csc_complaints.quality.suites import DQ_SUITE, load_rules
from csc_complaints.settings import load_settings
from csc_complaints.warehouse import schema

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"
FIGURES = yaml.safe_load((REFERENCE / "figures-2019-20.yaml").read_text(encoding="utf-8"))

ISSUE_CODES = {
    "Staff attitude/behaviour": "staff_attitude",
    "Communication": "communication",
    "Service/provision": "service_provision",
    "Outcome of a decision/assessment": "decision_outcome",
    "Breach of confidentiality": "confidentiality",
    "Provision of information": "information",
}
OUTCOME_CODES = [
    "escalated_without_response",
    "inconclusive",
    "not_upheld",
    "partially_upheld",
    "upheld",
    "withdrawn",
]
AREA_OF = {team: area for area, teams in FIGURES["service_areas"].items() for team in teams}
AREA_OF["Adoption Team"] = "Placements & Adoption Service"

# 2018/19 complaints of teams with none in 2019/20 (the YAML gives only their totals).
PRIOR_UNLISTED = {
    1: {"Fostering": 5, "Adoption Team": 4},  # 67 - 58
    2: {"Fostering": 5, "Adoption Team": 3},  # 16 - 8
    3: {"Safeguarding Team B": 4},  # neither 2019/20 team had one
}
# Compliments by team: the YAML gives totals only (7 and 19).
COMPLIMENTS = {
    "2019/20": {"Fostering": 3, "First Response Team": 2, "Safeguarding Team A": 2},
    "2018/19": {"Fostering": 10, "Safeguarding Team A": 5, "Children's Access Point": 4},
}
# 2018/19 timeliness counts that fit the quoted percentages (see the YAML's note).
PRIOR_TIMELINESS = {
    "stage1_within_10wd": (59, 28),
    "stage1_within_20wd": (59, 37),
    "stage2_within_25wd": (12, 0),
    "stage2_within_65wd": (12, 4),
    "stage3_director_within_15wd": (4, 4),
}
# Learning-action texts (publication wording). One carries markup characters and quotes,
# which must print literally.
LITERAL_TEXT = (
    'Letters now say "<b>when</b> payments end" & why; <script>alert(1)</script> isn\'t run.'
)
LEARNING = {
    "Life Stages 0 - 25": [
        "It was agreed the team would develop a letter template for recipients of Direct "
        "Payments setting out when the payment will end.",
        "It was agreed consideration would be given to the administration of the resource "
        "allocation system and indicative budgets.",
        "It was agreed the Council would review its training in respect of PREVENT and the "
        "Channel Panel.",
        "It was agreed the Council would review the information provided to parents receiving "
        "short breaks services.",
        LITERAL_TEXT,
    ],
    "Safeguarding Team A": [
        "Social workers were reminded to consult with parents when children have been removed "
        "from their care.",
        "Social workers were reminded that sensitive personal information in reports should be "
        "made clear to the family.",
    ],
    "Safeguarding Team D": [
        "Social workers were reminded to obtain details of key appointments for children "
        "placed outside of parental/family care.",
    ],
    "Fostering": [
        "It was agreed an audit of Special Guardianship Order (SGO) allowance payments would "
        "be undertaken.",
    ],
    "Keeping Families Together": [
        "It was agreed strategies would be implemented to reduce the number of changes of "
        "social worker.",
    ],
}
# The Complaints Manager's approval of a final report, as Airflow's approval task returns it.
APPROVAL = {
    "chosen_options": ["Approve"],
    "params_input": {},
    "responded_at": datetime(2020, 4, 20, 9, 30, 15, tzinfo=UTC),
    "responded_by_user": {"id": "jsmith", "name": "Jane Smith"},
}
RUN = "test-report"
EXTRACT_FINISHED = datetime(2020, 4, 10, 5, 0)
BUILT_AT = datetime(2020, 4, 10, 5, 30)


def stats_rows(code: str, with_prior: bool = True) -> dict:
    """Rows for the six stats tables, from the YAML (2019/20, and 2018/19 unless told not)."""
    fy, pfy = FIGURES["financial_year"], FIGURES["prior_financial_year"]
    years = [(fy, "value")] + ([(pfy, "prior")] if with_prior else [])
    rows: dict = {t.name: [] for t in schema.STATS_TABLES}

    for year, key in years:
        headline = {m: v[key] for m, v in FIGURES["headlines"].items()}
        received = {
            s: {team: v[key] for team, v in FIGURES[f"stage{s}_received_by_team"].items()}
            for s in (1, 2, 3)
        }
        if key == "prior":
            for stage, extra in PRIOR_UNLISTED.items():
                for team, n in extra.items():
                    received[stage][team] = received[stage].get(team, 0) + n
        headline["stage1_received"] = sum(received[1].values())
        for stage in (1, 2, 3):
            for team, n in received[stage].items():
                if n:
                    rows["stats_received_by_team"].append(
                        dict(
                            council_code=code,
                            financial_year=year,
                            stage=stage,
                            service_area=AREA_OF[team],
                            team=team,
                            received=n,
                        )
                    )
        for label, v in FIGURES["issues"].items():
            if v[key]:
                rows["stats_issues"].append(
                    dict(
                        council_code=code,
                        financial_year=year,
                        issue=ISSUE_CODES[label],
                        label=label,
                        complaints=v[key],
                    )
                )
        for team, n in COMPLIMENTS[year].items():
            rows["stats_feedback_by_team"].append(
                dict(
                    council_code=code,
                    financial_year=year,
                    kind="compliment",
                    service_area=AREA_OF[team],
                    team=team,
                    received=n,
                )
            )
        if key == "value":
            for stage in (1, 2, 3):
                codes = OUTCOME_CODES if stage == 1 else OUTCOME_CODES[1:]
                for team, counts in FIGURES[f"stage{stage}_outcomes"].items():
                    for outcome, n in zip(codes, counts, strict=True):
                        if n:
                            rows["stats_outcomes_by_team"].append(
                                dict(
                                    council_code=code,
                                    financial_year=year,
                                    stage=stage,
                                    service_area=AREA_OF[team],
                                    team=team,
                                    outcome=outcome,
                                    decisions=n,
                                )
                            )
                headline[f"stage{stage}_decisions"] = sum(FIGURES[f"stage{stage}_outcomes_total"])
            headline["learning_actions_agreed"] = sum(len(t) for t in LEARNING.values())
            timeliness = {
                m: (v["responses"], v["within"]) for m, v in FIGURES["timeliness"].items()
            }
        else:
            timeliness = PRIOR_TIMELINESS
        for measure, (responses, within) in timeliness.items():
            rows["stats_timeliness"].append(
                dict(
                    council_code=code,
                    financial_year=year,
                    measure=measure,
                    responses=responses,
                    within_target=within,
                )
            )
        for measure, value in headline.items():
            if value:
                rows["stats_headlines"].append(
                    dict(council_code=code, financial_year=year, measure=measure, value=value)
                )
    return rows


def load_reference_warehouse(url: str, code: str, with_prior: bool = True) -> None:
    """Create the warehouse schema and insert the reference figures and learning actions."""
    engine = make_engine(url)
    schema.create_warehouse_schema(engine)
    with engine.begin() as conn:
        for table in schema.STATS_TABLES:
            data = stats_rows(code, with_prior)[table.name]
            if data:
                conn.execute(insert(table), data)
        teams = sorted(AREA_OF)
        conn.execute(
            insert(schema.dim_team),
            [
                dict(council_code=code, team_id=i, team_name=t, service_area=AREA_OF[t])
                for i, t in enumerate(teams, start=1)
            ],
        )
        actions, action_id = [], 0
        for team, texts in LEARNING.items():
            for n, text in enumerate(texts):
                action_id += 1
                actions.append(
                    dict(
                        council_code=code,
                        action_id=action_id,
                        complaint_id=action_id,
                        team_id=teams.index(team) + 1,
                        agreed_date=f"2019-{5 + n:02d}-10",
                        agreed_fy="2019/20",
                        action_text=text,
                        status="completed",
                        completed_date=None,
                    )
                )
        # Agreed in the previous year: not printed in 2019/20.
        actions.append(
            dict(
                council_code=code,
                action_id=901,
                complaint_id=901,
                team_id=1,
                agreed_date="2019-03-31",
                agreed_fy="2018/19",
                action_text="LAST YEAR'S ACTION",
                status="open",
                completed_date=None,
            )
        )
        conn.execute(insert(schema.fact_learning_actions), actions)
        conn.execute(
            insert(schema.etl_extract_runs),
            [
                dict(
                    council_code=code,
                    run_id=RUN,
                    source_table="complaints",
                    read_since=None,
                    rows_read=0,
                    rows_written=0,
                    source_rows=0,
                    started_at=datetime(2020, 4, 10, 4, 59),
                    finished_at=EXTRACT_FINISHED,
                )
            ],
        )
        conn.execute(
            insert(schema.etl_year_builds),
            [
                dict(
                    council_code=code,
                    financial_year=fy,
                    fingerprint="0" * 64,
                    stats_rows=1,
                    built_at=BUILT_AT,
                    run_id=RUN,
                )
                for fy in ("2019/20", "2018/19")
            ],
        )
    engine.dispose()


def passing_rules() -> list[dict]:
    """Every rule passed, as the quality step writes them (RC then DQ)."""
    rules = [
        {
            "code": f"RC0{n}",
            "severity": "critical",
            "rule": f"RC0{n} rule",
            "passed": True,
            "expected": None,
            "observed": None,
        }
        for n in range(1, 7)
    ]
    rules.append(
        {
            "code": "RC07",
            "severity": "warning",
            "rule": "RC07 rule",
            "passed": True,
            "expected": None,
            "observed": None,
        }
    )
    rules += [
        {
            "code": rule.code,
            "severity": "critical",
            "rule": f"{rule.code} rule",
            "passed": True,
            "expected": 0,
            "observed": 0,
        }
        for rule in load_rules(DQ_SUITE)
    ]
    return rules


def write_reconciliation(
    output_dir: Path,
    code: str,
    rules: list[dict] | None = None,
    rejected: dict[str, int] | None = None,
    fy: str = "2019/20",
) -> Path:
    """A reconciliation.json as csc_complaints.quality.reconciliation writes it."""
    rules = passing_rules() if rules is None else rules
    path = Path(output_dir) / fy.replace("/", "-") / "reconciliation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    failed = [r for r in rules if not r["passed"]]
    path.write_text(
        json.dumps(
            {
                "council_code": code,
                "financial_year": fy,
                "run_id": RUN,
                "passed": not failed,
                "draft": bool(failed or rejected),
                "critical_failures": [r["code"] for r in failed if r["severity"] == "critical"],
                "warnings": [r["code"] for r in failed if r["severity"] != "critical"],
                "rejected_rows_by_rule": rejected or {},
                "rules": rules,
                "data_docs": None,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return path


def record_reconciliation(
    engine,
    code: str,
    rules: list[dict] | None = None,
    fy: str = "2019/20",
    fingerprint: str | None = "0" * 64,
) -> None:
    """Record a reconciliation of ``fy`` in the warehouse, as the quality step records it, of
    the stats with ``fingerprint`` (by default the one load_reference_warehouse gives them) and
    no rejected row."""
    from csc_complaints.quality.reconciliation_record import (
        RecordedYear,
        rejects_fingerprint,
        store_reconciled_years,
    )
    from csc_complaints.quality.results import RuleResult
    from csc_complaints.quality.tables import create_quality_schema

    create_quality_schema(engine)
    results = [
        RuleResult(
            code=r["code"],
            severity=r["severity"],
            description=r["rule"],
            passed=r["passed"],
            expected=r["expected"],
            observed=r["observed"],
        )
        for r in (passing_rules() if rules is None else rules)
    ]
    recorded = RecordedYear(
        financial_year=fy,
        stats_fingerprint=fingerprint,
        rejects_fingerprint=rejects_fingerprint([]),
        run_id=RUN,
        reconciled_at=datetime(2020, 4, 10, 6, 0),
        data_docs=None,
        rules=tuple(results),
    )
    store_reconciled_years(engine, code, [recorded])


def sign_off(settings=None):
    """The sign-off of ``APPROVAL`` (20 April 2020, Jane Smith), with the settings' role."""
    from csc_complaints.report.sign_off import SignOff

    settings = settings or load_settings({})
    return SignOff.from_response(APPROVAL, settings.sign_off_role, settings.timezone)


@pytest.fixture(scope="session")
def settings():
    return load_settings({})


@pytest.fixture
def reference_warehouse(new_sqlite_database, settings) -> Callable[..., str]:
    """A factory: a fresh SQLite warehouse holding the reference figures."""

    def make(with_prior: bool = True) -> str:
        url = new_sqlite_database()
        load_reference_warehouse(url, settings.council_code, with_prior)
        return url

    return make
