"""The input types every request model is built from.

Each type refuses what the databases cannot store or what would cost the server
unbounded work, before any database work, as a 422 naming the field:

- text refuses NUL characters (PostgreSQL cannot store them) and lone surrogates
  (they cannot be encoded as UTF-8), and has a maximum length per kind;
- integers stay within the database's 32-bit ``INTEGER`` (ids, offsets, limits,
  orders, versions);
- decimals have bounded digits and exponent (``NUMERIC(38, 10)``), checked on the
  parsed value so that ``1e999999999`` is never expanded;
- free JSON (field values, configuration documents) has bounded depth, size and
  numbers, and the same text rules for every key and string inside it.

The OpenAPI carries the same bounds (``maxLength``, ``pattern``, ``maximum``), so a
request built from the schema is one the server accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

MAX_INT32 = 2**31 - 1
"""The largest value of the databases' ``INTEGER`` columns and of offsets we accept."""

PLAIN_TEXT_PATTERN = r"^[^\x00]*$"
"""Told to clients in the OpenAPI: no NUL character (lone surrogates cannot occur in
UTF-8 JSON text, so they need no pattern)."""

MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 50_000
MAX_JSON_STRING = 100_000
MAX_JSON_INTEGER_DIGITS = 30
MAX_DECIMAL_INTEGER_DIGITS = 28
MAX_DECIMAL_PLACES = 10


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "must not contain NUL characters"
    if _has_lone_surrogate(value):
        return "must not contain unpaired surrogate characters"
    return None


def _check_plain_text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise PydanticCustomError("plain_text", problem)
    return value


