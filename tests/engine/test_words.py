"""Counts and nouns with the plural a person expects."""

from __future__ import annotations

import pytest

from pacetrack.engine.words import counted, noun


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
