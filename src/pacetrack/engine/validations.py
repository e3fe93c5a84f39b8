"""The validation decision for an item leaving a step.

Every rule runs; each failure is a ``Violation`` (data, never an exception).
Empty values: only requirement rules (``field_required`` and the fields the
field view requires, reported as ``required:<field name>``) fail on them; every
other rule passes an empty field, so "min 5000" does not also fire when the
value is missing. A ``custom_expression`` with a ``field_id`` passes while that
field is empty; without one it passes only when the expression is true, and an
evaluation error (division by zero, an empty value in arithmetic) is a failure
whose message carries the reason.

Checks are built once per validations tuple and kept, keyed by the identity of
the (frozen) rules and of the field definitions they read, so a hot step pays only for the
comparisons themselves.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import (
    CustomExpressionRule,
    FieldComparisonRule,
    FieldMaxValueRule,
    FieldMinValueRule,
    FieldPatternRule,
    FieldRequiredRule,
    StepConfig,
    ValidationRule,
)
from pacetrack.engine.expressions import ExpressionError, compile_expression, referenced_names
from pacetrack.engine.expressions.limits import shown_number, stored_number
from pacetrack.engine.expressions.runtime import is_empty
from pacetrack.engine.field_view import field_view
from pacetrack.engine.fields import (
    NUMERIC_TYPES,
    FieldSpec,
    FieldType,
    parse_date,
    parse_datetime,
)
from pacetrack.engine.patterns import PatternError, compile_pattern


@dataclass(frozen=True, kw_only=True)
class Violation:
    rule_id: str
    field_id: str | None
    message: str


@dataclass(frozen=True, kw_only=True)
class ValidationResult:
    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations


Check = Callable[[Mapping[str, Any], datetime, BusinessCalendar], str | None]
"""A built rule: the failure message for these values, or None when the rule passes."""

_OPERATORS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
}
_NUMBER_WORDS: Final = {
    "<": "less than",
    "<=": "at most",
    ">": "greater than",
    ">=": "at least",
    "=": "equal to",
    "!=": "different from",
}
_DATE_WORDS: Final = {
    "<": "before",
    "<=": "on or before",
    ">": "after",
    ">=": "on or after",
    "=": "on",
    "!=": "not on",
}


def field_label(spec: FieldSpec | None, name: str | None) -> str:
    """How a rule names its field: the definition's display name, else the name given."""
    if spec is not None:
        return spec.display_name
    return name or "the item"


# --- one builder per rule type ---------------------------------------------------------------


def _required(rule: FieldRequiredRule, fields: Mapping[str, FieldSpec]) -> Check:
    name = rule.field_id
    message = rule.error_message or f"{field_label(fields.get(name), name)} is required"

    def check(values: Mapping[str, Any], now: datetime, calendar: BusinessCalendar) -> str | None:
        return message if is_empty(values.get(name)) else None

    return check


def _bound(rule: FieldMinValueRule | FieldMaxValueRule, fields: Mapping[str, FieldSpec]) -> Check:
    name = rule.field_id
    label = field_label(fields.get(name), name)
    if isinstance(rule, FieldMinValueRule):
        limit, fails, words = rule.min_value, operator.lt, "at least"
    else:
        limit, fails, words = rule.max_value, operator.gt, "at most"
    message = rule.error_message or f"{label} must be {words} {shown_number(limit)}"
    not_number = rule.error_message or f"{label} must be a number"

    def check(values: Mapping[str, Any], now: datetime, calendar: BusinessCalendar) -> str | None:
        raw = values.get(name)
        if raw is None or raw == "":
            return None
        number = stored_number(raw)
        if number is None:
            return not_number
        return message if fails(number, limit) else None

    return check


