"""Realistic random data for the source (case-management) database, at any size.

``generate(engine, GeneratorConfig(...))`` fills an empty source database with a council's
complaints, compliments and comments over several financial years: teams across service areas,
escalations through the three stages of the statutory procedure, outcomes, Ombudsman referrals,
organisational learning, and the awkward parts of real data the pipeline must handle (soft
deletions, late edits to closed years, cases carried over from one year to the next, cases still
open at the end, responses whose timeliness depends on a bank holiday).

Every generated row is clean under the row checks DQ01-DQ12 of docs/quality.md; errors are injected
separately. The output is a pure function of the configuration: the same seed gives the same rows,
byte for byte, whatever the batch size or the database.

Rows are produced lazily, one batch at a time, and written with ``COPY`` on PostgreSQL and
``executemany`` elsewhere, in one transaction: memory stays flat at any size and a failed run
leaves the database empty. Personal data is fake (reserved e-mail domains, Ofcom drama phone
numbers, the ``ZZ99`` pseudo postcode); a ``canary`` string can be embedded in every personal-data
field so tests can prove it never leaves the source.

Command line: ``python -m csc_complaints_demo.synthetic --url URL ...`` (also ``csc-generate``).
"""

from __future__ import annotations

import argparse
import io
import itertools
import random
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from csc_complaints.extract.pg_copy import copy_text
from csc_complaints_demo.models import (
    CHANNELS,
    OUTCOMES,
    RELATIONSHIPS,
    SourceBase,
    create_source_schema,
)

# --- reference data ------------------------------------------------------------------------------

# The issue categories of the reference report, with its relative frequencies (2018/19 + 2019/20).
ISSUE_CATEGORIES: tuple[tuple[str, str, int], ...] = (
    ("staff_attitude", "Staff attitude/behaviour", 41),
    ("communication", "Communication", 27),
    ("service_provision", "Service/provision", 31),
    ("decision_outcome", "Outcome of a decision/assessment", 16),
    ("confidentiality", "Breach of confidentiality", 4),
    ("information", "Provision of information", 5),
)

# Teams in the order a council of a given size gets them: the reference council's first, then
# the other teams a children's services department typically has. (service area, team, weight)
_TEAM_CATALOGUE: tuple[tuple[str, str, float], ...] = (
    ("Early Intervention & First Contact", "Children's Access Point", 0.6),
    ("Early Intervention & First Contact", "First Response Team", 1.0),
    ("Early Intervention & First Contact", "Keeping Families Together", 0.5),
    ("Safeguarding & LATC", "Life Stages 0 - 25", 0.8),
    ("Safeguarding & LATC", "Looked After Through Care (LATC)", 1.2),
    ("Safeguarding", "Safeguarding Team A", 1.2),
    ("Safeguarding", "Safeguarding Team B", 1.3),
    ("Safeguarding", "Safeguarding Team C", 1.2),
    ("Safeguarding", "Safeguarding Team D", 1.5),
    ("Placements & Adoption Service", "Fostering", 0.5),
    ("Placements & Adoption Service", "Adoption", 0.3),
    ("Placements & Adoption Service", "Residential Services", 0.3),
    ("Disabled Children's Service", "Children with Disabilities Team", 0.6),
    ("Youth Justice", "Youth Justice Service", 0.4),
    ("Safeguarding & LATC", "Care Leavers Team", 0.6),
    ("Early Intervention & First Contact", "Early Help Team North", 0.5),
    ("Early Intervention & First Contact", "Early Help Team South", 0.5),
    ("Disabled Children's Service", "Short Breaks", 0.3),
    ("Placements & Adoption Service", "Special Guardianship Support", 0.3),
    ("Early Intervention & First Contact", "Edge of Care Team", 0.4),
    ("Quality Assurance", "Independent Reviewing Service", 0.3),
    ("Early Intervention & First Contact", "Family Group Conferencing", 0.2),
)
# Past the catalogue, more teams of these kinds (a large council has many safeguarding teams).
_EXTRA_TEAM_KINDS: tuple[tuple[str, str, float], ...] = (
    ("Safeguarding", "Safeguarding Team", 1.2),
    ("Early Intervention & First Contact", "Early Help Team", 0.5),
    ("Safeguarding & LATC", "Children in Care Team", 0.9),
    ("Placements & Adoption Service", "Fostering Team", 0.4),
)

DEFAULT_OUTCOME_MIX: Mapping[str, float] = {
    "upheld": 0.09,
    "partially_upheld": 0.24,
    "not_upheld": 0.52,
    "inconclusive": 0.04,
    "withdrawn": 0.09,
    "escalated_without_response": 0.02,  # stage 1 only; ignored at stages 2 and 3
}
# web, email, phone, letter, in person, other
_CHANNEL_WEIGHTS = dict(zip(CHANNELS, (30, 35, 15, 10, 7, 3), strict=True))
# child or young person, parent, carer, advocate, other
_RELATIONSHIP_WEIGHTS = dict(zip(RELATIONSHIPS, (12, 62, 12, 8, 6), strict=True))
_OMBUDSMAN_DECISIONS = (  # (decision, maladministration, weight) for a case after the procedure
    ("upheld", True, 20),
    ("not upheld", False, 30),
    ("closed after initial enquiries", None, 40),
    ("premature", None, 10),
)
_PREMATURE_DECISIONS = (  # referred before the council's procedure was finished
    ("premature", None, 75),
    ("closed after initial enquiries", None, 25),
)

