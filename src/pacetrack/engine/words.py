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


def duration_words(seconds: float) -> str:
    """A span of time as people say it, to its two largest units: "under a second",
    "45 seconds", "1 minute 30 seconds", "2 hours 5 minutes", "3 days 4 hours"."""
    whole = int(seconds)
    if whole < 1:
        return "under a second"
    units = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))
    parts: list[str] = []
    for name, size in units:
        amount, whole = divmod(whole, size)
        if amount or parts:
            parts.append(counted(amount, name))
        if len(parts) == 2:
            break
    return " ".join(part for part in parts if not part.startswith("0 "))