def _pattern(rule: FieldPatternRule, fields: Mapping[str, FieldSpec]) -> Check:
    name = rule.field_id
    message = rule.error_message or (
        f"{field_label(fields.get(name), name)} does not match the required format"
    )
    try:
        compiled = compile_pattern(rule.pattern)
    except PatternError as exc:
        broken = f"{message} ({exc})"

        def refuse(
            values: Mapping[str, Any], now: datetime, calendar: BusinessCalendar
        ) -> str | None:
            return None if is_empty(values.get(name)) else broken

        return refuse
    search = compiled.search

    def check(values: Mapping[str, Any], now: datetime, calendar: BusinessCalendar) -> str | None:
        raw = values.get(name)
        if is_empty(raw):
            return None
        return None if search(raw if isinstance(raw, str) else str(raw)) else message

    return check


def _comparable(spec: FieldSpec | None, raw: object, calendar: BusinessCalendar) -> object:
    """A field value as the kind it is compared as (dates and datetimes stay distinct)."""
    field_type = spec.field_type if spec is not None else None
    if field_type in NUMERIC_TYPES:
        return stored_number(raw)
    if field_type is FieldType.DATE:
        return parse_date(raw)
    if field_type is FieldType.DATETIME:
        return parse_datetime(raw)
    return raw if isinstance(raw, str | bool) else None


def _constant(
    spec: FieldSpec | None, raw: object, now: datetime, calendar: BusinessCalendar
) -> object:
    text = str(raw).strip().lower()
    if spec is not None and spec.field_type in {FieldType.DATE, FieldType.DATETIME}:
        if text == "today":
            return calendar.today(now)
        if text == "now":
            return now
        return parse_date(str(raw)) or parse_datetime(str(raw))
    return _comparable(spec, raw, calendar)


def _align(left: object, right: object, calendar: BusinessCalendar) -> tuple[object, object]:
    """Compare a date with a datetime at the day of the datetime in the tenant's zone."""
    if isinstance(left, datetime) and not isinstance(right, datetime):
        return calendar.local_date(left), right
    if isinstance(right, datetime) and not isinstance(left, datetime):
        return left, calendar.local_date(right)
    return left, right


def _comparison(rule: FieldComparisonRule, fields: Mapping[str, FieldSpec]) -> Check:
    name, other = rule.field_id, rule.compare_field_id
    spec = fields.get(name)
    other_spec = fields.get(other) if other is not None else None
    test = _OPERATORS[rule.operator]
    is_day = spec is not None and spec.field_type in {FieldType.DATE, FieldType.DATETIME}
    words = (_DATE_WORDS if is_day else _NUMBER_WORDS)[rule.operator]
    target = field_label(other_spec, other) if other is not None else str(rule.compare_value)
    message = rule.error_message or f"{field_label(spec, name)} must be {words} {target}"
    mismatch = rule.error_message or f"{field_label(spec, name)} cannot be compared with {target}"
    constant = rule.compare_value

    def check(values: Mapping[str, Any], now: datetime, calendar: BusinessCalendar) -> str | None:
        raw = values.get(name)
        if is_empty(raw):
            return None
        if other is not None:
            raw_other = values.get(other)
            if is_empty(raw_other):
                return None
            right = _comparable(other_spec, raw_other, calendar)
        else:
            right = _constant(spec, constant, now, calendar)
        left = _comparable(spec, raw, calendar)
        if left is None or right is None:
            return mismatch
        left, right = _align(left, right, calendar)
        try:
            return None if test(left, right) else message
        except TypeError:
            return mismatch

    return check


def _custom(rule: CustomExpressionRule, fields: Mapping[str, FieldSpec]) -> Check:
    name = rule.field_id
    base = rule.error_message or (
        f"{field_label(fields.get(name), name)}: condition `{rule.expression}` is not met"
        if name
        else f"condition `{rule.expression}` is not met"
    )
    try:
        expression = compile_expression(rule.expression, fields=fields)
    except ExpressionError as exc:
        broken = f"{base} ({exc})"

        def refuse(
            values: Mapping[str, Any], now: datetime, calendar: BusinessCalendar
        ) -> str | None:
            return broken

        return refuse
    evaluate = expression.value_or_error

    def check(values: Mapping[str, Any], now: datetime, calendar: BusinessCalendar) -> str | None:
        if name is not None and is_empty(values.get(name)):
            return None
        value, error = evaluate(values, now, calendar)
        if error is not None:
            return f"{base} ({error})"
        return None if value is True else base

    return check