# Statutory targets in working days (docs/counting-rules.md), around which responses cluster.
STAGE1_TARGET, STAGE1_EXTENDED = 10, 20
STAGE2_TARGET, STAGE2_EXTENDED = 25, 65
STAGE3_PANEL, STAGE3_PANEL_REPORT, STAGE3_DIRECTOR = 30, 5, 15

# Column order of each table as the generator writes it (checked against the models in tests).
COLUMNS: dict[str, tuple[str, ...]] = {
    "teams": ("team_id", "team_name", "service_area"),
    "issue_categories": ("code", "label"),
    "complainants": (
        "complainant_id",
        "full_name",
        "email",
        "phone",
        "address",
        "relationship",
        "updated_at",
        "deleted_at",
    ),
    "complaints": (
        "complaint_id",
        "reference",
        "complainant_id",
        "received_date",
        "qualifying",
        "issue",
        "channel",
        "summary",
        "updated_at",
        "deleted_at",
    ),
    "complaint_stages": (
        "stage_id",
        "complaint_id",
        "stage",
        "team_id",
        "requested_date",
        "extension_agreed",
        "response_date",
        "outcome",
        "panel_date",
        "panel_report_date",
        "updated_at",
        "deleted_at",
    ),
    "feedback": (
        "feedback_id",
        "kind",
        "team_id",
        "received_date",
        "summary",
        "updated_at",
        "deleted_at",
    ),
    "ombudsman_cases": (
        "ombudsman_case_id",
        "complaint_id",
        "referred_date",
        "decision_date",
        "decision",
        "maladministration",
        "updated_at",
        "deleted_at",
    ),
    "learning_actions": (
        "action_id",
        "complaint_id",
        "team_id",
        "agreed_date",
        "action_text",
        "status",
        "completed_date",
        "updated_at",
        "deleted_at",
    ),
}
# Parents before children, so foreign keys hold after every batch.
TABLE_ORDER = tuple(COLUMNS)
# Columns holding personal data: every one carries the canary when it is set.
PERSONAL_DATA_COLUMNS: dict[str, tuple[str, ...]] = {
    "complainants": ("full_name", "email", "phone", "address"),
    "complaints": ("summary",),
    "feedback": ("summary",),
}

# --- fake personal data and publishable texts ----------------------------------------------------

_FIRST_NAMES = (
    "Aisha", "Alfie", "Amelia", "Ava", "Bethany", "Callum", "Charlotte", "Chloe", "Daniel",
    "Ellie", "Emily", "Ethan", "Freya", "George", "Grace", "Harry", "Isla", "Jack", "Jacob",
    "Jessica", "Joshua", "Kayleigh", "Leah", "Liam", "Lily", "Mason", "Mia", "Mohammed", "Noah",
    "Olivia", "Oscar", "Poppy", "Rhys", "Ruby", "Ryan", "Sophie", "Thomas", "Tyler", "Zara",
    "Zoe",
)  # fmt: skip
_SURNAMES = (
    "Ahmed", "Bell", "Brown", "Clarke", "Cooper", "Davies", "Evans", "Green", "Hall", "Harris",
    "Hughes", "Jackson", "Jones", "Khan", "Lewis", "Martin", "Moore", "O'Neill", "Patel",
    "Robinson", "Scott", "Smith", "Taylor", "Thompson", "Walker", "White", "Williams", "Wilson",
    "Wood", "Wright",
)  # fmt: skip
_STREETS = (
    "Acacia Avenue", "Beech Grove", "Chapel Lane", "Church Street", "Elm Close", "Front Street",
    "High Street", "Meadow View", "Mill Lane", "Park Road", "Station Road", "Victoria Terrace",
)  # fmt: skip
_TOWNS = ("Northtown", "Southfield", "Eastbury", "Westholme", "Middleham Green", "Fakesby")
_EMAIL_DOMAINS = ("example.org", "example.com", "example.net")

_COMPLAINT_DETAILS = {
    "staff_attitude": (
        "the social worker was rude during a home visit",
        "staff did not listen to the family's views at a meeting",
        "a worker spoke about the family in front of the children",
    ),
    "communication": (
        "phone calls and e-mails to the team were not returned",
        "the family was not told that a meeting had been cancelled",
        "letters were sent to the wrong address",
    ),
    "service_provision": (
        "support promised in the child's plan was not provided",
        "contact arrangements were changed at short notice",
        "the allocated worker changed four times in a year",
    ),
    "decision_outcome": (
        "they disagree with the findings of the assessment",
        "the decision to end support was not explained",
        "they dispute the conclusions of a child protection conference",
    ),
    "confidentiality": (
        "personal information was shared with another family member",
        "a report containing their address was sent to a third party",
    ),
    "information": (
        "they were not given information about the complaints procedure",
        "they did not receive a copy of the assessment",
    ),
}
_COMPLIMENT_DETAILS = (
    "thanked {team} for the support given to the family",
    "praised the social worker from {team} for being patient and kind",
    "said the help from {team} had made a real difference",
    "wrote to thank {team} for arranging contact over the holidays",
)
_COMMENT_DETAILS = (
    "suggested that {team} offer appointments after school hours",
    "asked whether {team} could send letters by e-mail instead of post",
    "commented that the waiting area used by {team} needs toys for younger children",
)

