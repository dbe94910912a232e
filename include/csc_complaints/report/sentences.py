"""The report's house style (docs/report.md, "Sentences"): grammar helpers and shared patterns.

* Numbers below ten in words (``seven compliments``, ``zero comments``), 10 and above in digits.
* A sentence never starts with a digit: a count that opens one is written in words (``Ten ...``).
* Year on year: ``an increase from four in 2018/19``, ``a decrease from 67 complaints during
  2018/19``, ``the same number as in 2018/19``; ``a significant increase/decrease`` when the
  change is at least ``significant_change_percent`` of last year's figure AND at least
  ``significant_change_minimum`` items. No prior year in the warehouse: no comparison.
* Percentages to one decimal place, rounding half up (17 of 51 = 33.3%), carried as ``Decimal``
  until a template prints them.

The grammar (numbers in words, plurals, finishing a sentence) is Python; the patterns' words are
in ``include/templates/house_style.j2``, and these functions pass them the figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from csc_complaints.report.wording import wording

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINALS = [
    "_",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]


def number_words(n: int) -> str:
    """Any non-negative integer in British English words: 57 -> ``fifty-seven``."""
    if n < 0:
        raise ValueError(f"{n} is negative: counts in the report are never negative")
    if n < 20:
        return _UNITS[n]
    if n < 100:
        tens, units = divmod(n, 10)
        return _TENS[tens] + (f"-{_UNITS[units]}" if units else "")
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "")):
        if n >= size:
            head, rest = divmod(n, size)
            words = f"{number_words(head)} {name or 'hundred'}"
            if rest:
                words += (" and " if rest < 100 else " ") + number_words(rest)
            return words
    raise AssertionError(n)  # unreachable


def count_text(n: int) -> str:
    """House style inside a sentence: words below ten, digits from ten."""
    return number_words(n) if 0 <= n < 10 else str(n)


def ordinal_words(n: int) -> str:
    """1 -> ``first``, 2 -> ``second`` ...; past twentieth, ``21st`` and so on."""
    if 0 < n < len(_ORDINALS):
        return _ORDINALS[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    return singular if n == 1 else (plural_form or singular + "s")


def count_phrase(n: int, singular: str, plural_form: str | None = None) -> str:
    """``one complaint``, ``seven compliments``, ``57 complaints``, ``zero comments``."""
    return f"{count_text(n)} {plural(n, singular, plural_form)}"


def opening_count(n: int, singular: str, plural_form: str | None = None) -> str:
    """A count that opens a sentence, in words at any size: ``fifty-seven complaints``."""
    return f"{number_words(n)} {plural(n, singular, plural_form)}"


def was_were(n: int) -> str:
    return "was" if n == 1 else "were"


_LEADING_NUMBER = re.compile(r"^(\d+)(?=[\s,])")


def sentence(text: str) -> str:
    """Finish a sentence: a capital letter, a full stop, and a leading number in words.

    The templates write an opening count in words themselves (``opening_count``); a whole
    number left in digits at the start (a name such as ``24 Hour Team``) is said in words
    here. A leading percentage or any other digit that cannot be said as a whole number is a
    wording error in the caller, so it fails loudly rather than printing ``33.3% of ...``.
    """
    text = text.strip()
    match = _LEADING_NUMBER.match(text)
    if match:
        text = number_words(int(match.group(1))) + text[match.end() :]
    if text[:1].isdigit():
        raise ValueError(f"a sentence may not start with a digit: {text!r}")
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def lower_first(label: str) -> str:
    """A label inside a sentence: ``Communication`` -> ``communication``, ``LGSCO`` stays."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def percent_value(within: int, responses: int) -> Decimal:
    """``within`` of ``responses`` as a percentage to one decimal place, half up."""
    if responses <= 0:
        raise ValueError("a percentage of zero responses is undefined")
    exact = Decimal(within) * 100 / Decimal(responses)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent_text(value: Decimal) -> str:
    """A percentage as printed: ``33.3%``."""
    return f"{value}%"


def percent(within: int, responses: int) -> str:
    """``33.3%`` (17 of 51), ``66.7%`` (2 of 3), ``0.0%``, ``100.0%``."""
    return percent_text(percent_value(within, responses))


@dataclass(frozen=True)
class Thresholds:
    """When a year-on-year change is called significant (both must be met)."""

    percent: float
    minimum: int

    def significant(self, current: int, prior: int) -> bool:
        change = abs(current - prior)
        if change == 0 or change < self.minimum:
            return False
        return prior == 0 or change * 100 >= self.percent * prior


# --- the shared patterns (include/templates/house_style.j2) ----------------------------------


