"""Run-time values, the guarded operators and the conversion of stored field values.

Every operation that could allocate or loop in proportion to a number in the
expression or in a field value is bounded here, within the limits of
``limits``: decimal arithmetic runs in its context (so ``3999999 ** 3999999``
overflows at once instead of computing millions of digits), field and object
numbers outside the bounds fail the evaluation when read, text results are
capped, and day offsets are capped. Text has no repetition or ``%`` formatting
operator at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.expressions.limits import (
    MAX_DAY_OFFSET,
    MAX_EXPONENT,
    MAX_TEXT_LENGTH,
    MAX_WHOLE_DIGITS,
    NUMBERS,
    SHORT_SAFE_LOW,
    SHORT_TEXT,
    TEXT_TOO_LONG,
    bounded_number,
)
from pacetrack.engine.fields import FieldSpec, FieldType, parse_date, parse_datetime


class EvalError(Exception):
    """An evaluation failed on the data (reported as the outcome's error, never raised out)."""


class Env:
    """The inputs of one evaluation: converted field values, the moment and the calendar."""

    __slots__ = ("_today", "calendar", "now", "values")

    def __init__(self, values: dict[str, Any], now: datetime, calendar: BusinessCalendar) -> None:
        self.values = values
        self.now = now
        self.calendar = calendar
        self._today: date | None = None

    @property
    def today(self) -> date:
        if self._today is None:
            self._today = self.calendar.today(self.now)
        return self._today

    def local_date(self, value: date | datetime) -> date:
        if isinstance(value, datetime):
            return self.calendar.local_date(value)
        return value


# --- naming values in messages ---------------------------------------------------------------


def kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, tuple):
        return "list"
    return "object"


def need_number(value: object, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if value is None:
        raise EvalError(f"{what} is empty where a number is needed")
    raise EvalError(f"{what} is {kind(value)} where a number is needed")


def need_text(value: object, what: str) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        raise EvalError(f"{what} is empty where text is needed")
    raise EvalError(f"{what} is {kind(value)} where text is needed")


def need_day(value: object, what: str) -> date:
    """A date or datetime (both are ``date`` instances)."""
    if isinstance(value, date):
        return value
    if value is None:
        raise EvalError(f"{what} is empty where a date is needed")
    raise EvalError(f"{what} is {kind(value)} where a date is needed")


def need_integer(value: object, what: str, limit: int) -> int:
    number = need_number(value, what)
    if number.copy_abs() > limit or number != number.to_integral_value(context=NUMBERS):
        raise EvalError(f"{what} must be a whole number between -{limit} and {limit}")
    return int(number)


def truth(value: object, what: str) -> bool:
    """Conditions take true/false; an empty (null) condition counts as false."""
    if value is True:
        return True
    if value is False or value is None:
        return False
    raise EvalError(f"{what} is {kind(value)} where true or false is needed")


def capped_text(text: str, source: str = "") -> str:
    """``text`` when it is within the cap or no longer than the ``source`` it was made from."""
    if len(text) > MAX_TEXT_LENGTH and len(text) > len(source):
        raise EvalError(TEXT_TOO_LONG)
    return text


def is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, tuple | list | Mapping):
        return len(value) == 0
    return False


# --- arithmetic ------------------------------------------------------------------------------


def shift_days(day: date, days: Decimal) -> date:
    if days.copy_abs() > MAX_DAY_OFFSET:
        raise EvalError(f"day offsets are limited to {MAX_DAY_OFFSET}")
    try:
        if isinstance(day, datetime):
            return day + timedelta(days=float(days))
        if days != days.to_integral_value(context=NUMBERS):
            raise EvalError("only whole days can be added to a date")
        return day + timedelta(days=int(days))
    except OverflowError as exc:
        raise EvalError("date out of range") from exc


