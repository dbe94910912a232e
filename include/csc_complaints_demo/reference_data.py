"""The reference dataset: case-level source rows that reproduce the 2019/20 annual report.

``build_reference_dataset(engine)`` writes a deterministic set of teams, complaints, stages,
feedback, Ombudsman cases and learning actions into an empty source database. Counted under the
rules of docs/counting-rules.md, the rows give every figure of
``shared/reference/figures-2019-20.yaml`` for 2019/20 and the 2018/19 figures the report quotes
for comparison; where the published draft contradicts itself, the rows give the ``correct`` value
of ``seed_inconsistencies`` (e.g. Stage 1 within 10 working days = 17 of 51 = 33.3%).

How the figures come out of the rows (no data before 1 April 2018):

* Stage 1, 2018/19: 67 received; 59 decided in 2018/19 (28 within 10 working days, 9 more
  within 20, 22 later); 8 received in late March 2019 are decided in April 2019.
* Stage 1, 2019/20: 57 received; 51 decisions = those 8 carried in + 43 of the year's own
  (17 within 10, 22 more within 20, 12 later); 14 still open at 31 March 2020.
* Stage 2 (team = the complaint's Stage 1 team): 2018/19 16 requested, 12 decided (4 within
  65 working days, none within 25); the other 4 (Life Stages 2, Team B 1, Fostering 1) are
  decided in 2019/20 with 6 requested in 2019/20; Keeping Families Together 1 and Team D 3 are
  still open at 31 March 2020.
* Stage 3: 4 in 2018/19 (all on time); 3 in 2019/20 (Life Stages 2 and Fostering 1, from the
  Stage 2 decisions carried into 2019/20), the Director late once.
* Soft-deleted rows that must not count: a duplicate complaint entered in error (its Stage 1 row
  is not deleted itself), a compliment and a comment.

Every row is clean under the DQ rules of docs/quality.md. Response dates are built by counting
working days (weekdays that are not England and Wales bank holidays, from the ``holidays``
package), so each timeliness count is exact by construction; some cases sit exactly on a
timescale's limit across Easter, May, August or Christmas bank holidays, so that a working-day
count that ignores bank holidays (or counts the day of receipt) gives other figures.
Complainants' personal data is invented (example.org addresses, Ofcom drama telephone numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

import holidays
from sqlalchemy import Engine, Integer, func, insert, select, text

from csc_complaints_demo.models import (
    CHANNELS,
    RELATIONSHIPS,
    Complainant,
    Complaint,
    ComplaintStage,
    Feedback,
    IssueCategory,
    LearningAction,
    OmbudsmanCase,
    SourceBase,
    Team,
    create_source_schema,
)

# The last day the dataset describes: every business date is on or before it.
AS_AT = date(2020, 3, 31)

# --- reference tables ----------------------------------------------------------------------------

TEAMS: tuple[tuple[str, str], ...] = (
    ("Children's Access Point", "Early Intervention & First Contact"),
    ("First Response Team", "Early Intervention & First Contact"),
    ("Keeping Families Together", "Early Intervention & First Contact"),
    ("Life Stages 0 - 25", "Safeguarding & LATC"),
    ("Looked After Through Care (LATC)", "Safeguarding & LATC"),
    ("Safeguarding Team A", "Safeguarding"),
    ("Safeguarding Team B", "Safeguarding"),
    ("Safeguarding Team C", "Safeguarding"),
    ("Safeguarding Team D", "Safeguarding"),
    ("Fostering", "Placements & Adoption Service"),
    # Had complaints in 2018/19 only (the report's "other 9" Stage 1 complaints of 2018/19).
    ("Adoption Team", "Placements & Adoption Service"),
)

ISSUE_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("staff_attitude", "Staff attitude/behaviour"),
    ("communication", "Communication"),
    ("service_provision", "Service/provision"),
    ("decision_outcome", "Outcome of a decision/assessment"),
    ("breach_confidentiality", "Breach of confidentiality"),
    ("provision_information", "Provision of information"),
    # No qualifying complaint in either year (only non-qualifying ones use them).
    ("delay", "Delay in providing a service"),
    ("discrimination", "Discrimination"),
)

# Qualifying complaints received per issue and year (the report's "Breakdown by Issue").
ISSUES_RECEIVED: dict[str, dict[str, int]] = {
    "2018/19": {
        "staff_attitude": 18,
        "communication": 15,
        "service_provision": 21,
        "decision_outcome": 9,
        "provision_information": 4,
    },
    "2019/20": {
        "staff_attitude": 23,
        "communication": 12,
        "service_provision": 10,
        "decision_outcome": 7,
        "breach_confidentiality": 4,
        "provision_information": 1,
    },
}

# Short names used in the case tables below.
CAP = "Children's Access Point"
FRT = "First Response Team"
KFT = "Keeping Families Together"
LS = "Life Stages 0 - 25"
LATC = "Looked After Through Care (LATC)"
SGA = "Safeguarding Team A"
SGB = "Safeguarding Team B"
SGC = "Safeguarding Team C"
SGD = "Safeguarding Team D"
FOS = "Fostering"
ADO = "Adoption Team"

NU = "not_upheld"
PU = "partially_upheld"
UP = "upheld"
WD = "withdrawn"
INC = "inconclusive"
ESC = "escalated_without_response"

# --- working days --------------------------------------------------------------------------------


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday (substitute days included)."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The day on which ``count`` working days have passed since ``start`` (0 = the same day).

    The inverse of the counting rule "working days D with start < D <= end": for count >= 1 the
    result is a working day and exactly ``count`` working days lie in (start, result].
    """
    if count < 0:
        raise ValueError(f"add_working_days: count must not be negative, got {count}")
    day = start
    for _ in range(count):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return day


