"""The annual report as a document model: headings, paragraphs, bullets, tables and charts.

Built once from the year's figures, the prior year's, the settings and the fixed wording in
``include/templates/wording.j2``; the PDF and the HTML are two renderings of the same model, so
they always say the same thing. Section order follows the seed report (REPORT.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2

from csc_complaints.report import sentences as say
from csc_complaints.report.figures import OUTCOME_COLUMNS, TeamCount, YearFigures
from csc_complaints.report.reconciliation import Reconciliation
from csc_complaints.settings import Settings

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
COUNCIL_TOTAL = "Children's Services"


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int  # 1 section, 2 subsection, 3 sub-subsection (HTML h2, h3, h4)
    text: str
    toc: bool = True  # listed in Contents and the PDF bookmarks; if not, printed smaller


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"  # body | note


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Texts:
    """Free texts from the source (one team's learning actions), one body paragraph each.

    A block of its own because there can be thousands: the PDF lays the run out as plain text
    (no markup to parse) that flows across pages, and the HTML prints one ``<p>`` per text.
    """

    items: tuple[str, ...]


@dataclass(frozen=True)
class TableRow:
    cells: tuple[str, ...]
    kind: str = "row"  # area | row | subtotal | total


@dataclass(frozen=True)
class Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]
    numeric_from: int = 1  # columns from here on are right-aligned numbers
    widths: tuple[float, ...] = ()  # relative column widths (empty = even)


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart: one bar per series for each category."""

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (legend label, values)
    alt: str  # the text alternative, with every number of the chart


Block = Heading | Paragraph | Bullets | Texts | Table | Chart


@dataclass
class Document:
    title_lines: tuple[str, ...]
    council_name: str
    year_label: str
    title: str
    blocks: list[Block] = field(default_factory=list)


# --- fixed wording -------------------------------------------------------------------------------


@cache
def _wording():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=False,  # plain text; each renderer escapes for its own format
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    return env.get_template("wording.j2").module


def wording(name: str, *args) -> str:
    return str(getattr(_wording(), name)(*args)).strip()


def wording_blocks(name: str, *args) -> list[Block]:
    """A wording macro as blocks: blank lines split paragraphs, ``- `` lines are bullets."""
    blocks: list[Block] = []
    for chunk in wording(name, *args).split("\n\n"):
        lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith("- ") for line in lines):
            blocks.append(Bullets(tuple(line[2:] for line in lines)))
        else:
            blocks.append(Paragraph(" ".join(lines)))
    return blocks


# --- helpers -------------------------------------------------------------------------------------


def _by_area(teams: list[TeamCount]) -> dict[str, list[TeamCount]]:
    grouped: dict[str, list[TeamCount]] = defaultdict(list)
    for team in sorted(teams, key=lambda t: (t.service_area.lower(), t.team.lower())):
        grouped[team.service_area].append(team)
    return dict(grouped)