def _style(macro: str, *args) -> str:
    return wording("house_style").text(macro, *args)


def change_phrase(
    current: int,
    prior: int,
    prior_label: str,
    thresholds: Thresholds,
    noun: tuple[str, str] | None = None,
    during: bool = False,
) -> str:
    """The comparison after the comma: ``a decrease from 67 complaints during 2018/19``.

    ``noun`` (singular, plural) repeats the thing counted after last year's figure and
    ``during`` says ``during`` instead of ``in``, the seed's wording for the year's totals.
    """
    significant = thresholds.significant(current, prior)
    return _style("change", current, prior, prior_label, significant, noun, during)


def with_change(
    clause: str, current: int, prior: int | None, prior_label: str, thresholds: Thresholds, **kw
) -> str:
    """``clause`` plus its comparison, or the clause alone when there is no prior year."""
    if prior is None:
        return sentence(clause)
    return sentence(f"{clause}, {change_phrase(current, prior, prior_label, thresholds, **kw)}")


def council_received(
    n: int,
    singular: str,
    plural_form: str | None,
    year_label: str,
    prior: int | None,
    prior_label: str,
    thresholds: Thresholds,
) -> str:
    """A yearly total: ``The Council received 57 complaints during 2019/20, a decrease ...``.

    Zero is said as ``did not receive any``: ``The Council did not receive any comments during
    2019/20, as was the case in 2018/19.``
    """
    noun = (singular, plural(2, singular, plural_form))
    clause = _style("council_received", n, *noun, year_label)
    return with_change(clause, n, prior, prior_label, thresholds, noun=noun, during=True)


def team_received(
    team: str,
    n: int,
    singular: str,
    prior: int | None,
    prior_label: str,
    thresholds: Thresholds,
) -> str:
    """``First Response Team received eight complaints, an increase from four in 2018/19.``"""
    clause = _style("team_received", team, n, singular)
    return with_change(clause, n, prior, prior_label, thresholds)


def stage_escalated(
    stage: int,
    n: int,
    year_label: str,
    prior: int | None,
    prior_label: str,
    thresholds: Thresholds,
) -> str:
    """``Ten complaints were escalated to Stage 2 during 2019/20, a decrease from 16 ...``."""
    clause = _style("stage_escalated", stage, n, year_label)
    return with_change(clause, n, prior, prior_label, thresholds)


def issue_sentences(
    issues: list[tuple[str, int, int | None]],
    prior_label: str,
    thresholds: Thresholds,
    phrases: dict[str, str] | None = None,
) -> list[str]:
    """Issues ranked by complaints, ties said as ties: one paragraph per issue (per tie).

    ``issues``: (label, this year's complaints, last year's or None). ``phrases``: how a label
    reads inside a sentence, where it is not the label with a small first letter (the setting
    ``issue_phrases``: ``the outcome of a decision/assessment``). Issues with no complaints
    this year but some last year get a closing paragraph each.
    """
    phrases = phrases or {}

    def said(label: str) -> str:
        return phrases.get(label) or lower_first(label)

    current = [i for i in issues if i[1] > 0]
    groups: list[list[tuple[str, int, int | None]]] = []
    for issue in sorted(current, key=lambda i: (-i[1], i[0].lower())):
        if groups and groups[-1][0][1] == issue[1]:
            groups[-1].append(issue)
        else:
            groups.append([issue])
    out: list[str] = []
    for position, group in enumerate(groups):
        if len(group) == 1:
            label, n, prior = group[0]
            lead = (
                _style("only_issue", said(label))
                if len(groups) == 1
                else _style("ranked_issue", said(label), position, len(groups))
            )
            received = with_change(_style("issue_received", n), n, prior, prior_label, thresholds)
            out.append(f"{sentence(lead)} {received}")
            continue
        labels = [said(label) for label, _, _ in group]
        paragraph = [sentence(_style("tied_issues", labels, group[0][1], position, len(groups)))]
        for label, n, prior in group:
            if prior is not None:
                clause = _style("tied_issue_received", said(label), n)
                paragraph.append(with_change(clause, n, prior, prior_label, thresholds))
        out.append(" ".join(paragraph))
    return out + [
        with_change(_style("issue_gone", said(label)), 0, prior, prior_label, thresholds)
        for label, n, prior in sorted(issues, key=lambda i: i[0].lower())
        if n == 0 and prior
    ]


def percent_change(current: Decimal, prior: Decimal | None, prior_label: str) -> str:
    """``, an increase in performance from 62.7% in 2018/19`` or ``""`` with no prior figure."""
    if prior is None:
        return ""
    return ", " + _style("percent_change", current, prior, prior_label)
