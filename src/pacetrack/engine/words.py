"""Words for people: counts with the right plural, lists joined as a sentence."""

from __future__ import annotations

from decimal import Decimal


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``counted(1, "step")`` is "1 step", ``counted(3, "step")`` "3 steps"."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """The noun alone, singular or plural for ``count``: "step" or "steps"."""
    return singular if count == 1 else plural or singular + "s"


def plain_number(number: Decimal) -> str:
    """A decimal as people read it, without exponent or trailing zeros: a limit stored as
    ``5000.0000000000`` reads "5000", ``4500.50`` reads "4500.5"."""
    if not number.is_finite():
        return str(number)
    text = format(number.normalize(), "f")
    return "0" if text in {"-0", "-0.0"} else text
