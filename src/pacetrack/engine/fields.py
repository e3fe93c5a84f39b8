"""Field definitions as the engine sees them, and the normalization of values by type.

A value is stored in ``item.field_values`` in its canonical JSON form:

- number, currency, percentage: a decimal string (``"6000.00"``), so that
  no binary float ever touches money; currency has two decimal places;
- date: ``YYYY-MM-DD``; datetime: ISO 8601 in UTC with a ``Z`` suffix;
- boolean: ``true``/``false``; dropdown: one option value; multiselect: a list
  of distinct option values in the options' order;
- text, long_text, email, url: strings; user: an account id (UUID string);
- object: a JSON object (nested values, e.g. ``dimensions.sqft``).

``None`` clears a value. Whether an empty field is allowed is a question for
the step's rules, not for normalization.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pacetrack.engine.patterns import matches
from pacetrack.engine.words import plain_number

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_TEXT_LENGTH = 1_000
MAX_LONG_TEXT_LENGTH = 100_000
MAX_OBJECT_JSON_LENGTH = 65_536
MAX_OBJECT_DEPTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    CURRENCY = "currency"
    PERCENTAGE = "percentage"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    DROPDOWN = "dropdown"
    MULTISELECT = "multiselect"
    EMAIL = "email"
    URL = "url"
    USER = "user"
    OBJECT = "object"


NUMERIC_TYPES = frozenset({FieldType.NUMBER, FieldType.CURRENCY, FieldType.PERCENTAGE})
OPTION_TYPES = frozenset({FieldType.DROPDOWN, FieldType.MULTISELECT})
CURRENCY_PLACES = Decimal("0.01")


@dataclass(frozen=True, kw_only=True)
class FieldSpec:
    """The parts of a field definition that rules and values depend on."""

    name: str
    field_type: FieldType
    label: str = ""
    options: tuple[str, ...] = ()
    is_required: bool = False
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    pattern: str | None = None
    precision: int | None = None
    """Decimal places a calculated value is rounded to (currency: 2 unless set)."""

    @property
    def display_name(self) -> str:
        return self.label or self.name


@dataclass(frozen=True, kw_only=True)
class NormalizedValue:
    """Either ``value`` (canonical form) or ``error`` (why the input is refused)."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _refuse(message: str) -> NormalizedValue:
    return NormalizedValue(error=message)