# Learning action texts are published in the report; some carry < & > and quotes so the report's
# escaping is exercised. They name teams, never a person.
_LEARNING_OPENERS = (
    "Following a complaint for {team}, ",
    "Following a further complaint for {team}, ",
    "As a result of a complaint for {team}, ",
    "After a Stage {stage} investigation for {team}, ",
)
_LEARNING_BODIES = (
    "social workers were reminded to consult parents & carers when plans for their children "
    "change.",
    "social workers were reminded to record the reasons for every decision on the child's file.",
    "social workers were reminded to share details of key appointments with foster carers "
    "before a placement starts.",
    "social workers were reminded to make referrals without delay once a need for support is "
    "identified.",
    "social workers were reminded to explain to families when sensitive information will be "
    "included in a report.",
    'social workers were reminded to use the "Mind of My Own" app to hear the views of young '
    "people.",
    "it was agreed the Council would review the information given to parents receiving short "
    "breaks services.",
    'it was agreed the Council would review its "Staying Put" guidance for young people aged '
    "18 & over.",
    "it was agreed the Council would review the Direct Payments process so that it is clear "
    "when a payment ends.",
    "it was agreed an audit of Special Guardianship Order (SGO) allowance payments would be "
    "undertaken.",
    "it was agreed the Council would review its training in respect of PREVENT and the Channel "
    "Panel.",
    "it was agreed that cases open for > 12 months without a review would be escalated to the "
    "Team Manager.",
    "it was agreed that reports shared with families would be checked for third-party "
    "information before they are sent.",
    "it was agreed the team would develop a letter template setting out when support will end.",
    'it was agreed the team would publish a leaflet, "What happens next?", for families after '
    "an assessment.",
    "it was agreed the team would hold a practice session on recording & sharing information.",
    "the Team Manager agreed to check that visits with a gap of < 6 weeks are recorded on the "
    "child's file.",
    "the Team Manager agreed to review the 'Signs of Safety' training offered to new staff.",
)
_LEARNING_EXTRAS = (
    " It was also agreed the Direct Payments Scheme would be reviewed.",
    " A reminder was also sent to all social workers in the service area.",
    " Progress will be monitored by the Complaints Manager.",
)


# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. Rates are probabilities per eligible record; counts are per year.

    ``complaints_per_year`` counts every complaint row received in the financial year: qualifying
    and non-qualifying, including those later soft-deleted.
    """

    seed: int = 1
    first_year: str = "2018/19"
    years: int = 6
    complaints_per_year: int = 1000
    teams: int = 12
    non_qualifying_share: float = 0.07
    # Share of decided, not withdrawn, stage 1 (stage 2) complaints escalated to stage 2 (3).
    escalation_rate_stage1_to_2: float = 0.15
    escalation_rate_stage2_to_3: float = 0.25
    outcome_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_OUTCOME_MIX))
    # Share of complaints decided at stage 3 that go on to the LGSCO; a tenth of it after a final
    # stage 2 decision, a hundredth after stage 1 (premature referrals). Referrals without a
    # complaint on record (complaint_id NULL) arrive at ombudsman_unlinked_rate per complaint.
    ombudsman_referral_rate: float = 0.3
    ombudsman_unlinked_rate: float = 0.003
    compliments_per_year: int | None = None  # default: a quarter of complaints_per_year
    comments_per_year: int | None = None  # default: 3% of complaints_per_year
    learning_action_rate: float = 0.3  # per upheld or partially upheld stage decision
    deletion_rate: float = 0.01  # complaints, feedback and learning actions soft-deleted
    late_edit_rate: float = 0.03  # rows edited again 90 days or more after their last date
    repeat_complainant_rate: float = 0.08  # complaints from someone who complained before
    as_of: datetime | None = None  # default: 30 days after the last year ends, 18:00
    canary: str | None = None
    batch_size: int = 5000  # complaints per written batch
    # A council's own structure: its teams as (service area, team, relative workload), in the
    # order it gets them (past the list, more teams of the usual kinds), and its issue mix as
    # relative frequencies by issue code. None: the reference council's.
    team_catalogue: tuple[tuple[str, str, float], ...] | None = None
    issue_weights: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        self.first_year_start  # noqa: B018 - validates the format
        if self.years < 1:
            raise ValueError(f"years must be at least 1, not {self.years}")
        if self.complaints_per_year < 0:
            raise ValueError("complaints_per_year must not be negative")
        if self.teams < 1:
            raise ValueError(f"teams must be at least 1, not {self.teams}")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        for name in (
            "non_qualifying_share",
            "escalation_rate_stage1_to_2",
            "escalation_rate_stage2_to_3",
            "ombudsman_referral_rate",
            "ombudsman_unlinked_rate",
            "learning_action_rate",
            "deletion_rate",
            "late_edit_rate",
            "repeat_complainant_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        unknown = set(self.outcome_mix) - set(OUTCOMES)
        if unknown:
            raise ValueError(f"outcome_mix has codes not in OUTCOMES: {sorted(unknown)}")
        if any(weight < 0 for weight in self.outcome_mix.values()):
            raise ValueError("outcome_mix weights must not be negative")
        if not any(
            weight > 0
            for code, weight in self.outcome_mix.items()
            if code != "escalated_without_response"
        ):
            raise ValueError("outcome_mix needs a positive weight for an outcome usable at stage 2")
        for name in ("compliments_per_year", "comments_per_year"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative")
        if self.as_of is not None and self.as_of.date() < self.first_year_start:
            raise ValueError(f"as_of {self.as_of} is before the first year starts")
        if self.team_catalogue is not None and not self.team_catalogue:
            raise ValueError("team_catalogue must name at least one team")
        if self.team_catalogue is not None:
            names = [name for _area, name, _weight in self.team_catalogue]
            if len(set(names)) != len(names):
                raise ValueError("team_catalogue names a team twice")
            if any(weight <= 0 for *_, weight in self.team_catalogue):
                raise ValueError("team_catalogue workloads must be positive")
        if self.issue_weights is not None:
            codes = {code for code, _label, _weight in ISSUE_CATEGORIES}
            unknown = set(self.issue_weights) - codes
            if unknown:
                raise ValueError(f"issue_weights has codes not in ISSUE_CATEGORIES: {unknown}")
            if any(weight < 0 for weight in self.issue_weights.values()) or not any(
                weight > 0 for weight in self.issue_weights.values()
            ):
                raise ValueError("issue_weights must not be negative and one must be positive")

    @property
    def issue_mix(self) -> tuple[tuple[str, str, float], ...]:
        """(code, label, relative frequency) of every issue category, this council's."""
        if self.issue_weights is None:
            return ISSUE_CATEGORIES
        return tuple(
            (code, label, self.issue_weights.get(code, 0)) for code, label, _ in ISSUE_CATEGORIES
        )

    @property
    def first_year_start(self) -> date:
        """1 April of the first financial year."""
        text = self.first_year
        start, sep, end = text.partition("/")
        if not (sep and start.isdigit() and end.isdigit() and len(start) == 4 and len(end) == 2):
            raise ValueError(f"first_year must look like '2018/19', not {text!r}")
        if (int(start) + 1) % 100 != int(end):
            raise ValueError(f"first_year {text!r}: the second year must follow the first")
        return date(int(start), 4, 1)

    @property
    def last_day(self) -> date:
        """31 March that ends the last financial year."""
        return date(self.first_year_start.year + self.years, 3, 31)

    @property
    def effective_as_of(self) -> datetime:
        """The moment the data is generated "as of": nothing in it is later."""
        if self.as_of is not None:
            return self.as_of
        return datetime.combine(self.last_day + timedelta(days=30), time(18, 0))

    @property
    def effective_compliments_per_year(self) -> int:
        if self.compliments_per_year is not None:
            return self.compliments_per_year
        return round(self.complaints_per_year * 0.25)

    @property
    def effective_comments_per_year(self) -> int:
        if self.comments_per_year is not None:
            return self.comments_per_year
        return round(self.complaints_per_year * 0.03)