class _Builder:
    def __init__(
        self,
        current: YearFigures,
        prior: YearFigures,
        settings: Settings,
        reconciliation: Reconciliation,
    ) -> None:
        self.now = current
        self.prior = prior if prior.present else None
        self.s = settings
        self.rec = reconciliation
        self.fy = current.year.label
        self.pfy = current.year.prior.label
        self.th = say.Thresholds(
            settings.significant_change_percent, settings.significant_change_minimum
        )
        self.blocks: list[Block] = []

    # small emitters
    def h(self, level: int, text: str, toc: bool = True) -> None:
        self.blocks.append(Heading(level, text, toc))

    def p(self, text: str, style: str = "body") -> None:
        self.blocks.append(Paragraph(text, style))

    def words(self, name: str, *args) -> None:
        self.blocks.extend(wording_blocks(name, *args))

    def prior_of(self, value_in_prior) -> int | None:
        """Last year's figure, or None when the warehouse has no prior year."""
        return None if self.prior is None else value_in_prior(self.prior)

    def series(self, values_now, values_prior) -> tuple:
        out = [(self.fy, tuple(values_now))]
        if self.prior is not None:
            out.append((self.pfy, tuple(values_prior)))
        return tuple(out)

    def chart(self, title: str, categories: list[str], now: list[int], before: list[int]):
        if not categories:
            return
        parts = []
        for name, a, b in zip(categories, now, before, strict=True):
            parts.append(
                f"{name}: {a} in {self.fy}" + (f", {b} in {self.pfy}" if self.prior else "")
            )
        compared = f", {self.fy} compared with {self.pfy}" if self.prior else f", {self.fy}"
        alt = f"Bar chart: {title}{compared}. " + "; ".join(parts) + "."
        self.blocks.append(Chart(title, tuple(categories), self.series(now, before), alt))

    # sections
    def build(self) -> list[Block]:
        self.front_matter()
        self.totals()
        for stage in (1, 2, 3):
            self.stage_breakdown(stage)
        self.issues()
        self.feedback("comment", "Comments")
        self.feedback("compliment", "Compliments")
        self.outcomes()
        self.ombudsman()
        self.learning()
        self.performance()
        self.recommendations()
        self.annex()
        return self.blocks

    def front_matter(self) -> None:
        s = self.s
        self.h(1, "Introduction")
        self.words("introduction", s, self.fy)
        self.h(1, "The Law")
        self.words("the_law", s)
        self.h(1, "Complaints and Information Governance Team")
        self.words("complaints_team", s)
        self.h(1, "Public Information")
        self.words("public_information", s)
        self.h(1, "Children's Services Social Care Complaints Process")
        for title, name in (
            ("Stage 1 – Local Resolution", "process_stage1"),
            ("Stage 2 – Investigation", "process_stage2"),
            ("Stage 3 – Review Panel", "process_stage3"),
            ("The Local Government and Social Care Ombudsman", "process_ombudsman"),
        ):
            self.h(2, title)
            self.words(name, s)
        self.h(1, "External Support to the Complaints Process")
        for title, name in (
            ("Advocacy", "advocacy"),
            ("Investigating Officers", "investigating_officers"),
            ("Independent Persons", "independent_persons"),
            ("Review Panels", "review_panels"),
        ):
            self.h(2, title, toc=False)
            self.words(name, s)

    def totals(self) -> None:
        self.h(1, "Total Complaints, Compliments and Comments received")
        rows = [
            ("complaints_received", "complaint", None, "Complaints"),
            ("compliments_received", "compliment", None, "Compliments"),
            ("comments_received", "comment", None, "Comments"),
            (
                "non_qualifying_received",
                "non-qualifying complaint",
                None,
                "Non-qualifying complaints",
            ),
        ]
        self.chart(
            "Complaints, compliments and comments received",
            [r[3] for r in rows],
            [self.now.headline(r[0]) for r in rows],
            [self.prior.headline(r[0]) if self.prior else 0 for r in rows],
        )
        for measure, singular, plural_form, _ in rows:
            self.p(
                say.council_received(
                    self.now.headline(measure),
                    singular,
                    plural_form,
                    self.fy,
                    self.prior_of(lambda y, m=measure: y.headline(m)),
                    self.pfy,
                    self.th,
                )
            )

    def _team_sentences(self, teams: list[TeamCount], prior_count, singular: str) -> None:
        for area, members in _by_area(teams).items():
            self.h(2, area, toc=False)
            for team in members:
                self.p(
                    say.team_received(
                        team.team,
                        team.count,
                        singular,
                        self.prior_of(lambda y, t=team.team: prior_count(y, t)),
                        self.pfy,
                        self.th,
                    )
                )

    def _team_chart(self, title: str, teams: list[TeamCount], prior_count) -> None:
        ordered = [t for members in _by_area(teams).values() for t in members]
        self.chart(
            title,
            [t.team for t in ordered],
            [t.count for t in ordered],
            [prior_count(self.prior, t.team) if self.prior else 0 for t in ordered],
        )

    def stage_breakdown(self, stage: int) -> None:
        self.h(1, f"Breakdown of Stage {stage} Complaints by Service Area/Team")
        total = self.now.headline(f"stage{stage}_received")
        prior_total = self.prior_of(lambda y: y.headline(f"stage{stage}_received"))
        if stage == 1:
            self.p(
                say.with_change(
                    f"The Council received {say.count_phrase(total, 'Stage 1 complaint')}"
                    f" during {self.fy}",
                    total,
                    prior_total,
                    self.pfy,
                    self.th,
                )
            )
        else:
            self.p(say.stage_escalated(stage, total, self.fy, prior_total, self.pfy, self.th))
        teams = self.now.received_by_team(stage)
        if not teams:
            return

        def prior_count(y, team):
            return y.team_received(stage, team)

        self._team_chart(f"Stage {stage} complaints received by team", teams, prior_count)
        self.p(wording("teams_not_listed", stage, self.fy), style="note")
        self._team_sentences(teams, prior_count, "complaint")

    def issues(self) -> None:
        self.h(1, "Breakdown of complaints by Issue")
        labels = {code: label for code, (label, _) in self.now.issues.items()}
        if self.prior:
            for code, (label, _) in self.prior.issues.items():
                labels.setdefault(code, label)
        rows = [
            (
                labels[code],
                self.now.issue_count(code),
                self.prior_of(lambda y, c=code: y.issue_count(c)),
            )
            for code in labels
        ]
        shown = sorted(
            [r for r in rows if r[1] or r[2]], key=lambda r: (-r[1], -(r[2] or 0), r[0].lower())
        )
        if not any(r[1] for r in rows):
            self.p(say.sentence(f"The Council did not receive any complaints during {self.fy}"))
            return
        self.chart(
            "Complaints by issue",
            [r[0] for r in shown],
            [r[1] for r in shown],
            [r[2] or 0 for r in shown],
        )
        for text in say.issue_sentences(rows, self.pfy, self.th):
            self.p(text)

    def feedback(self, kind: str, title: str) -> None:
        self.h(1, f"Breakdown of {title} by Service Area/Team")
        total = self.now.headline(f"{kind}s_received")
        prior_total = self.prior_of(lambda y: y.headline(f"{kind}s_received"))
        self.p(say.council_received(total, kind, None, self.fy, prior_total, self.pfy, self.th))
        teams = self.now.feedback_by_team(kind)
        if not teams:
            return

        def prior_count(y, team):
            return y.team_feedback(kind, team)

        self._team_chart(f"{title} received by team", teams, prior_count)
        self._team_sentences(teams, prior_count, kind)

    def outcomes(self) -> None:
        self.h(1, "Complaint Outcomes")
        for stage in (1, 2, 3):
            cells = self.now.outcomes.get(stage, {})
            cells = {k: v for k, v in cells.items() if sum(v.values())}
            if not cells:
                self.p(
                    say.sentence(
                        f"No decisions were reached on Stage {stage} complaints during {self.fy}"
                    )
                )
                continue
            self.p(wording("outcomes_intro", stage, self.fy))
            self.blocks.append(self._outcome_table(stage, cells))

    def _outcome_table(self, stage: int, cells) -> Table:
        codes = [c for c, _ in OUTCOME_COLUMNS if stage == 1 or c != "escalated_without_response"]
        labels = dict(OUTCOME_COLUMNS)
        # A code outside the known list still gets its own column: no figure is dropped.
        seen = sorted({code for v in cells.values() for code in v} - set(codes))
        codes += seen
        header = ("Service Area/Team", *[labels.get(c, c) for c in codes], "Total")

        def numbers(counts: dict[str, int]) -> tuple[str, ...]:
            values = [counts.get(c, 0) for c in codes]
            return (*[str(v) for v in values], str(sum(values)))

        rows: list[TableRow] = []
        council: dict[str, int] = defaultdict(int)
        areas: dict[str, list[tuple[str, dict[str, int]]]] = defaultdict(list)
        for (area, team), counts in cells.items():
            areas[area].append((team, counts))
        for area in sorted(areas, key=str.lower):
            rows.append(TableRow((area,) + ("",) * (len(header) - 1), "area"))
            subtotal: dict[str, int] = defaultdict(int)
            for team, counts in sorted(areas[area], key=lambda t: t[0].lower()):
                rows.append(TableRow((team, *numbers(counts)), "row"))
                for code, n in counts.items():
                    subtotal[code] += n
                    council[code] += n
            rows.append(TableRow((f"Total for {area}", *numbers(subtotal)), "subtotal"))
        rows.append(TableRow((f"Total for {COUNCIL_TOTAL}", *numbers(council)), "total"))
        total = sum(council.values())
        caption = (
            f"Stage {stage} decisions reached during {self.fy} by service area, team and "
            f"outcome ({say.count_phrase(total, 'decision')} in total)"
        )
        return Table(caption, header, tuple(rows), widths=(3.2,) + (1.0,) * (len(header) - 1))

    def ombudsman(self) -> None:
        self.h(1, "Local Government and Social Care Ombudsman (LGSCO) Complaints")
        for measure, verb in (
            ("ombudsman_referred", "referred to"),
            ("ombudsman_determined", "determined by"),
        ):
            n = self.now.headline(measure)
            subject = "no complaints" if n == 0 else say.count_phrase(n, "complaint")
            self.p(
                say.with_change(
                    f"{subject} {say.was_were(n)} {verb} the LGSCO during {self.fy}",
                    n,
                    self.prior_of(lambda y, m=measure: y.headline(m)),
                    self.pfy,
                    self.th,
                )
            )

    def learning(self) -> None:
        self.h(1, "Organisational Learning")
        actions = self.now.learning
        if not actions:
            self.words("no_learning", self.fy)
            return
        self.words("organisational_learning", self.fy)
        missing = wording("learning_text_missing")
        by_team: dict[tuple[str, str], list[str]] = defaultdict(list)
        for action in actions:
            by_team[(action.service_area, action.team)].append(action.text or missing)
        for (_area, team), texts in sorted(
            by_team.items(), key=lambda kv: [s.lower() for s in kv[0]]
        ):
            self.h(2, team, toc=False)
            self.blocks.append(Texts(tuple(texts)))

    # --- performance -----------------------------------------------------------------------

    def _pct(self, figures: YearFigures | None, measure: str) -> str | None:
        if figures is None:
            return None
        responses, within = figures.timeliness_of(measure)
        return say.percent(within, responses) if responses else None

    def _within_sentence(self, lead: str, measure: str, how: str) -> str | None:
        responses, within = self.now.timeliness_of(measure)
        if not responses:
            return None
        pct = say.percent(within, responses)
        change = say.percent_change(pct, self._pct(self.prior, measure), self.pfy)
        return say.sentence(
            f"{lead}, {say.count_text(within)} ({pct}) {say.was_were(within)} {how}{change}"
        )

    def performance(self) -> None:
        s = self.s
        self.h(
            1,
            "Performance against the Children's Social Care Complaints, Compliments and "
            "Comments Procedure",
        )
        self.words("performance_intro", self.fy)
        self.h(2, "Timescales")
        self.words("timescales_table_intro", self.fy, self.pfy if self.prior else "")
        self.blocks.append(self._timescales_table())

        self.h(3, "Stage 1")
        self.words("stage1_target", s)
        r1, w10 = self.now.timeliness_of("stage1_within_10wd")
        _, w20 = self.now.timeliness_of("stage1_within_20wd")
        if r1:
            lead = (
                f"Of the {say.count_phrase(r1, 'Stage 1 complaint response')} sent during {self.fy}"
            )
            further = w20 - w10
            items = [
                self._within_sentence(
                    lead, "stage1_within_10wd", f"sent within {s.stage1_target_wd} working days"
                ),
                say.sentence(
                    f"A further {say.count_text(further)} ({say.percent(further, r1)}) "
                    f"{say.was_were(further)} sent within {s.stage1_extended_wd} working days"
                ),
                self._within_sentence(
                    "In total",
                    "stage1_within_20wd",
                    f"sent within the maximum {s.stage1_extended_wd} working day timescale",
                ),
            ]
            self.blocks.append(Bullets(tuple(items)))
        else:
            self.p(say.sentence(f"No Stage 1 complaint responses were sent during {self.fy}"))

        self.h(3, "Stage 2")
        self.words("stage2_target", s)
        r2, w25 = self.now.timeliness_of("stage2_within_25wd")
        _, w65 = self.now.timeliness_of("stage2_within_65wd")
        if r2:
            lead = (
                f"Of the {say.count_phrase(r2, 'Stage 2 complaint response')} sent during {self.fy}"
            )
            late = r2 - w65
            prior_late = None
            if self.prior and self.prior.timeliness_of("stage2_within_65wd")[0]:
                pr, pw = self.prior.timeliness_of("stage2_within_65wd")
                prior_late = say.percent(pr - pw, pr)
            late_text = (
                f"{say.count_text(late)} ({say.percent(late, r2)}) {say.was_were(late)} sent "
                f"after {s.stage2_extended_wd} working days"
            )
            if prior_late:
                late_text += f", compared with {prior_late} in {self.pfy}"
            items = [
                self._within_sentence(
                    lead, "stage2_within_25wd", f"sent within {s.stage2_target_wd} working days"
                ),
                self._within_sentence(
                    "In total",
                    "stage2_within_65wd",
                    f"sent within the maximum timescale allowed ({s.stage2_extended_wd} "
                    "working days)",
                ),
                say.sentence(late_text),
            ]
            self.blocks.append(Bullets(tuple(items)))
        else:
            self.p(say.sentence(f"No Stage 2 complaint responses were sent during {self.fy}"))

        self.h(3, "Stage 3")
        items = []
        for measure, target, lead, how in (
            (
                "stage3_panel_within_30wd",
                "stage3_panel_target",
                "Of the {n} held during {fy}",
                f"held within {s.stage3_panel_wd} working days",
            ),
            (
                "stage3_panel_report_within_5wd",
                "stage3_panel_report_target",
                "Of the {n} that reported during {fy}",
                f"reported to the Director within {s.stage3_panel_report_wd} working days",
            ),
            (
                "stage3_director_within_15wd",
                "stage3_director_target",
                "Of the {n} sent during {fy}",
                f"sent within {s.stage3_director_wd} working days",
            ),
        ):
            responses, _ = self.now.timeliness_of(measure)
            noun = {
                "stage3_panel_within_30wd": ("Review Panel", "Review Panels"),
                "stage3_panel_report_within_5wd": ("Review Panel", "Review Panels"),
                "stage3_director_within_15wd": (
                    "Director's response to a complainant",
                    "Director's responses to complainants",
                ),
            }[measure]
            if responses:
                n = say.count_phrase(responses, *noun)
                body = self._within_sentence(lead.format(n=n, fy=self.fy), measure, how)
            else:
                body = say.sentence(f"There were no {noun[1]} to measure during {self.fy}")
            items.append(f"{wording(target, s)} {body}")
        self.blocks.append(Bullets(tuple(items)))

        self.h(2, "Performance against key performance indicators")
        self.words("kpi_intro", s)
        self.p(
            say.council_received(
                self.now.headline("ombudsman_maladministration"),
                "maladministration decision",
                None,
                self.fy,
                self.prior_of(lambda y: y.headline("ombudsman_maladministration")),
                self.pfy,
                self.th,
            )
        )

    def _timescales_table(self) -> Table:
        s = self.s
        rows = []
        for measure, label, target in TIMESCALES:
            responses, within = self.now.timeliness_of(measure)
            pct = say.percent(within, responses) if responses else "no responses"
            cells = [label, f"{getattr(s, target)} working days", str(responses), str(within), pct]
            if self.prior:
                cells.append(self._pct(self.prior, measure) or "no responses")
            rows.append(TableRow(tuple(cells)))
        header = ["Timescale", "Target", "Responses", "Within target", self.fy]
        if self.prior:
            header.append(self.pfy)
        return Table(
            f"Timescales for {self.fy}" + (f" and {self.pfy}" if self.prior else ""),
            tuple(header),
            tuple(rows),
            numeric_from=2,
            widths=(3.2, 1.4, 1.1, 1.1, 1.1, 1.1)[: len(header)],
        )

    def recommendations(self) -> None:
        self.h(1, "Further recommendations")
        texts = []
        for measure, timescale in RECOMMENDATION_MEASURES:
            responses, within = self.now.timeliness_of(measure)
            if responses and say.percent_value(within, responses) < _decimal(
                self.s.recommendation_below_percent
            ):
                texts.append(wording("recommendation", timescale))
        texts += self.s.recommendations_for(self.fy)
        if not texts:
            self.words("no_recommendations", self.fy)
        for text in texts:
            self.p(text)

    def annex(self) -> None:
        self.h(1, "Annex: How these figures were checked")
        self.words("annex_intro", self.fy)
        if not self.rec.available:
            self.words("annex_not_reconciled", self.fy)
            return
        rows = tuple(
            TableRow(
                (
                    r.code,
                    r.severity,
                    r.rule,
                    r.expected,
                    r.observed,
                    "Passed" if r.passed else "Failed",
                )
            )
            for r in self.rec.results
        )
        self.blocks.append(
            Table(
                f"Reconciliation checks for {self.fy}",
                ("Code", "Severity", "Check", "Expected", "Observed", "Result"),
                rows,
                numeric_from=99,
                widths=(0.8, 0.9, 3.6, 1.1, 1.1, 0.8),
            )
        )
        if not self.rec.rejected_total:
            self.words("annex_no_rejects", self.fy)
            return
        self.p(
            say.sentence(
                f"{say.count_phrase(self.rec.rejected_total, 'row')} "
                f"{say.was_were(self.rec.rejected_total)} held back by the row checks for "
                f"{self.fy}; the report stays a draft until they are corrected"
            )
        )
        self.blocks.append(
            Table(
                f"Rows held back by the row checks for {self.fy}",
                ("Code", "Check", "Rows"),
                tuple(
                    TableRow((code, _rule_text(code), str(n)))
                    for code, n in self.rec.rejected_rows.items()
                ),
                numeric_from=2,
                widths=(0.8, 5.0, 0.8),
            )
        )


