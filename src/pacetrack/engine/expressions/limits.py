"""The bounds of run-time values, and reading stored numbers without unbounded work.

Expressions are written by tenant admins and run on field values that may be
anything normalization once let through (``1e999999999`` is eleven characters),
so every value an evaluation sees or gives stays inside fixed bounds:

- numbers: arithmetic runs in ``NUMBERS`` (34 significant digits, adjusted
  exponents within ±99), whose overflow trap fails the evaluation at once
  instead of computing millions of digits. A number read from a field, an
  object or a result must have fewer than ``MAX_WHOLE_DIGITS`` digits before
  the point and at most ``MAX_DECIMAL_PLACES`` after it, so its plain text
  (``format(n, "f")``, which spells out every zero of ``1e999999``) stays
  short wherever it is shown or stored;
- texts: what an expression builds (joining, changing case) is at most
  ``MAX_TEXT_LENGTH`` characters, or no longer than the field text it came
  from; nothing repeats, pads or formats text;
- lists come only from field values: no operation builds one.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Final

from pacetrack.engine.fields import parse_decimal
from pacetrack.engine.words import plain_number

NUMBERS: Final = Context(
    prec=34,
    rounding=ROUND_HALF_UP,
    Emax=99,
    Emin=-99,
    traps=[DivisionByZero, InvalidOperation, Overflow],
)

MAX_WHOLE_DIGITS: Final = NUMBERS.Emax + 1
"""Digits before the decimal point: the context's largest adjusted exponent is 99."""
MAX_DECIMAL_PLACES: Final = -NUMBERS.Etiny()
"""Places after the point of the smallest number the context keeps (1E-132)."""
MAX_TEXT_LENGTH: Final = 10_000
MAX_EXPONENT: Final = 1_000
MAX_ROUND_PLACES: Final = 20
MAX_DAY_OFFSET: Final = 1_000_000

TOO_LARGE: Final = f"the result has more than {MAX_WHOLE_DIGITS} digits"
TEXT_TOO_LONG: Final = f"the text would be longer than {MAX_TEXT_LENGTH:,} characters"

_INT_LIMIT: Final = 10**MAX_WHOLE_DIGITS
# Text up to SHORT_TEXT characters is parsed directly. Its number has at most that many
# digits, so with an adjusted exponent from SHORT_SAFE_LOW to below MAX_WHOLE_DIGITS it
# is within the bounds without looking at its digits.
SHORT_TEXT: Final = MAX_WHOLE_DIGITS
SHORT_SAFE_LOW: Final = SHORT_TEXT - 1 - MAX_DECIMAL_PLACES


def number_problem(number: Decimal) -> str | None:
    """Why ``number`` lies outside the bounds (words after "the number"), or None."""
    if not number.is_finite():
        return "is not a finite number"
    # A zero's plain text is "0" whatever its exponent, so only its places matter.
    if number and number.adjusted() >= MAX_WHOLE_DIGITS:
        return f"has more than {MAX_WHOLE_DIGITS} digits"
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        return f"has more than {MAX_DECIMAL_PLACES} decimal places"
    return None


def stored_number(raw: object) -> Decimal | None:
    """A finite Decimal from a stored value, or None when it holds no number.

    Text is parsed only when it is short: longer text goes to ``parse_decimal``,
    which refuses it. Whether the number is within the bounds is
    ``number_problem``'s question.
    """
    if type(raw) is str and len(raw) <= SHORT_TEXT:
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return parse_decimal(raw)
        return number if number.is_finite() else None
    return parse_decimal(raw)


def bounded_number(raw: object) -> tuple[Decimal | None, str | None]:
    """The number a stored value holds (None: none), or why it is outside the bounds."""
    if type(raw) is int and not -_INT_LIMIT < raw < _INT_LIMIT:
        # Converting a huge integer to Decimal takes time quadratic in its digits.
        return None, f"has more than {MAX_WHOLE_DIGITS} digits"
    number = stored_number(raw)
    if number is None:
        return None, None
    problem = number_problem(number)
    return (None, problem) if problem is not None else (number, None)


def shown_number(number: Decimal) -> str:
    """``number`` as people read it: plain within the bounds and without trailing zeros
    (a limit stored as ``5000.0000000000`` reads 5000), else short scientific text."""
    if number_problem(number) is None:
        return plain_number(number)
    return str(number)
