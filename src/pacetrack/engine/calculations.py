"""Recalculation of derived fields after a change.

Calculations run in dependency order (a calculation reading another's output
runs after it; ties keep config order). A calculation on a cycle, or one whose
input could not be calculated, reports an error and leaves its output alone.

Empty inputs: ``sum`` and ``average`` skip empty fields and clear the output
when every listed field is empty; ``percentage`` and ``date_diff`` clear it
when either input is empty; a ``custom`` expression follows the expression
language's null rules and clears the output when it gives null. A zero
denominator is an error, never a crash; so is an input or a result outside the
bounds of ``expressions.limits``, which is never spelled out as text to store.

Rounding (half up): to ``FieldSpec.precision`` places when set, else currency to
2 places; other numbers keep at most 10 decimal places, without trailing zeros.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, DecimalException, InvalidOperation, Overflow
from typing import Any, Final

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import (
    AverageCalculation,
    Calculation,
    CustomCalculation,
    DateDiffCalculation,
    PercentageCalculation,
    StepConfig,
    SumCalculation,
)
from pacetrack.engine.config_check import calculation_inputs
from pacetrack.engine.expressions import ExpressionError, compile_expression
from pacetrack.engine.expressions.limits import NUMBERS, TOO_LARGE, bounded_number, number_problem
from pacetrack.engine.expressions.runtime import is_empty
from pacetrack.engine.fields import (
    NUMERIC_TYPES,
    FieldSpec,
    FieldType,
    datetime_to_json,
    decimal_to_json,
    normalize_value,
    parse_date,
    parse_datetime,
)

DEFAULT_MAX_PLACES: Final = 10
HUNDRED: Final = Decimal(100)


@dataclass(frozen=True, kw_only=True)
class CalculationError:
    calculation_id: str
    output_field_id: str
    message: str


@dataclass(frozen=True, kw_only=True)
class CalculationOutcome:
    """New canonical values of the output fields that were calculated, and the failures."""

    values: Mapping[str, Any]
    errors: tuple[CalculationError, ...] = ()


class _Failed(Exception):
    """A calculation cannot produce a value; the message is reported as its error."""


def calculation_order(calculations: Sequence[Calculation]) -> tuple[list[int], list[int]]:
    """Indexes in dependency order, and the indexes left on (or behind) a cycle."""
    producer: dict[str, int] = {}
    for index, calc in enumerate(calculations):
        producer.setdefault(calc.output_field_id, index)
    dependents: dict[int, list[int]] = {index: [] for index in range(len(calculations))}
    waiting = [0] * len(calculations)
    for index, calc in enumerate(calculations):
        for source in {producer[name] for name in calculation_inputs(calc) if name in producer}:
            dependents[source].append(index)
            waiting[index] += 1
    ready = [index for index, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for dependent in dependents[index]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, dependent)
    placed = set(order)
    return order, [index for index in range(len(calculations)) if index not in placed]


def _number(name: str, values: Mapping[str, Any]) -> Decimal | None:
    raw = values.get(name)
    if is_empty(raw):
        return None
    number, problem = bounded_number(raw)
    if problem is not None:
        raise _Failed(f"`{name}` holds a number that {problem}")
    if number is None:
        raise _Failed(f"`{name}` does not hold a number")
    return number


def _day(
    name: str,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    calendar: BusinessCalendar,
) -> date | None:
    raw = values.get(name)
    if is_empty(raw):
        return None
    spec = fields.get(name)
    if spec is not None and spec.field_type is FieldType.DATETIME:
        moment = parse_datetime(raw)
        if moment is None:
            raise _Failed(f"`{name}` does not hold a date and time")
        return calendar.local_date(moment)
    day = parse_date(raw)
    if day is None:
        raise _Failed(f"`{name}` does not hold a date")
    return day


def _total(numbers: list[Decimal]) -> Decimal:
    total = Decimal(0)
    for number in numbers:
        total = NUMBERS.add(total, number)
    return total


def _compute(
    calc: Calculation,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> object:
    if isinstance(calc, SumCalculation | AverageCalculation):
        numbers = [n for n in (_number(name, values) for name in calc.field_ids) if n is not None]
        if not numbers:
            return None
        total = _total(numbers)
        if isinstance(calc, SumCalculation):
            return total
        return NUMBERS.divide(total, Decimal(len(numbers)))
    if isinstance(calc, PercentageCalculation):
        numerator = _number(calc.numerator_field_id, values)
        denominator = _number(calc.denominator_field_id, values)
        if numerator is None or denominator is None:
            return None
        if not denominator:
            raise _Failed(f"division by zero: `{calc.denominator_field_id}` is 0")
        return NUMBERS.multiply(NUMBERS.divide(numerator, denominator), HUNDRED)
    if isinstance(calc, DateDiffCalculation):
        start = _day(calc.start_field_id, fields, values, calendar)
        end = _day(calc.end_field_id, fields, values, calendar)
        if start is None or end is None:
            return None
        if calc.day_kind == "business":
            return Decimal(calendar.business_days_between(start, end))
        return Decimal((end - start).days)
    return _custom(calc, fields, values, now, calendar)


def _custom(
    calc: CustomCalculation,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> object:
    try:
        expression = compile_expression(calc.expression, fields=fields)
    except ExpressionError as exc:
        raise _Failed(f"the expression does not compile: {exc}") from exc
    outcome = expression.evaluate(values, now=now, calendar=calendar)
    if outcome.error is not None:
        raise _Failed(outcome.error)
    return outcome.value


def _rounded(number: Decimal, places: int) -> Decimal:
    try:
        return number.quantize(
            Decimal(1).scaleb(-places, NUMBERS), rounding=ROUND_HALF_UP, context=NUMBERS
        )
    except InvalidOperation as exc:
        # quantize refuses a result with more digits than the precision instead of rounding.
        raise _Failed(
            f"the result has more than {NUMBERS.prec} digits "
            f"when rounded to {places} decimal places"
        ) from exc


def round_for(spec: FieldSpec, number: Decimal) -> Decimal:
    """``number`` rounded half up as the output field stores it."""
    places = spec.precision
    if places is None and spec.field_type is FieldType.CURRENCY:
        places = 2
    if places is not None:
        return _rounded(number, places)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -DEFAULT_MAX_PLACES:
        number = _rounded(number, DEFAULT_MAX_PLACES)
    # Without a set precision, trailing zeros carry no meaning (25 / 1000 * 100 is 2.5).
    return number.normalize(NUMBERS)


def to_output(spec: FieldSpec, value: object, calendar: BusinessCalendar) -> object:
    """The canonical JSON form of a calculated value for the output field."""
    if value is None:
        return None
    # The canonical text of a number spells out every digit (1E+999999 is a million
    # characters), so a number outside the bounds is an error before it becomes text.
    if isinstance(value, Decimal) and (problem := number_problem(value)) is not None:
        raise _Failed(f"the result {problem}")
    if spec.field_type in NUMERIC_TYPES:
        if not isinstance(value, Decimal):
            raise _Failed(f"the result is not a number, {spec.display_name} needs one")
        raw: object = decimal_to_json(round_for(spec, value))
    elif isinstance(value, datetime):
        raw = (
            calendar.local_date(value).isoformat()
            if spec.field_type is FieldType.DATE
            else datetime_to_json(value)
        )
    elif isinstance(value, date):
        raw = value.isoformat()
    elif isinstance(value, Decimal):
        raw = decimal_to_json(value)
    elif isinstance(value, tuple):
        raw = list(value)
    else:
        raw = value
    normalized = normalize_value(spec, raw)
    if normalized.error is not None:
        raise _Failed(f"the result is refused: {normalized.error}")
    return normalized.value


def recalculate(
    *,
    calculations: Sequence[Calculation],
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> CalculationOutcome:
    """Run every calculation on ``values``; later calculations see earlier results."""
    order, cyclic = calculation_order(calculations)
    working = dict(values)
    results: dict[str, Any] = {}
    errors: list[CalculationError] = []
    failed_outputs: set[str] = set()

    def fail(calc: Calculation, message: str) -> None:
        failed_outputs.add(calc.output_field_id)
        errors.append(
            CalculationError(
                calculation_id=calc.id, output_field_id=calc.output_field_id, message=message
            )
        )

    for index in order:
        calc = calculations[index]
        spec = fields.get(calc.output_field_id)
        if spec is None:
            fail(calc, f"unknown output field `{calc.output_field_id}`")
            continue
        blocked = [name for name in calculation_inputs(calc) if name in failed_outputs]
        if blocked:
            fail(calc, f"input `{blocked[0]}` could not be calculated")
            continue
        try:
            value = to_output(spec, _compute(calc, fields, working, now, calendar), calendar)
        except _Failed as exc:
            fail(calc, str(exc))
            continue
        except Overflow:
            fail(calc, TOO_LARGE)
            continue
        except DecimalException:
            fail(calc, "the result cannot be calculated (the arithmetic is undefined)")
            continue
        working[calc.output_field_id] = value
        results[calc.output_field_id] = value
    for index in cyclic:
        fail(calculations[index], "the calculation is on a dependency cycle")
    return CalculationOutcome(values=results, errors=tuple(errors))


def apply_calculations(
    *,
    config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> tuple[dict[str, Any], tuple[CalculationError, ...]]:
    """``values`` with the step's calculations applied (an empty result clears its output)."""
    merged = dict(values)
    if not config.calculations:
        return merged, ()
    outcome = recalculate(
        calculations=config.calculations, fields=fields, values=merged, now=now, calendar=calendar
    )
    for name, value in outcome.values.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged, outcome.errors
