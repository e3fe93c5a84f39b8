"""What a refused value tells a person, in PaceTrack's words rather than Pydantic's.

Request models and configuration documents are validated by Pydantic; its error types
are stable, its messages are not ours ("Input should be a valid tuple"). Each common
type has a sentence here, filled from the error's context; the few left fall back to
Pydantic's message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pacetrack.services.input_types import PATTERN_MESSAGES


def _bound(ctx: Mapping[str, Any], key: str) -> str:
    value = ctx.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _characters(ctx: Mapping[str, Any], key: str, words: str) -> str:
    count = int(ctx.get(key, 0))
    return f"must be {words} {count} character{'' if count == 1 else 's'}"


def _items(ctx: Mapping[str, Any], key: str, words: str) -> str:
    count = int(ctx.get(key, 0))
    return f"must have {words} {count} item{'' if count == 1 else 's'}"


def _pattern(ctx: Mapping[str, Any]) -> str:
    return PATTERN_MESSAGES.get(str(ctx.get("pattern")), "is not in the expected form")


def _choices(ctx: Mapping[str, Any]) -> str:
    expected = str(ctx.get("expected", "")).replace("'", "")
    return f"must be one of {expected}" if expected else "is not one of the allowed values"


_BY_TYPE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda _ctx: "is required",
    "missing_keyword_only_argument": lambda _ctx: "is required",
    "extra_forbidden": lambda _ctx: "unknown property",
    "unexpected_keyword_argument": lambda _ctx: "unknown property",
    "json_invalid": lambda _ctx: "the body is not valid JSON",
    "union_tag_not_found": lambda _ctx: "a `type` is required",
    "string_type": lambda _ctx: "must be text",
    "string_too_short": lambda ctx: (
        "must not be empty"
        if int(ctx.get("min_length", 0)) == 1
        else _characters(ctx, "min_length", "at least")
    ),
    "string_too_long": lambda ctx: _characters(ctx, "max_length", "at most"),
    "string_pattern_mismatch": _pattern,
    "int_type": lambda _ctx: "must be a whole number",
    "int_parsing": lambda _ctx: "must be a whole number",
    "int_from_float": lambda _ctx: "must be a whole number",
    "float_type": lambda _ctx: "must be a number",
    "float_parsing": lambda _ctx: "must be a number",
    "decimal_type": lambda _ctx: "must be a number",
    "decimal_parsing": lambda _ctx: "must be a number",
    "finite_number": lambda _ctx: "must be a finite number",
    "bool_type": lambda _ctx: "must be true or false",
    "bool_parsing": lambda _ctx: "must be true or false",
    "greater_than": lambda ctx: f"must be greater than {_bound(ctx, 'gt')}",
    "greater_than_equal": lambda ctx: f"must be at least {_bound(ctx, 'ge')}",
    "less_than": lambda ctx: f"must be less than {_bound(ctx, 'lt')}",
    "less_than_equal": lambda ctx: f"must be at most {_bound(ctx, 'le')}",
    "list_type": lambda _ctx: "must be a list",
    "tuple_type": lambda _ctx: "must be a list",
    "set_type": lambda _ctx: "must be a list",
    "dict_type": lambda _ctx: "must be an object",
    "model_type": lambda _ctx: "must be an object",
    "model_attributes_type": lambda _ctx: "must be an object",
    "dataclass_type": lambda _ctx: "must be an object",
    "uuid_type": lambda _ctx: "must be an id (a UUID)",
    "uuid_parsing": lambda _ctx: "must be an id (a UUID)",
    "date_type": lambda _ctx: "must be a date (YYYY-MM-DD)",
    "date_parsing": lambda _ctx: "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": lambda _ctx: "must be a date (YYYY-MM-DD)",
    "datetime_type": lambda _ctx: "must be a date and time (ISO 8601)",
    "datetime_parsing": lambda _ctx: "must be a date and time (ISO 8601)",
    "datetime_from_date_parsing": lambda _ctx: "must be a date and time (ISO 8601)",
    "timezone_aware": lambda _ctx: "must carry a time zone offset",
    "literal_error": _choices,
    "enum": _choices,
}


def _length(error: Mapping[str, Any]) -> str | None:
    """A length refusal of text or of a list (Pydantic says "too_long" for both when the
    bound is checked after a validator of ours)."""
    kind, ctx = error.get("type"), error.get("ctx") or {}
    if kind not in {"too_short", "too_long"}:
        return None
    key, words = ("min_length", "at least") if kind == "too_short" else ("max_length", "at most")
    if not isinstance(error.get("input"), str):
        return _items(ctx, key, words)
    if kind == "too_short" and int(ctx.get(key, 0)) == 1:
        return "must not be empty"
    return _characters(ctx, key, words)


def message_of(error: Mapping[str, Any]) -> str:
    """The words for one Pydantic error (an item of ``ValidationError.errors()``)."""
    length = _length(error)
    if length is not None:
        return length
    words = _BY_TYPE.get(str(error.get("type")))
    if words is not None:
        return words(error.get("ctx") or {})
    # Our own validators raise ValueError("...") with words meant for people.
    return str(error.get("msg", "is not valid")).removeprefix("Value error, ")
