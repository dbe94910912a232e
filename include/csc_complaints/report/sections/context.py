"""What every section reads: the year's figures, last year's, the settings and the reconciliation.

Also the few things several sections do the same way: last year's value of a figure, a
year-on-year sentence, and a bar chart of this year against last year with its text alternative.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from csc_complaints.report import sentences as say
from csc_complaints.report.document import Block, Chart
from csc_complaints.report.figures import TeamCount, YearFigures
from csc_complaints.report.reconciliation import Reconciliation
from csc_complaints.report.wording import wording
from csc_complaints.settings import Settings

Key = TypeVar("Key")


@dataclass(frozen=True)
class ReportContext:
    current: YearFigures
    prior: YearFigures | None  # None when the warehouse holds no figures for last year
    settings: Settings
    reconciliation: Reconciliation
    # Up to five years ending with this one, oldest first (the five-year trends); empty: this
    # year alone.
    history: tuple[YearFigures, ...] = ()
    as_at: date | None = None  # the last successful extract's date: what as-at figures stand at

    @property
    def year_label(self) -> str:
        return self.current.year.label

    @property
    def prior_label(self) -> str:
        return self.current.year.prior.label

    @property
    def thresholds(self) -> say.Thresholds:
        return say.Thresholds(
            self.settings.significant_change_percent, self.settings.significant_change_minimum
        )

    def prior_figure(self, read: Callable[[YearFigures], int]) -> int | None:
        """Last year's figure, as ``read`` finds it; None when there is no prior year."""
        return None if self.prior is None else read(self.prior)

    def compared(self, clause: str, value: int, read: Callable[[YearFigures], int]) -> str:
        """``clause`` as a sentence, with ``value`` compared with last year's figure."""
        return say.with_change(
            clause, value, self.prior_figure(read), self.prior_label, self.thresholds
        )

    def council_received(self, measure: str, singular: str) -> str:
        """The year's total of headline ``measure``: ``The Council received 57 complaints ...``."""
        return say.council_received(
            self.current.headline(measure),
            singular,
            None,
            self.year_label,
            self.prior_figure(lambda year: year.headline(measure)),
            self.prior_label,
            self.thresholds,
        )

    def prior_values(self, read: Callable[[YearFigures, Key], int], keys: list[Key]) -> list[int]:
        """Last year's figure for each key (a measure, a team ...); zeros with no prior year."""
        return [0 if self.prior is None else read(self.prior, key) for key in keys]

    def bar_chart(
        self,
        title: str,
        categories: list[str],
        values: list[int],
        prior_values: list[int],
        axes: tuple[str, str] = ("", ""),
    ) -> list[Block]:
        """A chart of this year's ``values`` against last year's, ``axes`` its category and
        value axes' titles; no chart with no categories."""
        if not categories:
            return []
        series = [(self.year_label, tuple(values))]
        if self.prior is not None:
            series.append((self.prior_label, tuple(prior_values)))
        alt = wording("document").text(
            "chart_alt",
            title,
            list(zip(categories, values, prior_values, strict=True)),
            self.year_label,
            self.prior_label if self.prior is not None else None,
        )
        category_title, value_title = axes
        return [
            Chart(
                title,
                tuple(categories),
                tuple(series),
                alt,
                category_title=category_title,
                value_title=value_title,
            )
        ]

    def by_area(self, teams: list[TeamCount]) -> dict[str, list[TeamCount]]:
        """Teams grouped under their service areas, both in the council's order (the settings
        ``service_area_order`` and ``team_order``; names not listed follow, alphabetically)."""
        grouped: dict[str, list[TeamCount]] = defaultdict(list)
        for team in sorted(teams, key=lambda t: self.settings.order_key(t.service_area, t.team)):
            grouped[team.service_area].append(team)
        return dict(grouped)