def _decimal(value: float):
    from decimal import Decimal

    return Decimal(str(value))


def _rule_text(code: str) -> str:
    from csc_complaints.report.reconciliation import RULE_DESCRIPTIONS

    return RULE_DESCRIPTIONS.get(code, "")


TIMESCALES = (
    ("stage1_within_10wd", "Stage 1 response", "stage1_target_wd"),
    ("stage1_within_20wd", "Stage 1 response, extended", "stage1_extended_wd"),
    ("stage2_within_25wd", "Stage 2 response", "stage2_target_wd"),
    ("stage2_within_65wd", "Stage 2 response, maximum", "stage2_extended_wd"),
    ("stage3_panel_within_30wd", "Stage 3 review panel held", "stage3_panel_wd"),
    ("stage3_panel_report_within_5wd", "Stage 3 panel's findings sent", "stage3_panel_report_wd"),
    ("stage3_director_within_15wd", "Stage 3 Director's response", "stage3_director_wd"),
)

# Each stage's maximum timescale, and how a recommendation names it.
RECOMMENDATION_MEASURES = (
    ("stage1_within_20wd", "Stage 1"),
    ("stage2_within_65wd", "Stage 2"),
    ("stage3_panel_within_30wd", "Stage 3 review panel"),
    ("stage3_panel_report_within_5wd", "Stage 3 panel findings"),
    ("stage3_director_within_15wd", "Stage 3 Director's response"),
)


def build_document(
    current: YearFigures,
    prior: YearFigures,
    settings: Settings,
    reconciliation: Reconciliation,
) -> Document:
    """The whole report for ``current``; ``prior`` is compared only when ``prior.present``."""
    title_lines = tuple(wording("title_lines").splitlines())
    fy = current.year.label
    return Document(
        title_lines=title_lines,
        council_name=settings.council_name,
        year_label=fy,
        title=f"{' '.join(title_lines)} {fy}",
        blocks=_Builder(current, prior, settings, reconciliation).build(),
    )
