"""The house-style sentence rules of docs/report.md, one rule at a time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from csc_complaints.report import sentences as say

TH = say.Thresholds(percent=60, minimum=5)
FY, PFY = "2019/20", "2018/19"


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "zero"), (1, "one"), (7, "seven"), (9, "nine"), (10, "10"), (57, "57"), (1234, "1234")],
)
def test_numbers_below_ten_in_words_from_ten_in_digits(n, text):
    assert say.count_text(n) == text


def test_counted_nouns_agree_with_their_number():
    assert say.count_phrase(1, "complaint") == "one complaint"
    assert say.count_phrase(0, "comment") == "zero comments"
    assert say.count_phrase(7, "compliment") == "seven compliments"
    assert say.count_phrase(2, "response", "responses") == "two responses"


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (10, "ten"),
        (21, "twenty-one"),
        (57, "fifty-seven"),
        (100, "one hundred"),
        (105, "one hundred and five"),
        (1234, "one thousand two hundred and thirty-four"),
        (2000000, "two million"),
    ],
)
def test_number_words(n, words):
    assert say.number_words(n) == words


def test_no_sentence_starts_with_a_digit():
    assert say.sentence("10 complaints were escalated") == "Ten complaints were escalated."
    assert say.sentence("57 were sent, as before") == "Fifty-seven were sent, as before."
    assert say.stage_escalated(2, 10, FY, 16, PFY, TH).startswith("Ten complaints were")
    assert say.stage_escalated(3, 3, FY, 4, PFY, TH) == (
        "Three complaints were escalated to Stage 3 during 2019/20, a decrease from four in "
        "2018/19."
    )
    assert say.team_received("0-25 Team", 2, "complaint", None, PFY, TH).startswith(
        "The 0-25 Team team received"
    )
    with pytest.raises(ValueError, match="may not start with a digit"):
        say.sentence("33.3% of responses were on time")


def test_increase_decrease_and_same():
    assert say.team_received("First Response Team", 8, "complaint", 4, PFY, TH) == (
        "First Response Team received eight complaints, an increase from four in 2018/19."
    )
    assert say.team_received("Safeguarding Team D", 12, "complaint", 14, PFY, TH) == (
        "Safeguarding Team D received 12 complaints, a decrease from 14 in 2018/19."
    )
    assert say.team_received("Safeguarding Team B", 9, "complaint", 9, PFY, TH) == (
        "Safeguarding Team B received nine complaints, the same number as in 2018/19."
    )
    assert say.council_received(57, "complaint", None, FY, 67, PFY, TH) == (
        "The Council received 57 complaints during 2019/20, a decrease from 67 complaints "
        "during 2018/19."
    )


@pytest.mark.parametrize(
    ("current", "prior", "significant"),
    [
        (2, 7, True),  # -5, 71%: both thresholds met
        (7, 19, True),  # -12, 63%
        (10, 21, False),  # -11 items but only 52%
        (2, 1, False),  # +100% but one item: "two against one is not significant"
        (8, 4, False),  # +100% but four items
        (5, 0, True),  # from nothing, five items
        (4, 0, False),  # from nothing, four items
        (9, 9, False),
    ],
)
def test_significant_needs_both_the_percentage_and_the_minimum(current, prior, significant):
    assert TH.significant(current, prior) is significant
    phrase = say.change_phrase(current, prior, PFY, TH)
    assert ("significant" in phrase) is significant


def test_significant_wording():
    assert say.team_received("Life Stages 0 - 25", 2, "complaint", 7, PFY, TH) == (
        "Life Stages 0 - 25 received two complaints, a significant decrease from seven in 2018/19."
    )
    assert say.change_phrase(12, 2, PFY, TH) == "a significant increase from two in 2018/19"


def test_no_prior_year_means_no_comparison():
    assert say.council_received(57, "complaint", None, FY, None, PFY, TH) == (
        "The Council received 57 complaints during 2019/20."
    )
    assert say.team_received("Fostering", 1, "complaint", None, PFY, TH) == (
        "Fostering received one complaint."
    )
    assert say.percent_change(Decimal("33.3"), None, PFY) == ""


def test_zero_is_said_as_not_receiving_any():
    assert say.council_received(0, "comment", None, FY, 0, PFY, TH) == (
        "The Council did not receive any comments during 2019/20, as was the case in 2018/19."
    )
    assert say.council_received(0, "comment", None, FY, 3, PFY, TH) == (
        "The Council did not receive any comments during 2019/20, a decrease from three "
        "comments during 2018/19."
    )
    assert say.council_received(0, "comment", None, FY, None, PFY, TH) == (
        "The Council did not receive any comments during 2019/20."
    )
    assert say.stage_escalated(3, 0, FY, 0, PFY, TH) == (
        "No complaints were escalated to Stage 3 during 2019/20, as was the case in 2018/19."
    )


def test_issues_ranked_most_second_least_one_paragraph_each():
    """As the seed: one paragraph per issue, its rank and then its count."""
    text = say.issue_sentences(
        [("Communication", 12, 15), ("Staff attitude/behaviour", 23, 18), ("Other", 1, None)],
        PFY,
        TH,
    )
    assert text == [
        "Staff attitude/behaviour was the most commonly complained about issue. The Council "
        "received 23 complaints about this issue, an increase from 18 in 2018/19.",
        "The second most complained about issue was communication. The Council received 12 "
        "complaints about this issue, a decrease from 15 in 2018/19.",
        "The least complained about issue was other. The Council received one complaint about "
        "this issue.",
    ]


def test_an_issue_reads_as_its_phrase_says():
    """The setting issue_phrases keeps the seed's "the" where it has one."""
    phrases = {
        "Outcome of a decision/assessment": "the outcome of a decision/assessment",
        "Provision of information": "the provision of information",
    }
    text = say.issue_sentences(
        [
            ("Communication", 12, 15),
            ("Outcome of a decision/assessment", 7, 9),
            ("Provision of information", 1, 4),
            ("Breach of confidentiality", 4, 0),
        ],
        PFY,
        TH,
        phrases,
    )
    assert text[1] == (
        "The second most complained about issue was the outcome of a decision/assessment. The "
        "Council received seven complaints about this issue, a decrease from nine in 2018/19."
    )
    assert text[2].startswith("The third most complained about issue was breach of ")
    assert text[3].startswith("The least complained about issue was the provision of information.")
    # A phrase that opens a sentence gets its capital letter.
    (only,) = say.issue_sentences([("Outcome of a decision/assessment", 2, None)], PFY, TH, phrases)
    assert only.startswith("The outcome of a decision/assessment was the only issue complained")


