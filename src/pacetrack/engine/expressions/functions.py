"""The named functions: static signatures for save-time checks and their run-time bodies.

Only the names in ``FUNCTIONS`` (plus ``if`` and ``coalesce``, which the
compiler evaluates lazily) can be called; there are no builtins and no way to
reach a Python object. Null rules: the aggregates (``sum``, ``average``,
``min``, ``max``) skip empty values; ``len`` of an empty value is 0; ``lower``,
``upper`` and ``trim`` keep it empty; ``contains``, ``starts_with``,
``ends_with`` and ``matches`` are false on it; every other function fails the
evaluation when an argument it needs is empty.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Final

from pacetrack.engine.calendar import CalendarError
from pacetrack.engine.expressions.limits import MAX_DAY_OFFSET, MAX_ROUND_PLACES, NUMBERS
from pacetrack.engine.expressions.runtime import (
    Env,
    EvalError,
    capped_text,
    is_empty,
    kind,
    need_day,
    need_integer,
    need_number,
    need_text,
)
from pacetrack.engine.expressions.types import ValueType
from pacetrack.engine.fields import parse_date, parse_datetime
from pacetrack.engine.patterns import PatternError, compile_pattern

T = ValueType
NUM: Final = frozenset({T.NUMBER})
TEXT: Final = frozenset({T.TEXT})
DAY: Final = frozenset({T.DATE, T.DATETIME})
ANY: Final = frozenset(T)
SEARCHABLE: Final = frozenset({T.TEXT, T.LIST})
ORDERABLE: Final = frozenset({T.NUMBER, T.DATE, T.DATETIME})

Args = Sequence[object]


class SignatureError(Exception):
    """A call's arguments do not fit; ``index`` is the argument at fault (None: the call)."""

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass(frozen=True, kw_only=True)
class Function:
    params: tuple[frozenset[ValueType], ...] = ()
    optional: int = 0
    rest: frozenset[ValueType] | None = None
    result: ValueType | Callable[[list[ValueType]], ValueType]
    run: Callable[[Env, Args], object]
    summary: str = ""

    def check(self, name: str, types: list[ValueType]) -> ValueType:
        """The result type for these argument types; raises SignatureError."""
        low = len(self.params) - self.optional
        high = None if self.rest is not None else len(self.params)
        if len(types) < max(low, 1 if self.rest is not None else 0) or (
            high is not None and len(types) > high
        ):
            raise SignatureError(f"{name} takes {self.arity()}, got {len(types)}")
        for index, found in enumerate(types):
            allowed = self.params[index] if index < len(self.params) else self.rest
            if allowed is None:
                raise SignatureError(f"{name} takes {self.arity()}, got {len(types)}")
            if found.known and found not in allowed:
                wanted = " or ".join(sorted(t.value for t in allowed))
                raise SignatureError(
                    f"{name} expects {wanted} as argument {index + 1}, got {found.value}", index
                )
        return self.result(types) if callable(self.result) else self.result

    def arity(self) -> str:
        if self.rest is not None:
            return "one or more arguments"
        low, high = len(self.params) - self.optional, len(self.params)
        count = str(high) if low == high else f"{low} to {high}"
        return f"{count} argument{'s' if high != 1 else ''}"


# --- numbers ---------------------------------------------------------------------------------


def _round(_: Env, args: Args) -> object:
    number = need_number(args[0], "round's number")
    places = need_integer(args[1], "round's places", MAX_ROUND_PLACES) if len(args) > 1 else 0
    try:
        return number.quantize(Decimal(1).scaleb(-places, NUMBERS), context=NUMBERS)
    except InvalidOperation as exc:
        # quantize refuses a result with more digits than the precision instead of rounding it.
        raise EvalError(f"the rounded number would have more than {NUMBERS.prec} digits") from exc


def _floor(_: Env, args: Args) -> object:
    number = need_number(args[0], "floor's number")
    return number.to_integral_value(rounding=ROUND_FLOOR, context=NUMBERS)


def _ceil(_: Env, args: Args) -> object:
    number = need_number(args[0], "ceil's number")
    return number.to_integral_value(rounding=ROUND_CEILING, context=NUMBERS)


def _abs(_: Env, args: Args) -> object:
    return NUMBERS.abs(need_number(args[0], "abs's number"))


def _present_numbers(name: str, args: Args) -> list[Decimal]:
    return [need_number(arg, f"{name}'s argument") for arg in args if arg is not None]


def _sum(_: Env, args: Args) -> object:
    total = Decimal(0)
    for number in _present_numbers("sum", args):
        total = NUMBERS.add(total, number)
    return total


def _average(_: Env, args: Args) -> object:
    numbers = _present_numbers("average", args)
    if not numbers:
        return None
    total = Decimal(0)
    for number in numbers:
        total = NUMBERS.add(total, number)
    return NUMBERS.divide(total, Decimal(len(numbers)))