class _PlainTextSchema:
    """Adds the no-NUL pattern to a string's JSON schema unless it has a stricter one."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        if target.get("type") == "string" and "pattern" not in target:
            target["pattern"] = PLAIN_TEXT_PATTERN
        return json_schema


PlainStr = Annotated[str, AfterValidator(_check_plain_text), _PlainTextSchema()]
"""Text that the databases can store; give its maximum length with ``Field``."""


DbInt = Annotated[int, Field(ge=0, le=MAX_INT32)]
"""A count, order or offset stored in or compared with an ``INTEGER`` column."""
Version = Annotated[int, Field(ge=1, le=MAX_INT32)]
Offset = DbInt


def _check_decimal(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise PydanticCustomError("decimal_finite", "must be a finite number")
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    # Decided on the parsed coefficient and exponent, never on the expanded text.
    integer_digits = len(digits) + exponent if digits != (0,) else 1
    if integer_digits > MAX_DECIMAL_INTEGER_DIGITS:
        raise PydanticCustomError(
            "decimal_too_large",
            "must have at most {digits} digits before the decimal point",
            {"digits": MAX_DECIMAL_INTEGER_DIGITS},
        )
    significant = len(digits) - (len(digits) - len("".join(map(str, digits)).rstrip("0")))
    places = -(exponent + len(digits) - significant) if significant else 0
    if places > MAX_DECIMAL_PLACES:
        raise PydanticCustomError(
            "decimal_places",
            "must have at most {places} decimal places",
            {"places": MAX_DECIMAL_PLACES},
        )
    # Integer digits are bounded above, so this gives plain digits instead of ``1E+3``.
    return value.quantize(Decimal(1)) if exponent > 0 else value


BoundedDecimal = Annotated[
    Decimal,
    AfterValidator(_check_decimal),
    WithJsonSchema(
        {
            "anyOf": [
                {
                    "type": "integer",
                    "minimum": -(10**15),
                    "maximum": 10**15,
                },
                {
                    "type": "string",
                    "pattern": rf"^-?[0-9]{{1,{MAX_DECIMAL_INTEGER_DIGITS}}}"
                    rf"(\.[0-9]{{1,{MAX_DECIMAL_PLACES}}})?$",
                },
            ],
            "description": "A decimal number (a JSON number or a decimal string) with at "
            f"most {MAX_DECIMAL_INTEGER_DIGITS} digits before the point and "
            f"{MAX_DECIMAL_PLACES} after it",
        },
        mode="validation",
    ),
]
"""A decimal that fits ``NUMERIC(38, 10)``."""


def _json_location(path: list[str | int]) -> str:
    location = ""
    for part in path:
        location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else part)
    return location


def json_problem(value: object, *, max_depth: int = MAX_JSON_DEPTH) -> tuple[str, str] | None:
    """``(location, reason)`` of the first part of a JSON value the server refuses, or None.

    Walks the value without recursion, so a deeply nested document costs no stack.
    """
    stack: list[tuple[object, list[str | int]]] = [(value, [])]
    nodes = 0
    while stack:
        current, path = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES:
            return "", f"has more than {MAX_JSON_NODES} values"
        if len(path) > max_depth:
            return _json_location(path), f"is nested more than {max_depth} levels deep"
        if isinstance(current, str):
            if len(current) > MAX_JSON_STRING:
                return _json_location(path), f"is longer than {MAX_JSON_STRING} characters"
            problem = text_problem(current)
            if problem is not None:
                return _json_location(path), problem
        elif isinstance(current, bool) or current is None:
            continue
        elif isinstance(current, int):
            if len(str(abs(current))) > MAX_JSON_INTEGER_DIGITS:
                return _json_location(path), (f"has more than {MAX_JSON_INTEGER_DIGITS} digits")
        elif isinstance(current, float):
            if not math.isfinite(current):
                return _json_location(path), "is not a finite number"
        elif isinstance(current, dict):
            for key, item in current.items():
                key_problem = text_problem(key) if isinstance(key, str) else "is not text"
                if key_problem is not None:
                    return _json_location(path), f"has a key that {key_problem}"
                stack.append((item, [*path, key]))
        elif isinstance(current, list):
            stack.extend((item, [*path, index]) for index, item in enumerate(current))
        else:
            return _json_location(path), "is not a JSON value"
    return None


def _json_checker(max_depth: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        found = json_problem(value, max_depth=max_depth)
        if found is not None:
            location, reason = found
            raise PydanticCustomError("json_value", reason, {"path": location})
        return value

    return check


def _json_value_schema(depth: int) -> dict[str, Any]:
    """What free JSON may hold, nested ``depth`` levels in the OpenAPI (the server allows
    up to ``MAX_JSON_DEPTH``; the schema stays readable and finite)."""
    scalars: list[dict[str, Any]] = [
        {"type": "string", "maxLength": MAX_JSON_STRING, "pattern": PLAIN_TEXT_PATTERN},
        {"type": "integer", "minimum": -(10**15), "maximum": 10**15},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ]
    if depth <= 0:
        return {"anyOf": scalars}
    return {
        "anyOf": [
            *scalars,
            {"type": "array", "items": _json_value_schema(depth - 1)},
            _json_object_schema(depth - 1),
        ]
    }


def _json_object_schema(depth: int) -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": {"pattern": PLAIN_TEXT_PATTERN},
        "additionalProperties": _json_value_schema(depth),
    }


_SCHEMA_DEPTH = 2

JsonValue = Annotated[
    Any,
    AfterValidator(_json_checker(MAX_JSON_DEPTH)),
    WithJsonSchema(_json_value_schema(_SCHEMA_DEPTH), mode="validation"),
]
"""Any JSON value within the depth, size and text bounds (a configuration document)."""
JsonObject = Annotated[
    dict[str, Any],
    AfterValidator(_json_checker(MAX_JSON_DEPTH)),
    WithJsonSchema(_json_object_schema(_SCHEMA_DEPTH), mode="validation"),
]
JsonList = Annotated[
    list[Any],
    AfterValidator(_json_checker(MAX_JSON_DEPTH)),
    WithJsonSchema(
        {"type": "array", "items": _json_value_schema(_SCHEMA_DEPTH)}, mode="validation"
    ),
]