def test_ties_are_said_as_ties():
    text = say.issue_sentences(
        [
            ("Staff attitude/behaviour", 23, 18),
            ("Communication", 12, 15),
            ("Service/provision", 12, 21),
            ("Provision of information", 1, 4),
            ("Breach of confidentiality", 1, 0),
        ],
        PFY,
        TH,
    )
    assert (
        "The joint second most complained about issues were communication and "
        "service/provision, with 12 complaints about each. Complaints about communication "
        "numbered 12, a decrease from 15 in 2018/19. Complaints about service/provision "
        "numbered 12, a decrease from 21 in 2018/19." in text
    )
    assert any(
        t.startswith(
            "The joint least complained about issues were breach of confidentiality and "
            "provision of information, with one complaint about each."
        )
        for t in text
    )
    assert not any("third" in t for t in text)


def test_a_tie_at_the_top():
    text = say.issue_sentences([("Housing", 3, None), ("Charging", 3, None)], PFY, TH)
    assert text == [
        "The joint most commonly complained about issues were charging and housing, with three "
        "complaints about each."
    ]


def test_an_issue_with_none_this_year_but_some_last_year_is_said():
    text = say.issue_sentences([("Communication", 2, 1), ("Charging", 0, 6)], PFY, TH)
    assert text[-1] == (
        "The Council did not receive any complaints about charging, a significant decrease "
        "from six in 2018/19."
    )


@pytest.mark.parametrize(
    ("within", "responses", "text"),
    [
        (17, 51, "33.3%"),
        (22, 51, "43.1%"),
        (39, 51, "76.5%"),
        (2, 3, "66.7%"),
        (1, 10, "10.0%"),
        (0, 10, "0.0%"),
        (3, 3, "100.0%"),
        (1, 16, "6.3%"),  # 6.25: half up, not to even
        (1, 8, "12.5%"),
    ],
)
def test_percentages_one_decimal_half_up(within, responses, text):
    assert say.percent(within, responses) == text


def test_performance_comparisons():
    assert say.percent_change(Decimal("33.3"), Decimal("47.5"), PFY) == (
        ", a decrease in performance from 47.5% in 2018/19"
    )
    assert say.percent_change(Decimal("76.5"), Decimal("62.7"), PFY) == (
        ", an increase in performance from 62.7% in 2018/19"
    )
    assert (
        say.percent_change(Decimal("0.0"), Decimal("0.0"), PFY) == ", the same as in 2018/19 (0.0%)"
    )