class SourceNotEmptyError(RuntimeError):
    """The target database already holds source rows; the generator only fills an empty one."""


# --- working days --------------------------------------------------------------------------------


class WorkingDays:
    """Working days (Mon-Fri, not an England & Wales bank holiday) between two dates, by table.

    ``add(day, n)`` is the n-th working day after ``day`` (n = 0: the day itself), so the
    working days from ``day`` to the result, counted as docs/counting-rules.md does
    (A < D <= B), are exactly n.
    """

    def __init__(self, first: date, last: date) -> None:
        import holidays  # only the generator and the checks need it

        self.bank_holidays = holidays.country_holidays(
            "GB", subdiv="ENG", years=range(first.year, last.year + 1)
        )
        self._base = first.toordinal()
        self._cumulative: list[int] = []  # working days up to and including each day
        self._working: list[date] = []
        count = 0
        for ordinal in range(self._base, last.toordinal() + 1):
            day = date.fromordinal(ordinal)
            if self.is_working_day(day):
                count += 1
                self._working.append(day)
            self._cumulative.append(count)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.bank_holidays

    def add(self, day: date, working_days: int) -> date:
        if working_days == 0:
            return day
        return self._working[self._cumulative[day.toordinal() - self._base] + working_days - 1]

    def between(self, start: date, end: date) -> int:
        return (
            self._cumulative[end.toordinal() - self._base]
            - self._cumulative[start.toordinal() - self._base]
        )


# --- the simulation ------------------------------------------------------------------------------