def parse_decimal(raw: object) -> Decimal | None:
    """A finite Decimal from an int, a decimal string or a float's shortest repr; else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        number = raw
    elif isinstance(raw, int):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "") if raw.strip() else ""
        if not text or len(text) > 64:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite():
        return None
    return number


MAX_INTEGER_DIGITS = 28
MAX_DECIMAL_PLACES = 10


def _exponent(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _within_bounds(number: Decimal) -> bool:
    """At most 28 digits before the point and 10 after it, decided on the coefficient and
    exponent: ``1e999999999`` is refused without ever being written out."""
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return True
    trailing_zeros = len(digits) - len(significant)
    integer_digits = len(digits) + exponent
    places = -(exponent + trailing_zeros)
    return integer_digits <= MAX_INTEGER_DIGITS and places <= MAX_DECIMAL_PLACES


def decimal_to_json(number: Decimal) -> str:
    """Canonical decimal text without exponent (``1E+3`` becomes ``1000``)."""
    text = format(number, "f")
    return "0" if text in {"-0", "-0.0"} else text


def parse_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return None
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and len(raw) == 10:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def parse_datetime(raw: object) -> datetime | None:
    """An aware datetime in UTC; naive input is refused (its zone would be a guess)."""
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str) and 10 < len(raw) <= 40:
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment.astimezone(UTC)


def datetime_to_json(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_depth(value: object, depth: int = 0) -> int:
    if isinstance(value, Mapping):
        return max((_json_depth(v, depth + 1) for v in value.values()), default=depth + 1)
    if isinstance(value, list):
        return max((_json_depth(v, depth + 1) for v in value), default=depth + 1)
    return depth


def _normalize_number(spec: FieldSpec, raw: object) -> NormalizedValue:
    number = parse_decimal(raw)
    if number is None or not _within_bounds(number):
        return _refuse(
            f"{spec.display_name} must be a number with at most {MAX_INTEGER_DIGITS} digits "
            f"before the decimal point and {MAX_DECIMAL_PLACES} after it"
        )
    if number.is_zero() and not -MAX_DECIMAL_PLACES <= _exponent(number) <= 0:
        # ``0E+99999`` would be written out as a hundred thousand zeros.
        number = Decimal(0)
    if spec.field_type is FieldType.CURRENCY:
        quantized = number.quantize(CURRENCY_PLACES)
        if quantized != number:
            return _refuse(f"{spec.display_name} has more than 2 decimal places")
        number = quantized
    if spec.min_value is not None and number < spec.min_value:
        return _refuse(f"{spec.display_name} must be at least {plain_number(spec.min_value)}")
    if spec.max_value is not None and number > spec.max_value:
        return _refuse(f"{spec.display_name} must be at most {plain_number(spec.max_value)}")
    return NormalizedValue(value=decimal_to_json(number))


def _normalize_text(spec: FieldSpec, raw: object, limit: int) -> NormalizedValue:
    if not isinstance(raw, str):
        return _refuse(f"{spec.display_name} must be text")
    if len(raw) > limit:
        return _refuse(f"{spec.display_name} is longer than {limit} characters")
    return NormalizedValue(value=raw)


def _normalize_options(spec: FieldSpec, raw: object) -> NormalizedValue:
    allowed = spec.options
    if spec.field_type is FieldType.DROPDOWN:
        if not isinstance(raw, str) or raw not in allowed:
            return _refuse(f"{spec.display_name} must be one of: {', '.join(allowed)}")
        return NormalizedValue(value=raw)
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return _refuse(f"{spec.display_name} must be a list of options")
    unknown = [str(v) for v in raw if not isinstance(v, str) or v not in allowed]
    if unknown:
        return _refuse(
            f"{spec.display_name}: {', '.join(unknown[:5])} not among the options "
            f"({', '.join(allowed)})"
        )
    chosen = set(raw)
    return NormalizedValue(value=[option for option in allowed if option in chosen])


def normalize_value(spec: FieldSpec, raw: object) -> NormalizedValue:
    """Check ``raw`` against the field's type and constraints and return its canonical form."""
    if raw is None:
        return NormalizedValue(value=None)
    kind = spec.field_type
    if kind in NUMERIC_TYPES:
        return _normalize_number(spec, raw)
    if kind is FieldType.TEXT:
        result = _normalize_text(spec, raw, MAX_TEXT_LENGTH)
    elif kind is FieldType.LONG_TEXT:
        result = _normalize_text(spec, raw, MAX_LONG_TEXT_LENGTH)
    elif kind is FieldType.DATE:
        day = parse_date(raw)
        if day is None:
            return _refuse(f"{spec.display_name} must be a date (YYYY-MM-DD)")
        result = NormalizedValue(value=day.isoformat())
    elif kind is FieldType.DATETIME:
        moment = parse_datetime(raw)
        if moment is None:
            return _refuse(
                f"{spec.display_name} must be an ISO 8601 date and time with a time zone"
            )
        result = NormalizedValue(value=datetime_to_json(moment))
    elif kind is FieldType.BOOLEAN:
        if not isinstance(raw, bool):
            return _refuse(f"{spec.display_name} must be true or false")
        result = NormalizedValue(value=raw)
    elif kind in OPTION_TYPES:
        result = _normalize_options(spec, raw)
    elif kind is FieldType.EMAIL:
        if not isinstance(raw, str) or len(raw) > 254 or not _EMAIL.match(raw.strip()):
            return _refuse(f"{spec.display_name} must be an email address")
        local, _, domain = raw.strip().rpartition("@")
        result = NormalizedValue(value=f"{local}@{domain.lower()}")
    elif kind is FieldType.URL:
        if not isinstance(raw, str) or len(raw) > 2048:
            return _refuse(f"{spec.display_name} must be an http(s) URL")
        parts = urlsplit(raw.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            return _refuse(f"{spec.display_name} must be an http(s) URL")
        result = NormalizedValue(value=raw.strip())
    elif kind is FieldType.USER:
        try:
            result = NormalizedValue(value=str(uuid.UUID(str(raw))))
        except ValueError:
            return _refuse(f"{spec.display_name} must be an account id")
    else:
        if not isinstance(raw, Mapping):
            return _refuse(f"{spec.display_name} must be a JSON object")
        try:
            encoded = json.dumps(raw, allow_nan=False)
        except (TypeError, ValueError):
            return _refuse(f"{spec.display_name} must contain only JSON values")
        if len(encoded) > MAX_OBJECT_JSON_LENGTH or _json_depth(raw) > MAX_OBJECT_DEPTH:
            return _refuse(f"{spec.display_name} is too large or too deeply nested")
        result = NormalizedValue(value=json.loads(encoded))
    if (
        result.ok
        and spec.pattern
        and isinstance(result.value, str)
        and not matches(spec.pattern, result.value)
    ):
        return _refuse(f"{spec.display_name} does not match the required pattern")
    return result
