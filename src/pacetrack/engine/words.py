"""Words for people: counts with the right plural, lists joined as a sentence."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``counted(1, "step")`` is "1 step", ``counted(3, "step")`` "3 steps"."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """The noun alone, singular or plural for ``count``: "step" or "steps"."""
    return singular if count == 1 else plural or singular + "s"