def _build(rule: ValidationRule, fields: Mapping[str, FieldSpec]) -> Check:
    if isinstance(rule, FieldRequiredRule):
        return _required(rule, fields)
    if isinstance(rule, FieldMinValueRule | FieldMaxValueRule):
        return _bound(rule, fields)
    if isinstance(rule, FieldPatternRule):
        return _pattern(rule, fields)
    if isinstance(rule, FieldComparisonRule):
        return _comparison(rule, fields)
    return _custom(rule, fields)


def _reads(rule: ValidationRule) -> tuple[str, ...]:
    """The field names whose definitions a built check depends on."""
    names = [rule.field_id] if rule.field_id is not None else []
    if isinstance(rule, FieldComparisonRule) and rule.compare_field_id is not None:
        names.append(rule.compare_field_id)
    if isinstance(rule, CustomExpressionRule):
        with contextlib.suppress(ExpressionError):
            names.extend(sorted(referenced_names(rule.expression)))
    return tuple(names)


_MAX_CACHED: Final = 1024


@dataclass(frozen=True, slots=True)
class _Plan:
    """The built checks of one validations tuple, and the definitions they were built on."""

    rules: tuple[ValidationRule, ...]
    names: tuple[str, ...]
    specs: tuple[FieldSpec | None, ...]
    checks: tuple[Check, ...]


_plans: dict[int, _Plan] = {}


def _plan(rules: tuple[ValidationRule, ...], fields: Mapping[str, FieldSpec]) -> _Plan:
    """The checks for ``rules``, rebuilt only when the rules or a definition they read change.

    The plan holds the rules tuple itself, so an identity match is never a
    recycled id; rules and field specs are frozen, so identity means same content.
    Comparing the spec tuples compares identities first, which keeps a hit cheap.
    """
    plan = _plans.get(id(rules))
    if (
        plan is not None
        and plan.rules is rules
        and tuple(map(fields.get, plan.names)) == plan.specs
    ):
        return plan
    names = tuple(dict.fromkeys(name for rule in rules for name in _reads(rule)))
    plan = _Plan(
        rules=rules,
        names=names,
        specs=tuple(map(fields.get, names)),
        checks=tuple(_build(rule, fields) for rule in rules),
    )
    if len(_plans) >= _MAX_CACHED:
        _plans.clear()
    _plans[id(rules)] = plan
    return plan


def required_violations(
    *, required: Sequence[str], fields: Mapping[str, FieldSpec], values: Mapping[str, Any]
) -> tuple[Violation, ...]:
    """The fields of ``required`` (a field view's) that have no value."""
    return tuple(
        Violation(
            rule_id=f"required:{name}",
            field_id=name,
            message=f"{field_label(fields.get(name), name)} is required",
        )
        for name in required
        if is_empty(values.get(name))
    )


def rule_violations(
    *,
    rules: tuple[ValidationRule, ...],
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> tuple[Violation, ...]:
    """Every rule of ``rules`` that ``values`` fail, in order."""
    plan = _plan(rules, fields)
    violations: list[Violation] = []
    for rule, check in zip(plan.rules, plan.checks, strict=True):
        message = check(values, now, calendar)
        if message is not None:
            violations.append(Violation(rule_id=rule.id, field_id=rule.field_id, message=message))
    return tuple(violations)


def validate_step(
    *,
    config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> ValidationResult:
    """Every failed requirement and rule of ``config`` for an item with ``values``."""
    violations: tuple[Violation, ...] = ()
    if config.field_configs:
        view = field_view(config=config, fields=fields, values=values, now=now, calendar=calendar)
        violations = required_violations(required=view.required, fields=fields, values=values)
    rules = rule_violations(
        rules=tuple(config.validations), fields=fields, values=values, now=now, calendar=calendar
    )
    return ValidationResult(violations=violations + rules if violations else rules)