def day_span(left: date, right: date) -> Decimal:
    """``left - right`` in days: whole days for dates, fractional for datetimes."""
    if isinstance(left, datetime) != isinstance(right, datetime):
        raise EvalError("cannot subtract a date and a datetime; use days_between")
    delta = left - right
    if isinstance(left, datetime):
        fraction = NUMBERS.divide(Decimal(delta.microseconds), Decimal(10**6))
        seconds = NUMBERS.add(Decimal(delta.days * 86_400 + delta.seconds), fraction)
        return NUMBERS.divide(seconds, Decimal(86_400))
    return Decimal(delta.days)


def _no_empty(operator: str, left: object, right: object) -> None:
    if left is None:
        raise EvalError(f"left of {operator} is empty where a value is needed")
    if right is None:
        raise EvalError(f"right of {operator} is empty where a value is needed")


def add(left: object, right: object) -> object:
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        return NUMBERS.add(left, right)
    if isinstance(left, str) and isinstance(right, str):
        if len(left) + len(right) > MAX_TEXT_LENGTH:
            raise EvalError(TEXT_TOO_LONG)
        return left + right
    if isinstance(left, date) and isinstance(right, Decimal):
        return shift_days(left, right)
    if isinstance(left, Decimal) and isinstance(right, date):
        return shift_days(right, left)
    _no_empty("+", left, right)
    raise EvalError(f"cannot add {kind(left)} and {kind(right)}")


def subtract(left: object, right: object) -> object:
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        return NUMBERS.subtract(left, right)
    if isinstance(left, date) and isinstance(right, Decimal):
        return shift_days(left, NUMBERS.minus(right))
    if isinstance(left, date) and isinstance(right, date):
        return day_span(left, right)
    _no_empty("-", left, right)
    raise EvalError(f"cannot subtract {kind(right)} from {kind(left)}")


def negate(value: object) -> Decimal:
    return NUMBERS.minus(need_number(value, "operand of -"))


def multiply(left: object, right: object) -> Decimal:
    return NUMBERS.multiply(need_number(left, "left of *"), need_number(right, "right of *"))


def divide(left: object, right: object) -> Decimal:
    divisor = need_number(right, "right of /")
    if not divisor:
        raise EvalError("division by zero")
    return NUMBERS.divide(need_number(left, "left of /"), divisor)


def remainder(left: object, right: object) -> Decimal:
    divisor = need_number(right, "right of %")
    if not divisor:
        raise EvalError("division by zero")
    try:
        return NUMBERS.remainder(need_number(left, "left of %"), divisor)
    except InvalidOperation as exc:
        # The whole quotient must fit the precision, as in every other operation.
        raise EvalError(f"the quotient of % would have more than {NUMBERS.prec} digits") from exc


def power(base: object, exponent: object) -> Decimal:
    exp = need_number(exponent, "exponent")
    if exp.copy_abs() > MAX_EXPONENT:
        raise EvalError(f"exponents are limited to ±{MAX_EXPONENT}")
    number = need_number(base, "base of **")
    if not number and exp < 0:
        raise EvalError("division by zero")
    try:
        return NUMBERS.power(number, exp)
    except InvalidOperation as exc:
        if not number:
            raise EvalError("0 ** 0 is undefined") from exc
        raise EvalError("a negative number has no fractional power") from exc


ARITHMETIC: Final[dict[str, Callable[[object, object], object]]] = {
    "+": add,
    "-": subtract,
    "*": multiply,
    "/": divide,
    "%": remainder,
}


def _comparable(left: object, right: object) -> bool:
    if isinstance(left, Decimal):
        return isinstance(right, Decimal)
    if isinstance(left, str):
        return isinstance(right, str)
    if isinstance(left, datetime):
        return isinstance(right, datetime)
    if isinstance(left, date):
        return isinstance(right, date) and not isinstance(right, datetime)
    if isinstance(left, bool):
        return isinstance(right, bool)
    return False


def equal(left: object, right: object) -> bool:
    """Null equals only null; values of different kinds are unequal."""
    if left is None or right is None:
        return left is right
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if _comparable(left, right) or type(left) is type(right):
        return bool(left == right)
    return False