def _extreme(name: str, pick: Callable[[list[object]], object]) -> Callable[[Env, Args], object]:
    def run(_: Env, args: Args) -> object:
        present = [arg for arg in args if arg is not None]
        if not present:
            return None
        kinds = {kind(arg) for arg in present}
        if len(kinds) > 1 or kinds - {"number", "date", "datetime"}:
            raise EvalError(f"{name} needs numbers or dates of one kind, got {', '.join(kinds)}")
        return pick(present)

    return run


def _same_kind(name: str) -> Callable[[list[ValueType]], ValueType]:
    def result(types: list[ValueType]) -> ValueType:
        known = {t for t in types if t.known}
        if len(known) > 1:
            raise SignatureError(
                f"{name} needs arguments of one kind, got " + ", ".join(sorted(known))
            )
        return known.pop() if known else T.ANY

    return result


# --- text and lists --------------------------------------------------------------------------


def _is_empty(_: Env, args: Args) -> object:
    return is_empty(args[0])


def _len(_: Env, args: Args) -> object:
    value = args[0]
    if value is None:
        return Decimal(0)
    if isinstance(value, str | tuple):
        return Decimal(len(value))
    raise EvalError(f"len needs text or a list, got {kind(value)}")


def _text_map(name: str, change: Callable[[str], str]) -> Callable[[Env, Args], object]:
    def run(_: Env, args: Args) -> object:
        if args[0] is None:
            return None
        text = need_text(args[0], f"{name}'s argument")
        # Changing case can lengthen text (``upper('ß')`` is ``SS``).
        return capped_text(change(text), text)

    return run


def _contains(_: Env, args: Args) -> object:
    haystack, needle = args
    if haystack is None or needle is None:
        return False
    if isinstance(haystack, tuple):
        return needle in haystack
    return need_text(needle, "contains' needle") in need_text(haystack, "contains' text")


def _starts_with(_: Env, args: Args) -> object:
    if args[0] is None or args[1] is None:
        return False
    return need_text(args[0], "starts_with's text").startswith(need_text(args[1], "prefix"))


def _ends_with(_: Env, args: Args) -> object:
    if args[0] is None or args[1] is None:
        return False
    return need_text(args[0], "ends_with's text").endswith(need_text(args[1], "suffix"))


def _matches(_: Env, args: Args) -> object:
    if args[0] is None:
        return False
    text = need_text(args[0], "matches' text")
    try:
        compiled = compile_pattern(need_text(args[1], "matches' pattern"))
    except PatternError as exc:
        raise EvalError(str(exc)) from exc
    return compiled.search(text) is not None


# --- dates -----------------------------------------------------------------------------------


def _days_between(env: Env, args: Args) -> object:
    start = env.local_date(need_day(args[0], "days_between's start"))
    end = env.local_date(need_day(args[1], "days_between's end"))
    return Decimal((end - start).days)


def _business_days_between(env: Env, args: Args) -> object:
    start = env.local_date(need_day(args[0], "business_days_between's start"))
    end = env.local_date(need_day(args[1], "business_days_between's end"))
    return Decimal(env.calendar.business_days_between(start, end))


def _add_days(_: Env, args: Args) -> object:
    day = need_day(args[0], "add_days' date")
    count = need_integer(args[1], "add_days' days", MAX_DAY_OFFSET)
    try:
        return day + timedelta(days=count)
    except OverflowError as exc:
        raise EvalError("date out of range") from exc


def _add_business_days(env: Env, args: Args) -> object:
    day = env.local_date(need_day(args[0], "add_business_days' date"))
    count = need_integer(args[1], "add_business_days' days", MAX_DAY_OFFSET)
    try:
        return env.calendar.add_business_days(day, count)
    except (OverflowError, CalendarError) as exc:
        raise EvalError(f"add_business_days: {exc}") from exc


def _part(name: str, pick: Callable[[date], int]) -> Callable[[Env, Args], object]:
    def run(env: Env, args: Args) -> object:
        return Decimal(pick(env.local_date(need_day(args[0], f"{name}'s date"))))

    return run


def _date(_: Env, args: Args) -> object:
    text = need_text(args[0], "date's text")
    day = parse_date(text)
    if day is None:
        raise EvalError(f"`{text[:40]}` is not a date (YYYY-MM-DD)")
    return day


def _datetime(_: Env, args: Args) -> object:
    text = need_text(args[0], "datetime's text")
    moment = parse_datetime(text)
    if moment is None:
        raise EvalError(f"`{text[:40]}` is not an ISO date and time with a zone")
    return moment


def _today(env: Env, _: Args) -> object:
    return env.today


def _now(env: Env, _: Args) -> object:
    return env.now


def _add_days_result(types: list[ValueType]) -> ValueType:
    return types[0] if types[0].known else T.ANY


def _pick_min(values: list[object]) -> object:
    return min(values)  # type: ignore[type-var]


def _pick_max(values: list[object]) -> object:
    return max(values)  # type: ignore[type-var]


