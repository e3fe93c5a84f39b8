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

_PYTHON_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK_TEXT_PATTERN = rf"^[^\x00]*[^\x00{_PYTHON_SPACE}][^\x00]*$"
"""Told to clients for text that must hold more than white space (as ``str.strip`` sees it)."""

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


# Spelled out instead of ``\s``: JSON Schema (ECMAScript), Python and Rust (Pydantic's
# pattern engine) disagree on what ``\s`` matches, and a client building a value from the
# OpenAPI must get the same answer as the server.
_ADDRESS_CHAR = r"[^@\x00-\x20\x7f-\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]"
EMAIL_PATTERN = rf"^{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.{_ADDRESS_CHAR}+$"
USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"
ROLE_NAME_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"

PATTERN_MESSAGES = {
    EMAIL_PATTERN: "is not an email address",
    USERNAME_PATTERN: "may hold only letters, digits, '_', '.' and '-'",
    ROLE_NAME_PATTERN: "must start with a lower-case letter and hold only a-z, 0-9, '_' and '-'",
    PLAIN_TEXT_PATTERN: "must not contain NUL characters",
}
"""What a refusal by one of these patterns tells a person, instead of the pattern."""

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
IPV4_PATTERN = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
HOST_NAME_PATTERN = rf"(?:{_LABEL}\.)*{_TOP_LABEL}"
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
_URL_TEXT = r"[A-Za-z0-9._~!$&'()*+,;=:@/-]"
HTTP_URL_PATTERN = (
    rf"^https?://(?:{HOST_NAME_PATTERN}|{IPV4_PATTERN})(?::{_PORT})?"
    rf"(?:/{_URL_TEXT}*)?(?:\?{_URL_TEXT}*)?$"
)
"""Told to clients: the URLs a webhook endpoint is sure to be accepted with (http or https,
a host name or a dotted IPv4 address, a port, a path and a query). The server reads URLs
more widely (IPv6 literals, percent-escapes) and says what is wrong with those it refuses."""


def _patterned(pattern: str, *, min_length: int, max_length: int) -> Any:
    # The pattern is named twice: once to check, once for the OpenAPI, where the plain
    # text kind would otherwise put its own no-NUL pattern in its place.
    return Field(
        min_length=min_length,
        max_length=max_length,
        pattern=pattern,
        json_schema_extra={"pattern": pattern},
    )


EmailAddress = Annotated[PlainStr, _patterned(EMAIL_PATTERN, min_length=3, max_length=254)]
Username = Annotated[PlainStr, _patterned(USERNAME_PATTERN, min_length=1, max_length=64)]
RoleName = Annotated[PlainStr, _patterned(ROLE_NAME_PATTERN, min_length=1, max_length=64)]

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
