"""Counts and nouns with the plural a person expects."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pacetrack.engine.patterns import pattern_problem
from pacetrack.engine.words import counted, noun, plain_number


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