FUNCTIONS: Final[dict[str, Function]] = {
    "round": Function(params=(NUM, NUM), optional=1, result=T.NUMBER, run=_round,
                      summary="round(x, places=0): half away from zero"),
    "floor": Function(params=(NUM,), result=T.NUMBER, run=_floor, summary="floor(x)"),
    "ceil": Function(params=(NUM,), result=T.NUMBER, run=_ceil, summary="ceil(x)"),
    "abs": Function(params=(NUM,), result=T.NUMBER, run=_abs, summary="abs(x)"),
    "min": Function(rest=ORDERABLE, result=_same_kind("min"), run=_extreme("min", _pick_min),
                    summary="min(a, b, …): smallest non-empty number or date"),
    "max": Function(rest=ORDERABLE, result=_same_kind("max"), run=_extreme("max", _pick_max),
                    summary="max(a, b, …): largest non-empty number or date"),
    "sum": Function(rest=NUM, result=T.NUMBER, run=_sum,
                    summary="sum(a, b, …): total of the non-empty numbers (0 when none)"),
    "average": Function(rest=NUM, result=T.NUMBER, run=_average,
                        summary="average(a, b, …): mean of the non-empty numbers, or null"),
    "is_empty": Function(params=(ANY,), result=T.BOOLEAN, run=_is_empty,
                         summary="is_empty(x): null, blank text, empty list or object"),
    "len": Function(params=(SEARCHABLE,), result=T.NUMBER, run=_len,
                    summary="len(x): characters of text or items of a list (0 when empty)"),
    "lower": Function(params=(TEXT,), result=T.TEXT, run=_text_map("lower", str.lower),
                      summary="lower(text)"),
    "upper": Function(params=(TEXT,), result=T.TEXT, run=_text_map("upper", str.upper),
                      summary="upper(text)"),
    "trim": Function(params=(TEXT,), result=T.TEXT, run=_text_map("trim", str.strip),
                     summary="trim(text): without leading and trailing spaces"),
    "contains": Function(params=(SEARCHABLE, TEXT), result=T.BOOLEAN, run=_contains,
                         summary="contains(text_or_list, x)"),
    "starts_with": Function(params=(TEXT, TEXT), result=T.BOOLEAN, run=_starts_with,
                            summary="starts_with(text, prefix)"),
    "ends_with": Function(params=(TEXT, TEXT), result=T.BOOLEAN, run=_ends_with,
                          summary="ends_with(text, suffix)"),
    "matches": Function(params=(TEXT, TEXT), result=T.BOOLEAN, run=_matches,
                        summary="matches(text, pattern): RE2 search, anchor with ^…$"),
    "days_between": Function(params=(DAY, DAY), result=T.NUMBER, run=_days_between,
                             summary="days_between(start, end): calendar days end - start"),
    "business_days_between": Function(
        params=(DAY, DAY), result=T.NUMBER, run=_business_days_between,
        summary="business_days_between(start, end): working days after start up to end"),
    "add_days": Function(params=(DAY, NUM), result=_add_days_result, run=_add_days,
                         summary="add_days(date, n)"),
    "add_business_days": Function(params=(DAY, NUM), result=T.DATE, run=_add_business_days,
                                  summary="add_business_days(date, n)"),
    "year": Function(params=(DAY,), result=T.NUMBER, run=_part("year", lambda d: d.year),
                     summary="year(date)"),
    "month": Function(params=(DAY,), result=T.NUMBER, run=_part("month", lambda d: d.month),
                      summary="month(date): 1-12"),
    "day": Function(params=(DAY,), result=T.NUMBER, run=_part("day", lambda d: d.day),
                    summary="day(date): 1-31"),
    "date": Function(params=(TEXT,), result=T.DATE, run=_date,
                     summary="date('YYYY-MM-DD'): a date literal"),
    "datetime": Function(params=(TEXT,), result=T.DATETIME, run=_datetime,
                         summary="datetime('2026-03-01T09:00:00Z'): a datetime literal"),
    "today": Function(result=T.DATE, run=_today, summary="today(): the tenant's date"),
    "now": Function(result=T.DATETIME, run=_now, summary="now(): the current moment (UTC)"),
}  # fmt: skip

SPECIAL_FORMS: Final = frozenset({"if", "coalesce"})
FUNCTION_NAMES: Final = frozenset(FUNCTIONS) | SPECIAL_FORMS
SPECIAL_FORM_SUMMARIES: Final = {
    "if": "if(condition, then, else): only the chosen branch is evaluated",
    "coalesce": "coalesce(a, b, …): the first non-empty value",
}


def function_summaries() -> dict[str, str]:
    """Every callable name with its one-line signature, in alphabetical order."""
    summaries = {name: function.summary for name, function in FUNCTIONS.items()}
    summaries.update(SPECIAL_FORM_SUMMARIES)
    return dict(sorted(summaries.items()))


def literal_date(name: str, text: str) -> date | datetime | None:
    """The value of a ``date('…')`` / ``datetime('…')`` literal, or None when invalid."""
    if name == "date":
        return parse_date(text)
    return parse_datetime(text)
