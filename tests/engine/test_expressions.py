"""The expression language: values, functions, null rules, save-time errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from engine_support import CALENDAR, FIELDS, NOW

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.expressions import (
    EvalOutcome,
    ExpressionError,
    ValueType,
    compile_expression,
    function_summaries,
    referenced_names,
    referenced_paths,
)
from pacetrack.engine.expressions.functions import FUNCTION_NAMES

ITEM: dict[str, Any] = {
    "deal_value": "6000.00",
    "discount_pct": "10",
    "decision_maker": "Ada Lovelace",
    "close_date": "2026-03-20",
    "start_date": "2026-03-06",
    "end_date": "2026-03-16",
    "met_at": "2026-03-10T23:30:00Z",
    "deal_lost": False,
    "tech_stack": ["python", "rust"],
    "dimensions": {"sqft": 120, "size": {"w": 10}},
    "material": {"cost_per_sqft": 4.5, "name": "oak"},
    "clicks": "0",
    "email": "ada@example.com",
}


def run(source: str, values: dict[str, Any] | None = None, **kw: Any) -> EvalOutcome:
    expression = compile_expression(source, fields=FIELDS)
    return expression.evaluate(
        ITEM if values is None else values, now=kw.get("now", NOW), calendar=kw.get("cal", CALENDAR)
    )


def value(source: str, values: dict[str, Any] | None = None) -> object:
    outcome = run(source, values)
    assert outcome.error is None, outcome.error
    return outcome.value


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("0.1 + 0.2", Decimal("0.3")),
        ("0.1 + 0.2 = 0.3", True),
        ("1 - 3", Decimal(-2)),
        ("2 * 3.5", Decimal("7.0")),
        ("7 / 2", Decimal("3.5")),
        ("7 % 3", Decimal(1)),
        ("2 ** 10", Decimal(1024)),
        ("2 ^ 3", Decimal(8)),
        ("-2 ** 2", Decimal(-4)),
        ("1 + 2 * 3", Decimal(7)),
        ("(1 + 2) * 3", Decimal(9)),
        ("5000 * 1.5", Decimal("7500.0")),
        ("discount_pct / 100 * deal_value", Decimal("600.0000")),
        ("deal_value * (1 - discount_pct / 100) * 0.1", Decimal("540.000000")),
        ("dimensions.sqft * material.cost_per_sqft", Decimal("540.0")),
        ("dimensions.size.w", Decimal(10)),
        ("dimensions.missing", None),
        ("'a' + \"b\"", "ab"),
        ("'it\\'s'", "it's"),
        ("true and not false", True),
        ("true && !false || false", True),
        ("deal_value > 5000 and decision_maker != ''", True),
        ("deal_value >= 6000", True),
        ("deal_value < 6000", False),
        ("deal_value <= 6000", True),
        ("deal_value == 6000", True),
        ("deal_value <> 6000", False),
        ("'big' if deal_value > 5000 else 'small'", "big"),
        ("if(deal_value > 10000, 'big', 'small')", "small"),
        ("close_date > start_date", True),
        ("close_date - start_date", Decimal(14)),
        ("close_date + 1", date(2026, 3, 21)),
        ("close_date - 1", date(2026, 3, 19)),
        ("today", date(2026, 3, 11)),
        ("today()", date(2026, 3, 11)),
        ("now", NOW),
        ("now()", NOW),
        ("date('2026-01-31')", date(2026, 1, 31)),
        ("datetime('2026-01-31T10:00:00Z')", datetime(2026, 1, 31, 10, tzinfo=UTC)),
        ("close_date > date('2026-03-01')", True),
        ("null", None),
        ("deal_lost = false", True),
        ("lost_reason = null", True),
        ("tech_stack = tech_stack", True),
    ],
)
def test_operators_and_literals(source: str, expected: object) -> None:
    assert value(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("round(2.345, 2)", Decimal("2.35")),
        ("round(2.5)", Decimal(3)),
        ("round(-2.5)", Decimal(-3)),
        ("floor(2.7)", Decimal(2)),
        ("floor(-2.2)", Decimal(-3)),
        ("ceil(2.1)", Decimal(3)),
        ("abs(-4)", Decimal(4)),
        ("min(3, 1, 2)", Decimal(1)),
        ("max(3, 1, 2)", Decimal(3)),
        ("min(close_date, start_date)", date(2026, 3, 6)),
        ("max(deal_value, null)", Decimal("6000.00")),
        ("min(null, null)", None),
        ("sum(1, 2, 3.5)", Decimal("6.5")),
        ("sum(deal_value, company_size)", Decimal("6000.00")),
        ("sum(null)", Decimal(0)),
        ("average(1, 2, 6)", Decimal(3)),
        ("average(2, null, 4)", Decimal(3)),
        ("average(null)", None),
        ("coalesce(company_size, deal_value)", Decimal("6000.00")),
        ("coalesce(null, null)", None),
        ("coalesce(deal_value, 1 / 0)", Decimal("6000.00")),
        ("is_empty(company_size)", True),
        ("is_empty(decision_maker)", False),
        ("is_empty('  ')", True),
        ("is_empty(tech_stack)", False),
        ("len(decision_maker)", Decimal(12)),
        ("len(tech_stack)", Decimal(2)),
        ("len(notes)", Decimal(0)),
        ("lower(decision_maker)", "ada lovelace"),
        ("upper(decision_maker)", "ADA LOVELACE"),
        ("lower(notes)", None),
        ("trim('  x ')", "x"),
        ("contains(decision_maker, 'Love')", True),
        ("contains(tech_stack, 'python')", True),
        ("contains(tech_stack, 'go')", False),
        ("contains(notes, 'x')", False),
        ("starts_with(decision_maker, 'Ada')", True),
        ("ends_with(email, '@example.com')", True),
        ("starts_with(notes, 'x')", False),
        ("matches(email, '^[a-z]+@example\\\\.com$')", True),
        ("matches(decision_maker, '^[0-9]+$')", False),
        ("matches(notes, 'x')", False),
        ("days_between(start_date, end_date)", Decimal(10)),
        ("days_between(end_date, start_date)", Decimal(-10)),
        ("days_between(start_date, today)", Decimal(5)),
        ("business_days_between(start_date, end_date)", Decimal(6)),
        ("add_days(close_date, 12)", date(2026, 4, 1)),
        ("add_days(close_date, -20)", date(2026, 2, 28)),
        ("add_business_days(date('2026-03-13'), 1)", date(2026, 3, 16)),
        ("year(close_date)", Decimal(2026)),
        ("month(close_date)", Decimal(3)),
        ("day(close_date)", Decimal(20)),
        ("day(met_at)", Decimal(10)),
        ("if(true, 1, 1 / 0)", Decimal(1)),
        ("if(deal_lost, 1, 2)", Decimal(2)),
        ("if(null, 1, 2)", Decimal(2)),
    ],
)
def test_functions(source: str, expected: object) -> None:
    assert value(source) == expected


def test_local_dates_follow_the_tenant_time_zone() -> None:
    tokyo = BusinessCalendar(time_zone="Asia/Tokyo")
    outcome = run("day(met_at)", cal=tokyo)
    assert outcome.value == Decimal(11)
    assert run("today", cal=tokyo, now=datetime(2026, 3, 11, 20, tzinfo=UTC)).value == date(
        2026, 3, 12
    )


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("deal_value / 0", "division by zero"),
        ("deal_value % 0", "division by zero"),
        ("0 ** -1", "division by zero"),
        ("company_size + 1", "left of + is empty where a value is needed"),
        ("company_size > 1", "cannot order an empty value"),
        ("-company_size", "empty where a number is needed"),
        ("round(company_size)", "empty where a number is needed"),
        ("round(1, 1000)", "round's places must be a whole number"),
        ("add_days(close_date, 0.5)", "must be a whole number"),
        ("add_days(close_date, 10000000)", "must be a whole number between"),
        ("material.name * 2", "text where a number is needed"),
        ("dimensions.sqft.x", "number has no key `x`"),
        ("'a' + material.cost_per_sqft", "cannot add text and number"),
        ("10 ** 1000 * 10 ** 1000", "the result has more than 100 digits"),
        ("10 ** 100", "the result has more than 100 digits"),
        ("0 ** 0", "0 ** 0 is undefined"),
        ("(0 - 4) ** 0.5", "a negative number has no fractional power"),
        ("date(decision_maker)", "is not a date"),
        ("matches(decision_maker, decision_maker + '(')", "invalid regular expression"),
    ],
)
def test_runtime_failures_are_reported_not_raised(source: str, error: str) -> None:
    outcome = run(source)
    assert outcome.value is None
    assert outcome.error is not None and error in outcome.error


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("10 ** 99", {}, Decimal("1E+99")),
        ("company_size", {"company_size": "9" * 100}, Decimal("9" * 100)),
        ("company_size", {"company_size": "9.999e99"}, Decimal("9.999e99")),
        ("company_size * 1", {"company_size": "1e-99"}, Decimal("1e-99")),
        ("company_size", {"company_size": "1e-132"}, Decimal("1e-132")),
        ("company_size", {"company_size": "0e+999999999"}, Decimal(0)),
        ("company_size / 10 ** 99", {"company_size": "1e-99"}, Decimal(0)),
        ("dimensions.sqft", {"dimensions": {"sqft": 10**99}}, Decimal(10**99)),
        ("len(upper(decision_maker))", {"decision_maker": "ß" * 5_000}, Decimal(10_000)),
        ("len(upper(notes))", {"notes": "a" * 100_000}, Decimal(100_000)),
    ],
)
def test_numbers_and_texts_up_to_the_bounds_are_values(
    source: str, values: dict[str, Any], expected: object
) -> None:
    assert value(source, values) == expected


@pytest.mark.parametrize(
    ("source", "values", "error"),
    [
        ("company_size", {"company_size": "1e100"},
         "field `company_size` holds a number that has more than 100 digits"),
        ("company_size", {"company_size": "1e-133"},
         "field `company_size` holds a number that has more than 132 decimal places"),
        ("company_size", {"company_size": -(10**100)},
         "field `company_size` holds a number that has more than 100 digits"),
        ("company_size", {"company_size": "1" + "0" * 100},
         "field `company_size` does not hold a number"),
        ("dimensions.sqft", {"dimensions": {"sqft": [1, 10**100]}},
         "`dimensions.sqft` holds a number that has more than 100 digits"),
        ("company_size * 10", {"company_size": "9.999e99"}, "the result has more than 100 digits"),
        ("upper(decision_maker)", {"decision_maker": "ß" * 5_001},
         "the text would be longer than 10,000 characters"),
        ("upper(notes)", {"notes": "ß" * 50_001 + "a" * 49_999},
         "the text would be longer than 10,000 characters"),
    ],
)  # fmt: skip
def test_values_beyond_the_bounds_fail_the_evaluation(
    source: str, values: dict[str, Any], error: str
) -> None:
    assert run(source, values) == EvalOutcome(value=None, error=error)


def test_null_semantics() -> None:
    empty: dict[str, Any] = {}
    assert value("company_size = null", empty) is True
    assert value("company_size != 5", empty) is True
    assert value("deal_lost and true", empty) is False
    assert value("not deal_lost", empty) is True
    assert value("deal_lost or true", empty) is True
    assert value("coalesce(company_size, 0) + 1", empty) == Decimal(1)
    assert run("company_size * 2", empty).error == "left of * is empty where a number is needed"


def test_bad_stored_values_are_errors() -> None:
    assert run("deal_value + 1", {"deal_value": "lots"}).error == (
        "field `deal_value` does not hold a number"
    )
    assert run("close_date > today", {"close_date": "soon"}).error == (
        "field `close_date` does not hold a date"
    )


@pytest.mark.parametrize(
    ("source", "position", "message", "suggestion"),
    [
        ("deal_valu > 5", 0, "unknown field `deal_valu`", "deal_value"),
        ("1 + deal_valu", 4, "unknown field `deal_valu`", "deal_value"),
        ("rund(deal_value)", 0, "unknown function `rund`", "round"),
        ("averge(1, 2)", 0, "unknown function `averge`", "average"),
        ("close_date > 5", 11, "cannot compare date with number", None),
        ("deal_value = 'x'", 11, "cannot compare number with text", None),
        ("deal_value - close_date", 11, "cannot subtract number and date", None),
        ("'a' * 3", 4, "cannot multiply text and number", None),
        ("'%999999999d' % 1", 14, "cannot take % of text and number", None),
        ("deal_lost + 1", 10, "cannot add a boolean value", None),
        ("deal_value and true", 0, "`and` needs boolean, got number", None),
        ("not deal_value", 4, "`not` needs boolean, got number", None),
        ("if(1, 2, 3)", 3, "a condition needs boolean, got number", None),
        ("if(true, 1)", 0, "if takes 3 arguments", None),
        ("'a' if true else 1", 17, "the two branches give text and number", None),
        ("round('x')", 6, "round expects number as argument 1, got text", None),
        ("len(deal_value)", 4, "len expects list or text as argument 1, got number", None),
        ("days_between(deal_value, today)", 13, "days_between expects date or datetime", None),
        ("lower()", 0, "lower takes 1 argument, got 0", None),
        ("sum()", 0, "sum takes one or more arguments, got 0", None),
        ("min(1, today)", 0, "min needs arguments of one kind", None),
        ("coalesce(1, 'a')", 0, "coalesce needs arguments of one kind", None),
        ("matches(email, '(a')", 15, "invalid regular expression", None),
        ("date('2026-02-30')", 5, "is not a valid date", None),
        ("deal_value.cents", 10, "`deal_value` is a currency field and has no keys", None),
        ("deal_value(1)", 0, "`deal_value` is a field, not a function", None),
        ("round", 0, "`round` is a function", None),
        ("1 < 2 < 3", 6, "comparisons cannot be chained", None),
        ("(1 + 2", 6, "expected `)`, found the end", None),
        ("1 +", 3, "expected a value, found the end", None),
        ("", 0, "the expression is empty", None),
        ("'abc", 0, "unterminated string", None),
        ("1.2.3", 0, "malformed number", None),
        ("12abc", 0, "malformed number", None),
        ("deal_value # comment", 11, "unexpected character `#`", None),
        ("company_size > null", 13, "null cannot be ordered", None),
        ("null + 1", 5, "cannot add null", None),
        ("tech_stack < tech_stack", 11, "list values cannot be ordered", None),
        ("deal_value deal_value", 11, "unexpected `deal_value`", None),
    ],
)
def test_save_time_errors_have_positions_and_suggestions(
    source: str, position: int, message: str, suggestion: str | None
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source, fields=FIELDS)
    error = caught.value
    assert error.position == position, str(error)
    assert message in error.message
    assert error.suggestion == suggestion


def test_error_text_reads_like_a_sentence() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression("deal_valu > 5000", fields=FIELDS)
    assert str(caught.value) == "unknown field `deal_valu` at 0, did you mean `deal_value`?"


def test_result_type_and_referenced_fields() -> None:
    expression = compile_expression("dimensions.sqft * material.cost_per_sqft", fields=FIELDS)
    assert expression.referenced_fields == frozenset({"dimensions", "material"})
    assert expression.result_type is ValueType.ANY
    assert compile_expression("deal_value > 1", fields=FIELDS).result_type is ValueType.BOOLEAN
    assert compile_expression("close_date + 1", fields=FIELDS).result_type is ValueType.DATE
    assert referenced_names("a + b.c + f(d)") == frozenset({"a", "b", "d"})
    assert referenced_paths("a + b.c + f(d, b.e.g)") == frozenset({"a", "b.c", "d", "b.e.g"})


def test_every_callable_name_has_a_summary_naming_it() -> None:
    summaries = function_summaries()
    assert list(summaries) == sorted(FUNCTION_NAMES)
    for name, summary in summaries.items():
        assert summary.startswith(f"{name}("), summary


def test_compiled_expressions_are_shared_per_source_and_fields() -> None:
    first = compile_expression("deal_value * 2", fields=FIELDS)
    again = compile_expression("deal_value * 2", fields=dict(FIELDS))
    assert first is again


def test_evaluation_does_not_touch_the_values() -> None:
    values = {"dimensions": {"sqft": 120}, "deal_value": "1.00"}
    snapshot = repr(values)
    run("dimensions.sqft * 2 + deal_value", values)
    assert repr(values) == snapshot
