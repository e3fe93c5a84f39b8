"""Counts and nouns with the plural a person expects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pacetrack.engine.patterns import pattern_problem
from pacetrack.engine.words import counted, duration_words, noun, plain_number


@pytest.mark.parametrize(
    ("count", "singular", "plural", "expected"),
    [
        (0, "step", None, "0 steps"),
        (1, "step", None, "1 step"),
        (2, "approval", None, "2 approvals"),
        (1, "person", "people", "1 person"),
        (3, "person", "people", "3 people"),
    ],
)
def test_counted_chooses_the_plural_by_the_count(
    count: int, singular: str, plural: str | None, expected: str
) -> None:
    assert counted(count, singular, plural) == expected


def test_noun_is_the_word_alone() -> None:
    assert (noun(1, "instance"), noun(2, "instance")) == ("instance", "instances")


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("5000.0000000000", "5000"),
        ("0E-10", "0"),
        ("4500.50", "4500.5"),
        ("-0.0", "0"),
        ("1E+3", "1000"),
    ],
)
def test_plain_number_has_no_exponent_or_trailing_zeros(number: str, expected: str) -> None:
    assert plain_number(Decimal(number)) == expected


def test_a_bad_pattern_says_why_in_text() -> None:
    assert pattern_problem("[A-Z") == "invalid regular expression: missing ]: [A-Z"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.4, "under a second"),
        (1, "1 second"),
        (45.9, "45 seconds"),
        (90, "1 minute 30 seconds"),
        (3_600, "1 hour"),
        (2 * 3_600 + 5 * 60 + 7, "2 hours 5 minutes"),
        (3 * 86_400 + 4 * 3_600 + 59, "3 days 4 hours"),
        (86_400 + 30, "1 day"),
    ],
)
def test_a_duration_reads_in_its_two_largest_units(seconds: float, expected: str) -> None:
    assert duration_words(seconds) == expected