def ordered(operator: str, left: object, right: object) -> bool:
    if left is None or right is None:
        raise EvalError(f"cannot order an empty value with {operator}")
    if isinstance(left, bool) or not _comparable(left, right):
        raise EvalError(f"cannot compare {kind(left)} with {kind(right)} using {operator}")
    a: Any = left
    b: Any = right
    if operator == "<":
        return bool(a < b)
    if operator == "<=":
        return bool(a <= b)
    if operator == ">":
        return bool(a > b)
    return bool(a >= b)


# --- stored values to run-time values --------------------------------------------------------


def from_json(value: object, what: str = "the object") -> object:
    """A value inside an object field: JSON numbers become Decimal, arrays become tuples."""
    if isinstance(value, bool) or value is None or isinstance(value, str | Mapping):
        return value
    if isinstance(value, int | float):
        number, problem = bounded_number(value)
        if problem is not None:
            raise EvalError(f"{what} holds a number that {problem}")
        if number is None:
            raise EvalError(f"{what} holds a number that is not finite")
        return number
    if isinstance(value, list | tuple):
        return tuple(from_json(item, what) for item in value)
    raise EvalError(f"{what} holds an unsupported value")


def _number(name: str) -> Callable[[object], object]:
    longest, low, high = SHORT_TEXT, SHORT_SAFE_LOW, MAX_WHOLE_DIGITS

    def convert(raw: object) -> object:
        if raw is None or raw == "":
            return None
        # The hot path: canonical values are short plain decimal strings.
        if type(raw) is str and len(raw) <= longest:
            try:
                short = Decimal(raw)
            except InvalidOperation:
                pass
            else:
                if short.is_finite() and low <= short.adjusted() < high:
                    return short
        number, problem = bounded_number(raw)
        if problem is not None:
            raise EvalError(f"field `{name}` holds a number that {problem}")
        if number is None:
            raise EvalError(f"field `{name}` does not hold a number")
        return number

    return convert


def _date(name: str) -> Callable[[object], object]:
    def convert(raw: object) -> object:
        if raw is None or raw == "":
            return None
        day = parse_date(raw)
        if day is None:
            raise EvalError(f"field `{name}` does not hold a date")
        return day

    return convert


def _datetime(name: str) -> Callable[[object], object]:
    def convert(raw: object) -> object:
        if raw is None or raw == "":
            return None
        moment = parse_datetime(raw)
        if moment is None:
            raise EvalError(f"field `{name}` does not hold a date and time with a zone")
        return moment

    return convert


def _boolean(name: str) -> Callable[[object], object]:
    def convert(raw: object) -> object:
        if raw is None or isinstance(raw, bool):
            return raw
        raise EvalError(f"field `{name}` does not hold true or false")

    return convert


def _list(name: str) -> Callable[[object], object]:
    def convert(raw: object) -> object:
        if raw is None:
            return None
        if isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
            return tuple(raw)
        raise EvalError(f"field `{name}` does not hold a list of options")

    return convert


def _object(name: str) -> Callable[[object], object]:
    def convert(raw: object) -> object:
        if raw is None or isinstance(raw, Mapping):
            return raw
        raise EvalError(f"field `{name}` does not hold an object")

    return convert


def _text(name: str) -> Callable[[object], object]:
    def convert(raw: object) -> object:
        if raw is None or isinstance(raw, str):
            return raw
        raise EvalError(f"field `{name}` does not hold text")

    return convert


_CONVERTERS: Final = {
    FieldType.NUMBER: _number,
    FieldType.CURRENCY: _number,
    FieldType.PERCENTAGE: _number,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.BOOLEAN: _boolean,
    FieldType.MULTISELECT: _list,
    FieldType.OBJECT: _object,
}


def converter(spec: FieldSpec) -> Callable[[object], object]:
    """Turns a field's canonical JSON value into its run-time value."""
    return _CONVERTERS.get(spec.field_type, _text)(spec.name)


def now_utc(now: datetime) -> datetime:
    return now.astimezone(UTC) if now.tzinfo is not None else now.replace(tzinfo=UTC)