def _spread(first: date, last: date, n: int) -> list[date]:
    """``n`` working days spread evenly from ``first`` to ``last``."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    days = [d for d in days if is_working_day(d)]
    if n == 1:
        return [days[0]]
    return [days[round(i * (len(days) - 1) / (n - 1))] for i in range(n)]


# --- the case plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage2Plan:
    gap_wd: int  # working days from the Stage 1 response to the escalation request
    response_wd: int | None  # working days to the response; None = open at 31 March 2020
    outcome: str | None


@dataclass(frozen=True)
class Stage3Plan:
    gap_wd: int  # working days from the Stage 2 response to the request
    panel_wd: int  # request -> panel
    report_wd: int  # panel -> panel's findings to the Director
    director_wd: int  # findings -> the Director's letter (the response)
    outcome: str


@dataclass(frozen=True)
class CasePlan:
    team: str
    received: date | None  # None: spread over the year with the other plain cases
    stage1_wd: int | None  # None = open at 31 March 2020
    stage1_outcome: str | None
    stage2: Stage2Plan | None = None
    stage3: Stage3Plan | None = None
    key: str | None = None  # names the case for learning actions and Ombudsman cases


def _case(key, team, received, wd, outcome, stage2=None, stage3=None) -> CasePlan:
    s2 = Stage2Plan(*stage2) if stage2 else None
    s3 = Stage3Plan(*stage3) if stage3 else None
    return CasePlan(team, date.fromisoformat(received), wd, outcome, s2, s3, key)


# Cases that escalate, or whose Stage 1 decision falls in the year after receipt.
# (key, team, received, Stage 1 working days, outcome, (Stage 2 plan), (Stage 3 plan))
SPECIAL_CASES: tuple[CasePlan, ...] = (
    # 2018/19: Stage 2 and 3 decided in 2018/19; all four Stage 3s on time.
    _case("frt-a", FRT, "2018-04-09", 8, NU, (5, 45, PU), (6, 22, 4, 12, NU)),
    _case("sgb-a", SGB, "2018-04-23", 14, NU, (4, 50, NU), (10, 25, 3, 14, NU)),
    # Stage 2 in exactly 65 working days, across the August 2018 bank holiday.
    _case("sgd-a", SGD, "2018-05-14", 10, PU, (7, 65, PU), (5, 28, 5, 15, PU)),
    _case("ado-a", ADO, "2018-06-04", 22, NU, (3, 38, NU), (8, 20, 2, 9, NU)),
    # 2018/19: Stage 2 decided in 2018/19 after more than 65 working days.
    _case("ls-a", LS, "2018-05-21", 5, PU, (8, 66, NU)),
    _case("sga-a", SGA, "2018-06-18", 12, NU, (10, 72, INC)),
    _case("sgb-b", SGB, "2018-07-02", 25, NU, (5, 80, PU)),
    _case("frt-b", FRT, "2018-07-16", 9, PU, (6, 70, NU)),
    _case("latc-a", LATC, "2018-08-06", 20, NU, (4, 75, UP)),
    _case("latc-b", LATC, "2018-09-03", 7, INC, (9, 68, NU)),
    _case("fos-a", FOS, "2018-09-17", 30, NU, (5, 66, WD)),
    # Escalated without a Stage 1 response: the escalation is requested the day it is recorded.
    _case("ado-b", ADO, "2018-10-01", 21, ESC, (0, 70, PU)),
    # Stage 2 requested in 2018/19 and decided in 2019/20; three go on to Stage 3 in 2019/20.
    _case("ls-b", LS, "2018-11-12", 8, PU, (12, 85, PU), (6, 24, 4, 10, NU)),
    # Panel in exactly 30 working days, across the May 2019 bank holidays; Director late.
    _case("ls-c", LS, "2018-11-26", 6, NU, (10, 78, PU), (7, 30, 5, 18, PU)),
    _case("sgb-c", SGB, "2018-12-10", 11, PU, (14, 67, PU)),
    _case("fos-b", FOS, "2019-01-07", 10, PU, (5, 90, PU), (10, 29, 1, 13, NU)),
    # Stage 1 decided in 2018/19, escalated in 2019/20.
    _case("ls-d", LS, "2019-02-18", 20, NU, (12, 70, PU)),
    # Received in March 2019, Stage 1 decided in April 2019 (2019/20 decisions).
    _case("sgd-c1", SGD, "2019-03-20", 10, NU),
    _case("sgd-c2", SGD, "2019-03-22", 14, NU),
    _case("sgd-c3", SGD, "2019-03-25", 23, PU),
    _case("sgb-c1", SGB, "2019-03-26", 9, NU, (8, 77, NU)),
    _case("sgc-c1", SGC, "2019-03-27", 12, NU),
    _case("sga-c1", SGA, "2019-03-28", 17, PU, (6, 69, NU)),
    _case("latc-c1", LATC, "2019-03-29", 21, NU),
    _case("frt-c1", FRT, "2019-03-18", 11, NU),
    # 2019/20 receipts that escalate.
    _case("ls-n1", LS, "2019-04-15", 13, INC, (7, 72, PU)),
    _case("ls-n2", LS, "2019-05-13", 9, PU, (10, 80, PU)),
    # Withdrawn at Stage 2 after exactly 65 working days, across the August 2019 bank holiday.
    _case("sga-n1", SGA, "2019-06-10", 16, NU, (5, 65, WD)),
    _case("kft-n1", KFT, "2020-01-06", 18, PU, (5, None, None)),
    # Ten working days across Christmas 2019: on time only if bank holidays are skipped.
    _case("sgd-n1", SGD, "2019-12-16", 10, PU, (15, None, None)),
    _case("sgd-n2", SGD, "2020-01-13", 20, PU, (8, None, None)),
    _case("sgd-n3", SGD, "2020-01-27", 21, NU, (3, None, None)),
)

# Cases decided at Stage 1 only, in the year of receipt: (team, outcome, working days[, received]).
# Without a date they are spread evenly over the year in the order listed.
PLAIN_CASES: dict[str, tuple] = {
    "2018/19": (
        (SGD, NU, 4),
        (SGC, PU, 21),
        (LATC, NU, 9),
        (SGB, UP, 30),
        (LS, NU, 10),
        (SGA, WD, 3),
        (FOS, PU, 25),
        (SGD, NU, 7),
        (CAP, NU, 24),
        (SGC, NU, 1),
        (ADO, PU, 33),
        (LATC, INC, 13),
        (SGD, PU, 22),
        (SGB, NU, 8),
        (SGC, UP, 5),
        (LS, PU, 28),
        (SGD, NU, 10),
        (FRT, NU, 40),
        (LATC, WD, 6),
        (SGA, NU, 26),
        (SGC, NU, 9),
        (SGD, UP, 23),
        (SGB, NU, 2),
        (FOS, NU, 17),
        (LATC, NU, 21),
        (SGD, NU, 10, "2018-12-17"),  # ten working days across Christmas 2018
        (SGC, PU, 29),
        (CAP, PU, 7),
        (LS, WD, 20),
        (SGB, PU, 35),
        (SGD, WD, 4),
        (ADO, NU, 8),
        (LATC, PU, 24),
        (SGC, NU, 11),
        (SGA, PU, 10),
        (SGD, NU, 31),
        (FOS, UP, 6),
        (SGB, NU, 22),
        (SGD, PU, 3),
        (SGC, NU, 27),
        (LATC, NU, 9),
        (SGD, INC, 21),
    ),
    "2019/20": (
        (FRT, NU, 6),
        (LATC, NU, 10, "2019-04-09"),  # ten working days across Easter 2019
        (SGB, NU, 15),
        (SGC, NU, 12),
        (SGA, NU, 8),
        (SGD, NU, 22),
        (CAP, NU, 3),
        (FRT, PU, 14),
        (LATC, WD, 2),
        (SGB, INC, 19),
        (SGC, NU, 24),
        (SGA, PU, 11),
        (FRT, PU, 20),
        (LATC, NU, 21),
        (SGB, NU, 10, "2019-09-14"),  # received on a Saturday
        (SGC, NU, 16),
        (SGD, PU, 13),
        (FRT, UP, 9),
        (LATC, PU, 27),
        (SGB, NU, 0),  # answered the day it arrived
        (SGC, NU, 18),
        (SGA, UP, 30),
        (FRT, UP, 5),
        (LATC, WD, 12),
        (SGB, UP, 17),
        (SGC, PU, 7),
        (FRT, WD, 23),
        (LATC, NU, 15),
        (SGB, NU, 26),
        (SGC, NU, 4),
        (SGD, NU, 19),
        (FRT, PU, 10, "2019-12-13"),  # ten working days across Christmas 2019
        (LATC, WD, 35),
        (SGB, NU, 13),
        (SGC, NU, 28),
        (LATC, NU, 8),
    ),
}
PLAIN_WINDOWS = {
    "2018/19": (date(2018, 4, 3), date(2019, 1, 25)),
    "2019/20": (date(2019, 4, 2), date(2020, 1, 31)),
}

# 2019/20 complaints still open at Stage 1 on 31 March 2020, received from mid-February.
OPEN_AT_YEAR_END = (SGD, FRT, SGA, SGB, SGD, SGC, LATC, SGD, SGA, SGD, SGB, SGC, SGD, SGD)
OPEN_WINDOW = (date(2020, 2, 17), date(2020, 3, 27))

# The first plain case received on or after this date is entered twice by mistake; the duplicate
# is soft-deleted a day later but its Stage 1 row is not (the pipeline must drop it through the
# deleted parent).
DUPLICATE_FROM = date(2019, 10, 1)

NON_QUALIFYING: tuple[tuple[str, str, str], ...] = (
    # (received, issue, channel) - complaints outside the statutory procedure: no stages.
    ("2018-05-02", "breach_confidentiality", "email"),
    ("2018-07-24", "service_provision", "phone"),
    ("2018-10-16", "delay", "web"),
    ("2019-01-09", "communication", "letter"),
    ("2019-03-05", "staff_attitude", "web"),
    ("2019-05-20", "discrimination", "email"),
    ("2019-08-06", "provision_information", "phone"),
    ("2019-11-19", "staff_attitude", "web"),
    ("2020-02-25", "delay", "letter"),
)

COMPLIMENTS: dict[str, tuple[str, ...]] = {
    "2018/19": (
        SGD, LATC, SGC, FRT, LS, SGA, CAP, SGB, FOS, SGD,
        ADO, SGC, LATC, SGA, FOS, LS, SGB, FRT, SGD,
    ),
    "2019/20": (FRT, LATC, SGB, FOS, SGD, KFT, LATC),
}  # fmt: skip
YEAR_WINDOWS = {
    "2018/19": (date(2018, 4, 10), date(2019, 3, 22)),
    "2019/20": (date(2019, 4, 9), date(2020, 3, 20)),
}

# Learning actions: the report's own texts (Organisational Learning, 2019/20), each tied to a
# complaint of that team and agreed ten working days after the complaint's last 2019/20 response.
# Two 2018/19 actions (not in this report) show that only the year's actions are counted.
LEARNING_ACTIONS: tuple[tuple[str, str], ...] = (
    (
        "ls-b",
        "Following a complaint for Life Stages 0 -25 it was agreed the team would develop a "
        "letter template and send a letter to recipients of Direct Payments clearly setting out "
        "when the payment will end. It was also agreed the Team Manager would contribute to a "
        "review of the Direct Payments process to ensure it was clear when a payment ends.",
    ),
    (
        "ls-c",
        "Following a further complaint for Life Stages 0 – 25 it was agreed consideration would "
        "be given to the administration of the resource allocation system and indicative "
        "budgets, so there was a consistent understating amongst social care professionals of "
        "its intended purpose.",
    ),
    (
        "ls-d",
        "Following another complaint for Life Stages 0 – 25 it was agreed the Council would "
        "review its training in respect of PREVENT and the Channel Panel.",
    ),
    (
        "ls-n1",
        "As a result of another complaint for Life Stages 0 -25 it was agreed the Council would "
        "review the information provided to parents receiving a short breaks services to ensure "
        "it accurately reflects the service being offered.",
    ),
    (
        "ls-n2",
        "As a result of a further complaint for Life Stages 0 -25 it was agreed the Council "
        "would complete work to ensure that social workers and team managers are clear about the "
        "difference between services being considered or offered, that all relevant policies "
        "and procedures would be updated to reflect this and that training would be provided to "
        "ensure there is a clear and recorded rationale for all decisions. It was also agreed "
        "the Direct Payments Scheme would be reviewed.",
    ),
    (
        "sga-c1",
        "Following a complaint for Safeguarding Team A, social workers were reminded to ensure "
        "that they continue to consult with parents when children have been removed from their "
        "care so that they are fully involved in on-going assessments and involvement by the "
        "Local Authority.",
    ),
    (
        # The published text is split by a page break after "A reminder was also".
        "sga-n1",
        "Following a further complaint for Safeguarding Team A, social workers were reminded "
        "that when sensitive personal information in respect of members of the family is to be "
        "included within reports, this should be made clear to the family. A reminder was also "
        "sent to all social workers within Assessment & Safeguarding to ensure referrals are "
        "made within a timely manner following a need being identified to support a "
        "child/family.",
    ),
    (
        "sgd-c3",
        "Following a complaint for Safeguarding Team D, social workers were reminded to ensure "
        "they obtain details of any key appointments for children when they are placed outside "
        "of parental/family care. Details should then be provided to foster carers to ensure "
        "appointments are able to be attended.",
    ),
    (
        "fos-b",
        "Following a complaint for Fostering, it was agreed an audit of Special Guardianship "
        "Order (SGO) allowance payments would be undertaken and appropriate action taken to "
        "address any issues identified.",
    ),
    (
        "kft-n1",
        "Following a complaint for Keeping Families Together, it was agreed strategies would be "
        "implemented to reduce the number of changes of social worker and that social workers "
        "bringing cases for discussion at Keeping Families Together Panel would need to provide "
        "evidence that parents have given informed consent for Keeping Families Together to "
        "work with their family.",
    ),
    # 2018/19 (invented for the demo; that year's report is not part of the reference).
    (
        "sgb-a",
        "Following a complaint for Safeguarding Team B, social workers were reminded to share "
        "assessment reports with parents before child protection conferences.",
    ),
    (
        "ado-a",
        "Following a complaint for the Adoption Team, the information pack for prospective "
        "adopters was revised to explain the timescale of each stage of the approval process.",
    ),
)

# LGSCO cases: (complaint key or None, referred, decided, decision, maladministration).
OMBUDSMAN_CASES: tuple[tuple[str | None, str, str, str, bool], ...] = (
    ("sgd-a", "2018-12-03", "2019-03-12", "upheld", True),
    # Taken straight to the LGSCO, never through the council's procedure.
    (None, "2019-10-14", "2019-11-25", "closed after initial enquiries", False),
)

# Invented people for the complainants table (personal data in the real system).
_FIRST_NAMES = (
    "Alex", "Sam", "Jordan", "Casey", "Morgan", "Riley", "Jamie", "Taylor", "Robin", "Charlie",
    "Avery", "Quinn", "Rowan", "Skyler", "Frankie", "Harley", "Jesse", "Kendall", "Logan", "Reese",
)  # fmt: skip
_SURNAMES = (
    "Example", "Sample", "Testwell", "Placeholder", "Dummy", "Fictional", "Madeup", "Specimen",
    "Mockford", "Notreal", "Invented", "Pretend", "Fakeham",
)  # fmt: skip
_STREETS = ("Example Street", "Sample Road", "Test Lane", "Demo Avenue", "Fiction Close")


# --- building rows -------------------------------------------------------------------------------


def _stamp(day: date, seed: int) -> datetime:
    """A plausible time on ``day`` in office hours, varied deterministically by ``seed``."""
    return datetime.combine(day, time(9, 0)) + timedelta(minutes=(seed * 37) % 480)


def _financial_year(day: date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _all_cases() -> list[CasePlan]:
    """Every qualifying case with its received date, in order of receipt."""
    cases = list(SPECIAL_CASES)
    for year, plain in PLAIN_CASES.items():
        dates = _spread(*PLAIN_WINDOWS[year], len(plain))
        for (team, outcome, wd, *fixed), spread_day in zip(plain, dates, strict=True):
            received = date.fromisoformat(fixed[0]) if fixed else spread_day
            cases.append(CasePlan(team, received, wd, outcome))
    for team, day in zip(
        OPEN_AT_YEAR_END, _spread(*OPEN_WINDOW, len(OPEN_AT_YEAR_END)), strict=True
    ):
        cases.append(CasePlan(team, day, None, None))
    return sorted(cases, key=lambda c: (c.received, c.team, c.key or ""))


def _issues_by_case(cases: list[CasePlan]) -> list[str]:
    """Each case's issue, so that each year's counts are ISSUES_RECEIVED, well mixed."""
    issues = [""] * len(cases)
    for year, wanted in ISSUES_RECEIVED.items():
        indexes = [i for i, c in enumerate(cases) if _financial_year(c.received) == year]
        pool = [code for code, n in wanted.items() for _ in range(n)]
        if len(pool) != len(indexes):
            raise ValueError(f"{year}: {len(indexes)} complaints but {len(pool)} issues planned")
        # 7 is coprime with the year's count, so this visits every pool entry once.
        for position, index in enumerate(indexes):
            issues[index] = pool[(position * 7) % len(pool)]
    return issues


def _rows() -> dict[str, list[dict]]:
    """Every row of the reference dataset, keyed by table name."""
    teams = [
        {"team_id": i, "team_name": name, "service_area": area}
        for i, (name, area) in enumerate(TEAMS, start=1)
    ]
    team_ids = {t["team_name"]: t["team_id"] for t in teams}
    issue_rows = [{"code": code, "label": label} for code, label in ISSUE_CATEGORIES]
    labels = dict(ISSUE_CATEGORIES)

    cases = _all_cases()
    issues = _issues_by_case(cases)
    # Non-qualifying complaints and the duplicate entered in error share the numbering.
    entries: list[tuple[date, str, object]] = [
        (c.received, "case", (c, issue)) for c, issue in zip(cases, issues, strict=True)
    ]
    entries += [(date.fromisoformat(d), "non_qualifying", (i, ch)) for d, i, ch in NON_QUALIFYING]
    entries.sort(key=lambda e: (e[0], e[1]))
    original = next(
        i
        for i, (day, kind, payload) in enumerate(entries)
        if day >= DUPLICATE_FROM
        and kind == "case"
        and payload[0].key is None
        and payload[0].stage1_wd is not None
    )
    entries.insert(original + 1, (entries[original][0], "duplicate", entries[original][2]))

    complainants: list[dict] = []
    complaints: list[dict] = []
    stages: list[dict] = []
    last_response: dict[str, date] = {}  # case key -> its latest response date
    complaint_ids: dict[str, int] = {}
    sequence_in_year: dict[int, int] = {}

    def add_complainant(seed: int, day: date) -> int:
        cid = len(complainants) + 1
        first = _FIRST_NAMES[seed % len(_FIRST_NAMES)]
        last = _SURNAMES[(seed * 5) % len(_SURNAMES)]
        complainants.append(
            {
                "complainant_id": cid,
                "full_name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{cid}@example.org",
                "phone": f"01632 960{cid:03d}",
                "address": f"{cid} {_STREETS[seed % len(_STREETS)]}, Exampleton, ZZ99 {cid}AA",
                "relationship": RELATIONSHIPS[(seed * 3) % len(RELATIONSHIPS)],
                "updated_at": _stamp(day, seed),
                "deleted_at": None,
            }
        )
        return cid

    def add_stage(complaint_id: int, stage: int, team: str, requested: date, **dates) -> None:
        stage_id = len(stages) + 1
        row = {
            "stage_id": stage_id,
            "complaint_id": complaint_id,
            "stage": stage,
            "team_id": team_ids[team],
            "requested_date": requested,
            "extension_agreed": dates.pop("extension_agreed", False),
            "response_date": dates.get("response_date"),
            "outcome": dates.get("outcome"),
            "panel_date": dates.get("panel_date"),
            "panel_report_date": dates.get("panel_report_date"),
            "deleted_at": None,
        }
        latest = max(d for d in (requested, *dates.values()) if isinstance(d, date))
        row["updated_at"] = _stamp(latest, stage_id)
        stages.append(row)

    for number, (received, entry_kind, payload) in enumerate(entries, start=1):
        year_seq = sequence_in_year[received.year] = sequence_in_year.get(received.year, 0) + 1
        reference = f"CSC-{received.year}-{year_seq:04d}"
        if entry_kind == "non_qualifying":
            issue, channel = payload
            complaints.append(
                {
                    "complaint_id": number,
                    "reference": reference,
                    "complainant_id": add_complainant(number, received),
                    "received_date": received,
                    "qualifying": False,
                    "issue": issue,
                    "channel": channel,
                    "summary": f"Fictional non-qualifying complaint about {labels[issue]}.",
                    "updated_at": _stamp(received, number),
                    "deleted_at": None,
                }
            )
            continue
        case, issue = payload
        duplicate = entry_kind == "duplicate"
        s1_response = None
        if case.stage1_wd is not None:
            s1_response = add_working_days(received, case.stage1_wd)
        complaint = {
            "complaint_id": number,
            "reference": reference,
            "complainant_id": (
                complaints[-1]["complainant_id"] if duplicate else add_complainant(number, received)
            ),
            "received_date": received,
            "qualifying": True,
            "issue": issue,
            "channel": CHANNELS[(number - duplicate) % len(CHANNELS)],
            "summary": f"Fictional complaint to {case.team} about {labels[issue]}.",
            "updated_at": _stamp(received, number),
            "deleted_at": None,
        }
        if duplicate:
            # Answered on both records before anyone noticed; deleted the day after.
            deleted = _stamp(s1_response + timedelta(days=1), number)
            complaint.update(updated_at=deleted, deleted_at=deleted)
            complaint["summary"] = "Entered in error: duplicate of the previous complaint."
        complaints.append(complaint)
        if case.key and not duplicate:
            complaint_ids[case.key] = number
        add_stage(
            number,
            1,
            case.team,
            received,
            extension_agreed=case.stage1_wd is not None and case.stage1_wd > 10,
            response_date=s1_response,
            outcome=case.stage1_outcome,
        )
        if duplicate:
            continue
        latest = s1_response
        if case.stage2:
            s2 = case.stage2
            s2_requested = add_working_days(s1_response, s2.gap_wd)
            s2_response = None
            if s2.response_wd is not None:
                s2_response = add_working_days(s2_requested, s2.response_wd)
                latest = s2_response
            add_stage(
                number,
                2,
                case.team,
                s2_requested,
                extension_agreed=s2.response_wd is not None and s2.response_wd > 25,
                response_date=s2_response,
                outcome=s2.outcome,
            )
        if case.stage3:
            s3 = case.stage3
            s3_requested = add_working_days(latest, s3.gap_wd)
            panel = add_working_days(s3_requested, s3.panel_wd)
            panel_report = add_working_days(panel, s3.report_wd)
            latest = add_working_days(panel_report, s3.director_wd)
            add_stage(
                number,
                3,
                case.team,
                s3_requested,
                panel_date=panel,
                panel_report_date=panel_report,
                response_date=latest,
                outcome=s3.outcome,
            )
        if case.key and latest:
            last_response[case.key] = latest

    feedback: list[dict] = []
    for year, year_teams in COMPLIMENTS.items():
        for team, day in zip(
            year_teams, _spread(*YEAR_WINDOWS[year], len(year_teams)), strict=True
        ):
            fid = len(feedback) + 1
            feedback.append(
                {
                    "feedback_id": fid,
                    "kind": "compliment",
                    "team_id": team_ids[team],
                    "received_date": day,
                    "summary": f"Fictional thanks to {team} for their support.",
                    "updated_at": _stamp(day, fid),
                    "deleted_at": None,
                }
            )
    # Entered in error and soft-deleted: neither may count.
    for kind, team, day in (
        ("compliment", SGC, date(2019, 11, 5)),
        ("comment", LATC, date(2020, 1, 21)),
    ):
        fid = len(feedback) + 1
        deleted = _stamp(day + timedelta(days=2), fid)
        feedback.append(
            {
                "feedback_id": fid,
                "kind": kind,
                "team_id": team_ids[team],
                "received_date": day,
                "summary": "Entered in error.",
                "updated_at": deleted,
                "deleted_at": deleted,
            }
        )

    case_team = {c.key: c.team for c in SPECIAL_CASES}
    learning: list[dict] = []
    for key, action_text in LEARNING_ACTIONS:
        action_id = len(learning) + 1
        agreed = add_working_days(last_response[key], 10)
        completed = agreed + timedelta(weeks=8)
        done = completed <= AS_AT
        learning.append(
            {
                "action_id": action_id,
                "complaint_id": complaint_ids[key],
                "team_id": team_ids[case_team[key]],
                "agreed_date": agreed,
                "action_text": action_text,
                "status": "completed" if done else "open",
                "completed_date": completed if done else None,
                "updated_at": _stamp(completed if done else agreed, action_id),
                "deleted_at": None,
            }
        )

    ombudsman: list[dict] = []
    for key, referred, decided, decision, maladministration in OMBUDSMAN_CASES:
        case_id = len(ombudsman) + 1
        ombudsman.append(
            {
                "ombudsman_case_id": case_id,
                "complaint_id": complaint_ids[key] if key else None,
                "referred_date": date.fromisoformat(referred),
                "decision_date": date.fromisoformat(decided),
                "decision": decision,
                "maladministration": maladministration,
                "updated_at": _stamp(date.fromisoformat(decided), case_id),
                "deleted_at": None,
            }
        )

    rows = {
        "teams": teams,
        "issue_categories": issue_rows,
        "complainants": complainants,
        "complaints": complaints,
        "complaint_stages": stages,
        "feedback": feedback,
        "ombudsman_cases": ombudsman,
        "learning_actions": learning,
    }
    _check_plan(rows, last_response)
    return rows


def _check_plan(rows: dict[str, list[dict]], last_response: dict[str, date]) -> None:
    """Fail loudly if an edit to the plan above broke an invariant the figures rely on."""
    for table, table_rows in rows.items():
        for row in table_rows:
            for column, value in row.items():
                if isinstance(value, date) and not isinstance(value, datetime) and value > AS_AT:
                    raise ValueError(f"reference plan: {table} {row} has {column} after {AS_AT}")
    for key, referred, *_ in OMBUDSMAN_CASES:
        if key and date.fromisoformat(referred) <= last_response[key]:
            raise ValueError(f"reference plan: Ombudsman case of {key} referred before its end")


def reference_rows() -> dict[str, list[dict]]:
    """The rows ``build_reference_dataset`` inserts (fresh copies; for inspection and tests)."""
    return _rows()


# Insert order (parents first).
_TABLES = (
    Team,
    IssueCategory,
    Complainant,
    Complaint,
    ComplaintStage,
    Feedback,
    OmbudsmanCase,
    LearningAction,
)


def build_reference_dataset(engine: Engine) -> dict[str, int]:
    """Create the source schema and insert the reference dataset in one transaction.

    Refuses (ValueError) when any source table already holds rows, so it never mixes with, or
    duplicates, existing data. Returns the number of rows inserted per table.
    """
    create_source_schema(engine)
    rows = _rows()
    with engine.begin() as conn:
        occupied = {
            model.__tablename__: n
            for model in _TABLES
            if (n := conn.execute(select(func.count()).select_from(model.__table__)).scalar())
        }
        if occupied:
            listed = ", ".join(f"{name} ({n} rows)" for name, n in occupied.items())
            raise ValueError(
                f"the reference dataset needs empty source tables; these already hold rows: "
                f"{listed}"
            )
        for model in _TABLES:
            conn.execute(insert(model.__table__), rows[model.__tablename__])
        if conn.dialect.name == "postgresql":
            _advance_sequences(conn)
    return {model.__tablename__: len(rows[model.__tablename__]) for model in _TABLES}


def _advance_sequences(conn) -> None:
    """Move PostgreSQL id sequences past the explicit ids, so later inserts get fresh ids."""
    for table in SourceBase.metadata.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, Integer):
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key[0].name}'), "
                f"(SELECT max({key[0].name}) FROM {table.name}))"
            )
        )