def _cumulative_weights(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _spread(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` items over slots in proportion to ``weights``, summing to exactly ``total``."""
    cumulative = _cumulative_weights(weights)
    whole = cumulative[-1]
    counts, previous = [], 0
    for running in cumulative:
        current = round(total * running / whole)
        counts.append(current - previous)
        previous = current
    return counts


def build_teams(
    count: int, catalogue: Sequence[tuple[str, str, float]] | None = None
) -> list[tuple[int, str, str, float]]:
    """``count`` teams as (team_id, team_name, service_area, relative workload): the
    catalogue's (the reference council's by default) in order, then more of the usual kinds."""
    catalogue = _TEAM_CATALOGUE if catalogue is None else catalogue
    taken = {name for _area, name, _weight in catalogue}
    teams = []
    for index in range(count):
        if index < len(catalogue):
            area, name, weight = catalogue[index]
        else:
            extra = index - len(catalogue)
            area, stem, weight = _EXTRA_TEAM_KINDS[extra % len(_EXTRA_TEAM_KINDS)]
            number = extra // len(_EXTRA_TEAM_KINDS) + 1
            # "Safeguarding Team" continues the catalogue's A-D with E, F, ... then numbers.
            if stem == "Safeguarding Team" and number <= 22:
                name = f"{stem} {chr(ord('D') + number)}"
            else:
                name = f"{stem} {number}"
            while name in taken:  # a council's own catalogue may already have the name
                name += "+"
        taken.add(name)
        teams.append((index + 1, name, area, weight))
    return teams


class _Simulation:
    """Draws the rows, in order of receipt, from one seeded random stream."""

    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.as_of = config.effective_as_of
        self.as_of_day = self.as_of.date()
        # Far enough past as_of that every planned date (at most ~200 working days on) exists.
        self.calendar = WorkingDays(
            config.first_year_start - timedelta(days=7), self.as_of_day + timedelta(days=3 * 366)
        )
        self.teams = build_teams(config.teams, config.team_catalogue)
        self._team_ids = [team[0] for team in self.teams]
        # Workloads vary between councils: perturb each team's weight once, from the seed.
        self._team_cum = _cumulative_weights(
            [team[3] * self.rng.uniform(0.6, 1.4) for team in self.teams]
        )
        self._team_names = {team[0]: team[1] for team in self.teams}
        issues = [issue for issue in config.issue_mix if issue[2] > 0]
        self._issues = [code for code, _label, _weight in issues]
        self._issue_cum = _cumulative_weights([weight for *_, weight in issues])
        self._channels = list(_CHANNEL_WEIGHTS)
        self._channel_cum = _cumulative_weights(list(_CHANNEL_WEIGHTS.values()))
        self._relationships = list(_RELATIONSHIP_WEIGHTS)
        self._relationship_cum = _cumulative_weights(list(_RELATIONSHIP_WEIGHTS.values()))
        mix = config.outcome_mix
        self._outcomes1 = [code for code in OUTCOMES if mix.get(code, 0) > 0]
        self._outcomes1_cum = _cumulative_weights([mix[code] for code in self._outcomes1])
        self._outcomes23 = [c for c in self._outcomes1 if c != "escalated_without_response"]
        self._outcomes23_cum = _cumulative_weights([mix[code] for code in self._outcomes23])
        self.next_id = dict.fromkeys(
            ("complainants", "complaints", "stages", "feedback", "ombudsman", "actions"), 1
        )
        self._references: dict[int, int] = {}
        self.rows: dict[str, list[tuple]] = {table: [] for table in TABLE_ORDER}

    # small helpers -----------------------------------------------------------------------------

    def _new_id(self, kind: str) -> int:
        value = self.next_id[kind]
        self.next_id[kind] = value + 1
        return value

    def _choice(self, population: Sequence[Any], cumulative: Sequence[float]) -> Any:
        return self.rng.choices(population, cum_weights=cumulative)[0]

    def _team(self) -> int:
        return self._choice(self._team_ids, self._team_cum)

    def _stamp(self, day: date) -> datetime:
        """A moment in office hours on ``day``, never after as_of."""
        moment = datetime.combine(day, time(8, 0)) + timedelta(seconds=self.rng.randint(0, 34200))
        return min(moment, self.as_of)

    def _maybe_late_edit(self, updated_at: datetime) -> datetime:
        """Sometimes the row is edited again much later (also after its year was reported)."""
        if self.rng.random() >= self.config.late_edit_rate:
            return updated_at
        room = int((self.as_of - updated_at).total_seconds())
        earliest = 90 * 86400
        if room <= earliest:
            return updated_at
        return updated_at + timedelta(seconds=self.rng.randint(earliest, room))

    def _deletion_moment(self, after: datetime) -> datetime:
        return min(after + timedelta(seconds=self.rng.randint(3600, 60 * 86400)), self.as_of)

    def _personal(self, text: str, joiner: str = " ") -> str:
        canary = self.config.canary
        return f"{text}{joiner}{canary}" if canary else text

    def _reached(self, day: date | None) -> bool:
        return day is not None and day <= self.as_of_day

    # working-day distributions around the statutory targets: a share of teams respond on the
    # deadline day itself, so whether a bank holiday fell in between decides "within target".

    def _stage1_days(self) -> int:
        r = self.rng.random()
        if r < 0.14:
            return STAGE1_TARGET
        if r < 0.46:
            return self.rng.randint(0, STAGE1_TARGET - 1)
        if r < 0.72:
            return self.rng.randint(STAGE1_TARGET + 1, STAGE1_EXTENDED - 1)
        if r < 0.80:
            return STAGE1_EXTENDED
        return self.rng.randint(STAGE1_EXTENDED + 1, 45)

    def _stage2_days(self) -> int:
        r = self.rng.random()
        if r < 0.06:
            return STAGE2_TARGET
        if r < 0.20:
            return self.rng.randint(8, STAGE2_TARGET - 1)
        if r < 0.62:
            return self.rng.randint(STAGE2_TARGET + 1, STAGE2_EXTENDED - 1)
        if r < 0.68:
            return STAGE2_EXTENDED
        return self.rng.randint(STAGE2_EXTENDED + 1, 130)

    def _around(self, target: int, low: int, high: int, on_target: float, within: float) -> int:
        r = self.rng.random()
        if r < on_target:
            return target
        if r < on_target + within:
            return self.rng.randint(low, target - 1)
        return self.rng.randint(target + 1, high)

    # records -----------------------------------------------------------------------------------

    def _complainant(self, received_at: datetime) -> int:
        rng = self.rng
        existing = self.next_id["complainants"] - 1
        if existing and rng.random() < self.config.repeat_complainant_rate:
            return rng.randint(1, existing)
        complainant_id = self._new_id("complainants")
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_SURNAMES)
        local = f"{first}.{last}".lower().replace("'", "") + str(rng.randint(1, 99))
        email = f"{local}@{rng.choice(_EMAIL_DOMAINS)}"
        if self.config.canary:
            email = f"{local}+{self.config.canary}@{rng.choice(_EMAIL_DOMAINS)}"
        if rng.random() < 0.7:  # Ofcom's ranges reserved for drama: never a real line
            phone = f"07700 900{rng.randint(0, 999):03d}"
        else:
            phone = f"0118 496 0{rng.randint(0, 999):03d}"
        address = (
            f"{rng.randint(1, 180)} {rng.choice(_STREETS)}, {rng.choice(_TOWNS)}, "
            f"ZZ99 {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        )
        relationship = self._choice(self._relationships, self._relationship_cum)
        updated_at = self._maybe_late_edit(received_at)
        self.rows["complainants"].append(
            (
                complainant_id,
                self._personal(f"{first} {last}"),
                email,
                self._personal(phone, " ext "),
                self._personal(address, ", "),
                relationship,
                updated_at,
                None,
            )
        )
        return complainant_id

    def _stages(self, received: date) -> list[dict[str, Any]]:
        """The stage rows of one qualifying complaint, as far as they have got by as_of."""
        rng, calendar, config = self.rng, self.calendar, self.config
        stages: list[dict[str, Any]] = []
        team = self._team()
        requested = received
        for stage in (1, 2, 3):
            row: dict[str, Any] = {
                "stage": stage,
                "team_id": team,
                "requested_date": requested,
                "extension_agreed": False,
                "response_date": None,
                "outcome": None,
                "panel_date": None,
                "panel_report_date": None,
            }
            stages.append(row)
            if stage == 1:
                outcome = self._choice(self._outcomes1, self._outcomes1_cum)
                if outcome == "escalated_without_response":
                    # No response in time: the complainant asks for stage 2 instead.
                    days = rng.randint(STAGE1_EXTENDED + 1, 45)
                else:
                    days = self._stage1_days()
                response = calendar.add(requested, days)
                deadline = calendar.add(requested, STAGE1_TARGET)
                row["extension_agreed"] = (
                    days > STAGE1_TARGET and rng.random() < 0.6 and self._reached(deadline)
                )
            elif stage == 2:
                outcome = self._choice(self._outcomes23, self._outcomes23_cum)
                days = self._stage2_days()
                response = calendar.add(requested, days)
                deadline = calendar.add(requested, STAGE2_TARGET)
                row["extension_agreed"] = (
                    days > STAGE2_TARGET and rng.random() < 0.7 and self._reached(deadline)
                )
            else:
                outcome = self._choice(self._outcomes23, self._outcomes23_cum)
                if outcome == "withdrawn" and rng.random() < 0.6:
                    response = calendar.add(requested, rng.randint(2, 20))  # before any panel
                else:
                    panel = calendar.add(requested, self._around(STAGE3_PANEL, 12, 50, 0.15, 0.7))
                    report = calendar.add(
                        panel, self._around(STAGE3_PANEL_REPORT, 1, 12, 0.25, 0.6)
                    )
                    response = calendar.add(
                        report, self._around(STAGE3_DIRECTOR, 3, 30, 0.25, 0.55)
                    )
                    row["panel_date"] = panel if self._reached(panel) else None
                    row["panel_report_date"] = report if self._reached(report) else None
            if not self._reached(response):
                break  # still open at as_of
            row["response_date"], row["outcome"] = response, outcome
            if stage == 3 or outcome == "withdrawn":
                break
            if outcome == "escalated_without_response":
                requested = response  # the escalation is the stage 1 "response"
            else:
                rate = (
                    config.escalation_rate_stage1_to_2
                    if stage == 1
                    else config.escalation_rate_stage2_to_3
                )
                if rng.random() >= rate:
                    break
                # The complainant has 20 working days to ask; some ask late and are accepted.
                requested = calendar.add(response, rng.randint(1, 28))
                if not self._reached(requested):
                    break
            if rng.random() < 0.15:  # a different team picks up the next stage
                team = self._team()
        return stages

    def _learning_action(self, complaint_id: int, stage: dict[str, Any]) -> list[tuple]:
        rng = self.rng
        # Agreed and completed in office hours: on working days.
        agreed = self.calendar.add(stage["response_date"], rng.randint(0, 30))
        if not self._reached(agreed):
            return []
        team_name = self._team_names[stage["team_id"]]
        text = rng.choice(_LEARNING_OPENERS).format(team=team_name, stage=stage["stage"])
        text += rng.choice(_LEARNING_BODIES)
        if rng.random() < 0.2:
            text += rng.choice(_LEARNING_EXTRAS)
        completed = self.calendar.add(agreed, rng.randint(5, 140))
        if rng.random() < 0.8 and self._reached(completed):
            status, last = "completed", completed
        else:
            status, completed, last = "open", None, agreed
        updated_at = self._maybe_late_edit(self._stamp(last))
        deleted_at = None
        if rng.random() < self.config.deletion_rate / 2:
            deleted_at = updated_at = self._deletion_moment(updated_at)
        return [
            (
                self._new_id("actions"),
                complaint_id,
                stage["team_id"],
                agreed,
                text,
                status,
                completed,
                updated_at,
                deleted_at,
            )
        ]

    def _ombudsman_case(self, complaint_id: int | None, after: date, premature: bool) -> tuple:
        rng, calendar = self.rng, self.calendar
        referred = calendar.add(after, rng.randint(2, 80))
        if not self._reached(referred):
            return ()
        options = _PREMATURE_DECISIONS if premature else _OMBUDSMAN_DECISIONS
        decision_date = calendar.add(
            referred, rng.randint(8, 40) if premature else rng.randint(20, 200)
        )
        decision = maladministration = None
        if self._reached(decision_date):
            decision, maladministration, _ = rng.choices(options, [o[2] for o in options])[0]
        else:
            decision_date = None
        last = decision_date or referred
        return (
            self._new_id("ombudsman"),
            complaint_id,
            referred,
            decision_date,
            decision,
            maladministration,
            self._maybe_late_edit(self._stamp(last)),
            None,
        )

    def complaint(self, day: date) -> None:
        """One complaint received on ``day`` and everything that followed it up to as_of."""
        rng, config = self.rng, self.config
        complaint_id = self._new_id("complaints")
        received_at = self._stamp(day)
        complainant_id = self._complainant(received_at)
        qualifying = rng.random() >= config.non_qualifying_share
        issue = self._choice(self._issues, self._issue_cum)
        channel = self._choice(self._channels, self._channel_cum)
        detail = rng.choice(_COMPLAINT_DETAILS[issue])
        summary = self._personal(
            f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)} complains that {detail}."
        )
        sequence = self._references.get(day.year, 0) + 1
        self._references[day.year] = sequence
        reference = f"CSC-{day.year}-{sequence:04d}"

        stage_rows: list[list[Any]] = []
        actions: list[tuple] = []
        ombudsman: list[tuple] = []
        if qualifying:
            stages = self._stages(day)
            for stage in stages:
                last = max(
                    d
                    for d in (
                        stage["requested_date"],
                        stage["response_date"],
                        stage["panel_date"],
                        stage["panel_report_date"],
                    )
                    if d is not None
                )
                stage_rows.append(
                    [
                        self._new_id("stages"),
                        complaint_id,
                        stage["stage"],
                        stage["team_id"],
                        stage["requested_date"],
                        stage["extension_agreed"],
                        stage["response_date"],
                        stage["outcome"],
                        stage["panel_date"],
                        stage["panel_report_date"],
                        self._maybe_late_edit(self._stamp(last)),
                        None,
                    ]
                )
                if (
                    stage["outcome"] in ("upheld", "partially_upheld")
                    and rng.random() < config.learning_action_rate
                ):
                    for _ in range(1 if rng.random() < 0.8 else 2):
                        actions.extend(self._learning_action(complaint_id, stage))
            final = stages[-1]
            if final["outcome"] not in (None, "withdrawn", "escalated_without_response"):
                rate = config.ombudsman_referral_rate * {1: 0.01, 2: 0.1, 3: 1.0}[final["stage"]]
                if rng.random() < rate:
                    case = self._ombudsman_case(
                        complaint_id, final["response_date"], premature=final["stage"] == 1
                    )
                    if case:
                        ombudsman.append(case)

        complaint_updated = self._maybe_late_edit(received_at)
        complaint_deleted = None
        if rng.random() < config.deletion_rate:
            # Entered in error: the complaint is deleted; half the time its stage rows are too,
            # half the time they are left behind undeleted (they must not count either way).
            latest = max(
                [complaint_updated]
                + [row[10] for row in stage_rows]
                + [row[7] for row in actions]
                + [row[6] for row in ombudsman]
            )
            complaint_deleted = complaint_updated = self._deletion_moment(latest)
            if rng.random() < 0.5:
                for row in stage_rows:
                    row[10] = row[11] = complaint_deleted

        self.rows["complaints"].append(
            (
                complaint_id,
                reference,
                complainant_id,
                day,
                qualifying,
                issue,
                channel,
                summary,
                complaint_updated,
                complaint_deleted,
            )
        )
        self.rows["complaint_stages"].extend(tuple(row) for row in stage_rows)
        self.rows["learning_actions"].extend(actions)
        self.rows["ombudsman_cases"].extend(ombudsman)

    def feedback(self, day: date, kind: str) -> None:
        rng = self.rng
        team = self._team()
        detail = rng.choice(_COMPLIMENT_DETAILS if kind == "compliment" else _COMMENT_DETAILS)
        summary = self._personal(
            f"{rng.choice(_FIRST_NAMES)} {rng.choice(_SURNAMES)} "
            + detail.format(team=self._team_names[team])
            + "."
        )
        updated_at = self._maybe_late_edit(self._stamp(day))
        deleted_at = None
        if rng.random() < self.config.deletion_rate:
            deleted_at = updated_at = self._deletion_moment(updated_at)
        self.rows["feedback"].append(
            (self._new_id("feedback"), kind, team, day, summary, updated_at, deleted_at)
        )

    def unlinked_ombudsman_case(self, day: date) -> None:
        """A referral the LGSCO received without a complaint on the council's record."""
        case = self._ombudsman_case(None, day, premature=self.rng.random() < 0.5)
        if case:
            self.rows["ombudsman_cases"].append(case)

    def _day_weight(self, day: date) -> float:
        """How busy a day is: complaints arrive mostly on working days (web forms at weekends)."""
        base = 1.0 if self.calendar.is_working_day(day) else 0.12
        season = {8: 0.8, 12: 0.75, 1: 1.1, 9: 1.1}.get(day.month, 1.0)
        return base * season * self.rng.uniform(0.6, 1.4)

    def batches(self) -> Iterator[tuple[dict[str, list[tuple]], int]]:
        """(rows by table, complaints in them) per batch, reference tables in the first one."""
        config = self.config
        self.rows["teams"] = [team[:3] for team in self.teams]
        self.rows["issue_categories"] = [(code, label) for code, label, _ in ISSUE_CATEGORIES]
        in_batch = 0
        for year in range(config.years):
            start = date(config.first_year_start.year + year, 4, 1)
            days = [
                start + timedelta(days=n) for n in range((date(start.year + 1, 4, 1) - start).days)
            ]
            weights = [self._day_weight(day) for day in days]
            complaints = _spread(config.complaints_per_year, weights)
            compliments = _spread(config.effective_compliments_per_year, weights)
            comments = _spread(config.effective_comments_per_year, weights)
            unlinked = config.ombudsman_unlinked_rate * config.complaints_per_year / len(days)
            for day, n_complaints, n_compliments, n_comments in zip(
                days, complaints, compliments, comments, strict=True
            ):
                if day > self.as_of_day:
                    break
                for _ in range(n_complaints):
                    self.complaint(day)
                for _ in range(n_compliments):
                    self.feedback(day, "compliment")
                for _ in range(n_comments):
                    self.feedback(day, "comment")
                if self.rng.random() < unlinked:
                    self.unlinked_ombudsman_case(day)
                in_batch += n_complaints
                if in_batch >= config.batch_size:
                    yield self._take(), in_batch
                    in_batch = 0
        yield self._take(), in_batch

    def _take(self) -> dict[str, list[tuple]]:
        rows = self.rows
        self.rows = {table: [] for table in TABLE_ORDER}
        return rows


def iter_batches(config: GeneratorConfig) -> Iterator[tuple[dict[str, list[tuple]], int]]:
    """The rows of ``config`` in batches: (rows by table in COLUMNS order, complaints in them)."""
    return _Simulation(config).batches()


# --- writing -------------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy's SQLite types store it (so ORM reads and text comparisons agree)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


class _PostgresWriter:
    def __init__(self, dbapi_connection: Any) -> None:
        self.cursor = dbapi_connection.cursor()

    def write(self, table: str, rows: list[tuple]) -> None:
        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(map(copy_text, row)))
            buffer.write("\n")
        buffer.seek(0)
        columns = ", ".join(COLUMNS[table])
        self.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


class _SqliteWriter:
    def __init__(self, dbapi_connection: Any) -> None:
        self.cursor = dbapi_connection.cursor()

    def write(self, table: str, rows: list[tuple]) -> None:
        columns = COLUMNS[table]
        statement = (
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        )
        self.cursor.executemany(statement, [tuple(map(_sqlite_value, row)) for row in rows])


def _assert_empty(engine: Engine) -> None:
    with engine.connect() as conn:
        for table in SourceBase.metadata.sorted_tables:
            if conn.execute(select(1).select_from(table).limit(1)).first() is not None:
                raise SourceNotEmptyError(
                    f"the source database {engine.url.render_as_string(hide_password=True)} is "
                    f"not empty: table {table.name} already has rows. The generator only fills "
                    "an empty source database; give it a new one."
                )


def _advance_sequences(engine: Engine, counts: Mapping[str, int]) -> None:
    """Move PostgreSQL's id sequences past the generated ids, so later inserts do not collide."""
    with engine.begin() as conn:
        for table in SourceBase.metadata.sorted_tables:
            key = next(iter(table.primary_key.columns))
            if counts.get(table.name) and key.type.python_type is int:
                conn.execute(
                    select(
                        func.setval(
                            func.pg_get_serial_sequence(table.name, key.name),
                            select(func.max(key)).scalar_subquery(),
                        )
                    )
                )


def generate(engine: Engine, config: GeneratorConfig, progress: bool = True) -> dict[str, int]:
    """Fill the empty source database behind ``engine``; return the rows written per table.

    Creates the schema if needed and refuses a database that already holds source rows. All rows
    go in one transaction, streamed in batches of ``config.batch_size`` complaints.
    """
    from tqdm import tqdm

    create_source_schema(engine)
    _assert_empty(engine)
    dialect = engine.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        return _generate_portable(engine, config, progress)
    counts = dict.fromkeys(TABLE_ORDER, 0)
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        writer: _PostgresWriter | _SqliteWriter = (
            _PostgresWriter(dbapi) if dialect == "postgresql" else _SqliteWriter(dbapi)
        )
        with tqdm(
            total=config.complaints_per_year * config.years,
            unit=" complaints",
            disable=not progress,
            file=sys.stderr,
        ) as bar:
            for rows, complaints in iter_batches(config):
                for table in TABLE_ORDER:
                    if rows[table]:
                        writer.write(table, rows[table])
                        counts[table] += len(rows[table])
                bar.update(complaints)
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    if dialect == "postgresql":
        _advance_sequences(engine, counts)
    return counts


def _generate_portable(engine: Engine, config: GeneratorConfig, progress: bool) -> dict[str, int]:
    """Any other SQLAlchemy database: batched executemany through SQLAlchemy Core."""
    from tqdm import tqdm

    counts = dict.fromkeys(TABLE_ORDER, 0)
    tables = SourceBase.metadata.tables
    with (
        engine.begin() as conn,
        tqdm(total=config.complaints_per_year * config.years, disable=not progress) as bar,
    ):
        for rows, complaints in iter_batches(config):
            for table in TABLE_ORDER:
                if rows[table]:
                    columns = COLUMNS[table]
                    conn.execute(
                        tables[table].insert(),
                        [dict(zip(columns, r, strict=True)) for r in rows[table]],
                    )
                    counts[table] += len(rows[table])
            bar.update(complaints)
    return counts


# --- command line --------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csc-generate",
        description="Fill an empty source database with realistic random complaints data.",
    )
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of the (empty) source DB")
    parser.add_argument("--complaints-per-year", type=int, default=1000)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--first-year", default="2018/19", help="e.g. 2018/19")
    parser.add_argument("--teams", type=int, default=12, help="council size: number of teams")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--canary", default=None, help="string put in every personal-data field")
    parser.add_argument("--as-of", default=None, help="ISO moment nothing is later than")
    parser.add_argument("--batch-size", type=int, default=5000, help="complaints per batch")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console script ``csc-generate``."""
    from csc_complaints.db import make_engine

    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = GeneratorConfig(
            seed=args.seed,
            first_year=args.first_year,
            years=args.years,
            complaints_per_year=args.complaints_per_year,
            teams=args.teams,
            canary=args.canary,
            as_of=datetime.fromisoformat(args.as_of) if args.as_of else None,
            batch_size=args.batch_size,
        )
    except ValueError as exc:
        parser.error(str(exc))
    engine = make_engine(args.url)
    try:
        counts = generate(engine, config, progress=not args.no_progress)
    except SourceNotEmptyError as exc:
        print(f"csc-generate: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    for table, count in counts.items():
        print(f"{table}: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
