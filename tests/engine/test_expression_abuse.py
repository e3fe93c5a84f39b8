"""Hostile expressions: escapes are refused at save time, resource abuse is bounded.

Cases that could exhaust memory if a guard regressed run in a child process
with an address-space limit and a CPU limit, so a regression fails the test
instead of taking the test run down.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from engine_support import CALENDAR, FIELDS, NOW
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacetrack.engine.expressions import ExpressionError, compile_expression
from pacetrack.engine.fields import decimal_to_json

ESCAPES = [
    "().__class__.__bases__[0].__subclasses__()",
    "__import__('os').system('id')",
    "deal_value.__class__",
    "decision_maker.__len__()",
    "'a'.ljust(1000000000)",
    "'{:>999999999}'.format(1)",
    "lambda: 1",
    "[x for x in tech_stack]",
    "{k: 1 for k in tech_stack}",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('1')",
    "getattr(deal_value, 'real')",
    "globals()",
    "import os",
    "tech_stack[0]",
    "dimensions['sqft']",
    "owner.clear()",
    "material.name.upper()",
    "f'{deal_value}'",
    "deal_value; 1",
    "x := 1",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escapes_are_refused_when_saved(source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source, fields=FIELDS)


REFUSED_AT_SAVE = [
    "'%999999999d' % 1",
    "'a' * 1000000000",
    "tech_stack * 1000000000",
    "'a' + 1",
    "(" * 100 + "1" + ")" * 100,
    "-" * 200 + "1",
    "not " * 200 + "true",
    "1" + "+1" * 14_999,
    "1" * 5_000,
    "x" * 5_000,
    "'" + "a" * 5_000 + "'",
    "round(" * 60 + "1" + ")" * 60,
    "sum(" + ",".join(["1"] * 2_000) + ")",
]


@pytest.mark.parametrize("source", REFUSED_AT_SAVE, ids=lambda s: s[:30])
def test_abuse_that_the_checker_can_see_is_refused_with_a_position(source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source, fields=FIELDS)
    assert 0 <= caught.value.position <= len(source)


TOO_LARGE = "the result has more than 100 digits"
TEXT_TOO_LONG = "the text would be longer than 10,000 characters"
BIG = "1e999999999"  # eleven characters that parse to a number with a billion digits
TINY = "1e-999999999"
WIDE = "9" * 64  # the longest number normalization accepts
LONG_TEXTS = {"decision_maker": "x" * 9_000, "notes": "a" * 99_999 + "!"}

BOUNDED_AT_RUN = [
    ("3999999 ** 3999999", "exponents are limited to ±1000"),
    ("9 ** 9 ** 9 ** 9", "exponents are limited to ±1000"),
    ("9 ** 999", TOO_LARGE),
    ("(10 ** 90) * (10 ** 90)", TOO_LARGE),
    ("2 ** 0.5 ** 999", None),
    ("decision_maker + decision_maker", TEXT_TOO_LONG),
    ("add_days(today, 999999999)", "add_days' days must be a whole number between"),
    ("add_business_days(today, 999999)", None),
    ("business_days_between(date('0001-01-01'), date('9999-12-31'))", None),
    ("round(1, 999999999)", "round's places must be a whole number between"),
    ("1 / 3 * 3", None),
    ("matches(notes, '(a+)+$')", None),
    ("lower(notes) + upper(notes)", TEXT_TOO_LONG),
]

_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    sys.path.insert(0, "tests/engine")
    resource.setrlimit(resource.RLIMIT_AS, (1_000_000_000, 1_000_000_000))
    resource.setrlimit(resource.RLIMIT_CPU, (20, 20))
    from decimal import Decimal
    from engine_support import CALENDAR, FIELDS, NOW
    from pacetrack.engine import config
    from pacetrack.engine.calculations import recalculate
    from pacetrack.engine.expressions import compile_expression
    from pacetrack.engine.fields import decimal_to_json
    from pacetrack.engine.validations import validate_step
    case = json.load(sys.stdin)
    values = case["values"]
    if "expression" in case:
        outcome = compile_expression(case["expression"], fields=FIELDS).evaluate(
            values, now=NOW, calendar=CALENDAR
        )
        value, error = outcome.value, outcome.error
        if isinstance(value, Decimal):
            # What a caller does with a number it stores or shows.
            value = decimal_to_json(value)
    elif "calculation" in case:
        calc = getattr(config, case["kind"])(**case["calculation"])
        result = recalculate(
            calculations=(calc,), fields=FIELDS, values=values, now=NOW, calendar=CALENDAR
        )
        value = result.values.get(calc.output_field_id)
        error = result.errors[0].message if result.errors else None
    else:
        arguments = {
            key: Decimal(item) if key.endswith("_value") else item
            for key, item in case["rule"].items()
        }
        rule = getattr(config, case["kind"])(**arguments)
        result = validate_step(
            config=config.StepConfig(validations=(rule,)),
            fields=FIELDS, values=values, now=NOW, calendar=CALENDAR,
        )
        value, error = None, result.violations[0].message if result.violations else None
    text = value if isinstance(value, str) else str(value)
    print(json.dumps({"error": error, "value": text[:50], "length": len(text)}))
    """
)


def _bounded(case: dict[str, object]) -> dict[str, object]:
    """Runs ``case`` in a child with 1 GB of address space and 20 s of CPU; its report."""
    child = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(case),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    report: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize(("source", "error"), BOUNDED_AT_RUN, ids=lambda s: str(s)[:30])
def test_runtime_abuse_is_bounded_in_a_memory_limited_process(
    source: str, error: str | None
) -> None:
    result = _bounded({"expression": source, "values": LONG_TEXTS})
    if error is None:
        assert result["error"] is None, result
    else:
        assert error in str(result["error"]), result


# Field values are untrusted too: whatever normalization once accepted (or a row holds)
# may reach an evaluation. Each case would allocate gigabytes or run for minutes unguarded.
HUGE_VALUES = [
    ("deal_value ** 999999999", {"deal_value": "2"}, "exponents are limited to ±1000"),
    ("company_size ** company_size", {"company_size": "1001"}, "exponents are limited to ±1000"),
    ("company_size ** company_size", {"company_size": "1000"}, TOO_LARGE),
    ("company_size ** 1000", {"company_size": "1.5"}, TOO_LARGE),
    ("deal_value ** 1000", {"deal_value": WIDE}, TOO_LARGE),
    ("deal_value * deal_value", {"deal_value": WIDE}, TOO_LARGE),
    (" * ".join(["company_size"] * 120), {"company_size": "10"}, TOO_LARGE),
    ("company_size * 10 ** 99", {"company_size": "10"}, TOO_LARGE),
    ("deal_value / discount_pct", {"deal_value": WIDE, "discount_pct": "0." + "0" * 60 + "1"},
     TOO_LARGE),
    ("deal_value % 7", {"deal_value": WIDE}, "the quotient of % would have more than 34 digits"),
    ("round(deal_value, 20)", {"deal_value": WIDE},
     "the rounded number would have more than 34 digits"),
    ("round(deal_value, company_size)", {"deal_value": "1", "company_size": BIG},
     "field `company_size` holds a number that has more than 100 digits"),
    ("deal_value", {"deal_value": BIG},
     "field `deal_value` holds a number that has more than 100 digits"),
    ("-deal_value", {"deal_value": "-" + BIG},
     "field `deal_value` holds a number that has more than 100 digits"),
    ("floor(deal_value)", {"deal_value": BIG},
     "field `deal_value` holds a number that has more than 100 digits"),
    ("max(deal_value, 0)", {"deal_value": BIG},
     "field `deal_value` holds a number that has more than 100 digits"),
    ("coalesce(deal_value, 0)", {"deal_value": BIG},
     "field `deal_value` holds a number that has more than 100 digits"),
    ("deal_value > 0", {"deal_value": 10**4000},
     "field `deal_value` holds a number that has more than 100 digits"),
    ("discount_pct", {"discount_pct": TINY},
     "field `discount_pct` holds a number that has more than 132 decimal places"),
    ("discount_pct", {"discount_pct": "0e-999999999"},
     "field `discount_pct` holds a number that has more than 132 decimal places"),
    ("dimensions.sqft", {"dimensions": {"sqft": 1e308}},
     "`dimensions.sqft` holds a number that has more than 100 digits"),
    ("dimensions.sqft * 2", {"dimensions": {"sqft": 10**4000}},
     "`dimensions.sqft` holds a number that has more than 100 digits"),
    ("company_size + 1", {"company_size": "1" * 10**6},
     "field `company_size` does not hold a number"),
    ("add_days(today, company_size)", {"company_size": BIG},
     "field `company_size` holds a number that has more than 100 digits"),
    ("today + company_size", {"company_size": "999999999"}, "day offsets are limited to 1000000"),
    (" + ".join(["decision_maker"] * 20), {"decision_maker": "x" * 1_000}, TEXT_TOO_LONG),
    ("notes + notes", {"notes": "a" * 99_999}, TEXT_TOO_LONG),
    ("upper(notes)", {"notes": "ß" * 50_000}, TEXT_TOO_LONG),
    ("material.name + material.name", {"material": {"name": "x" * 30_000}}, TEXT_TOO_LONG),
]  # fmt: skip


@pytest.mark.parametrize(("source", "values", "error"), HUGE_VALUES, ids=lambda s: str(s)[:30])
def test_huge_field_values_fail_the_evaluation_within_bounds(
    source: str, values: dict[str, object], error: str
) -> None:
    result = _bounded({"expression": source, "values": values})
    assert result["error"] == error, result
    assert result["value"] == "None"


def test_long_field_text_can_still_be_read_and_changed_in_case() -> None:
    result = _bounded({"expression": "upper(notes)", "values": {"notes": "a" * 99_999}})
    assert (result["error"], result["length"]) == (None, 99_999)


CALCULATIONS = [
    ("CustomCalculation", {"expression": "deal_value"}, {"deal_value": BIG},
     "field `deal_value` holds a number that has more than 100 digits"),
    ("CustomCalculation", {"expression": "deal_value * deal_value"}, {"deal_value": WIDE},
     TOO_LARGE),
    ("CustomCalculation", {"expression": "deal_value * 1"}, {"deal_value": WIDE},
     "the result has more than 34 digits when rounded to 2 decimal places"),
    ("CustomCalculation", {"expression": "dimensions.sqft"}, {"dimensions": {"sqft": 1e308}},
     "`dimensions.sqft` holds a number that has more than 100 digits"),
    ("SumCalculation", {"field_ids": ["deal_value", "list_price"]}, {"deal_value": BIG},
     "`deal_value` holds a number that has more than 100 digits"),
    ("SumCalculation", {"field_ids": ["deal_value", "list_price"]},
     {"deal_value": "9" * 62 + ".00", "list_price": "1" + "0" * 62},
     "the result has more than 34 digits when rounded to 2 decimal places"),
    ("AverageCalculation", {"field_ids": ["deal_value"]}, {"deal_value": TINY},
     "`deal_value` holds a number that has more than 132 decimal places"),
    ("PercentageCalculation",
     {"numerator_field_id": "deal_value", "denominator_field_id": "list_price"},
     {"deal_value": WIDE, "list_price": "1e-60"}, TOO_LARGE),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "calculation", "values", "error"), CALCULATIONS,
                         ids=lambda s: str(s)[:30])  # fmt: skip
def test_calculations_on_huge_values_are_errors_within_bounds(
    kind: str, calculation: dict[str, object], values: dict[str, object], error: str
) -> None:
    calculation = {"id": "c", "output_field_id": "commission", **calculation}
    result = _bounded({"kind": kind, "calculation": calculation, "values": values})
    assert result["error"] == error, result
    assert result["value"] == "None"


def test_a_long_calculated_number_is_stored_in_full_or_refused() -> None:
    # A number field holds at most 28 digits before the point.
    calculation = {"id": "c", "output_field_id": "days", "expression": "company_size * 10 ** 10"}
    for digits, stored in ((18, "9" * 18 + "0" * 10), (19, None), (60, None)):
        values = {"company_size": "9" * digits}
        case = {"kind": "CustomCalculation", "calculation": calculation, "values": values}
        result = _bounded(case)
        assert result["value"] == str(stored)[:50]
        assert (result["error"] is None) == (stored is not None), result


def test_a_calculated_text_cannot_spell_out_a_huge_number() -> None:
    calculation = {"id": "c", "output_field_id": "tracking_number", "expression": "dimensions.n"}
    values = {"dimensions": {"n": 1e300}}
    result = _bounded({"kind": "CustomCalculation", "calculation": calculation, "values": values})
    assert result["error"] == "`dimensions.n` holds a number that has more than 100 digits"


VALIDATIONS = [
    ("CustomExpressionRule", {"expression": "deal_value * deal_value > 0"},
     {"deal_value": WIDE}, f"condition `deal_value * deal_value > 0` is not met ({TOO_LARGE})"),
    ("CustomExpressionRule", {"expression": "deal_value > 0", "field_id": "deal_value"},
     {"deal_value": BIG}, "Deal value: condition `deal_value > 0` is not met "
     "(field `deal_value` holds a number that has more than 100 digits)"),
    ("CustomExpressionRule", {"expression": "len(notes + notes) > 0"},
     {"notes": "a" * 99_999}, f"condition `len(notes + notes) > 0` is not met ({TEXT_TOO_LONG})"),
    ("FieldMinValueRule", {"field_id": "deal_value", "min_value": BIG},
     {"deal_value": "1"}, "Deal value must be at least 1E+999999999"),
    ("FieldMaxValueRule", {"field_id": "deal_value", "max_value": TINY},
     {"deal_value": "1"}, "Deal value must be at most 1E-999999999"),
    ("FieldMinValueRule", {"field_id": "deal_value", "min_value": "1"},
     {"deal_value": "1" * 10**6}, "Deal value must be a number"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "rule", "values", "message"), VALIDATIONS,
                         ids=lambda s: str(s)[:30])  # fmt: skip
def test_validations_on_huge_values_fail_within_bounds(
    kind: str, rule: dict[str, object], values: dict[str, object], message: str
) -> None:
    result = _bounded({"kind": kind, "rule": {"id": "r", **rule}, "values": values})
    assert result["error"] == message, result


def test_evaluation_cannot_change_the_item() -> None:
    values = {"dimensions": {"sqft": 120}, "tech_stack": ["python"]}
    for source in ("is_empty(dimensions)", "len(tech_stack)", "contains(tech_stack, 'go')"):
        compile_expression(source, fields=FIELDS).evaluate(values, now=NOW, calendar=CALENDAR)
    assert values == {"dimensions": {"sqft": 120}, "tech_stack": ["python"]}


# --- fuzzing ---------------------------------------------------------------------------------

TOKENS = [
    *FIELDS, "dimensions.sqft", "material.cost_per_sqft", "__class__", "__bases__", "_x",
    "0", "1", "0.1", "999999999", "3999999", "'a'", "''", "'%d'", "null", "true", "false",
    "today", "now", "+", "-", "*", "/", "%", "**", "^", "(", ")", ",", ".", "<", "<=", "=",
    "!=", "and", "or", "not", "if", "else", "[", "]", "{", "}", ":", "lambda", "import",
    "round(", "sum(", "len(", "lower(", "matches(", "add_days(", "coalesce(", "if(", "min(",
    "days_between(", "date('2026-01-01')", "eval(", "open(", "\\", "\"", "#", ";", "@",
    "upper(", "trim(", "floor(", "ceil(", "abs(", "max(", "average(", "9 ** 9 ** 9", "10 ** 99",
]  # fmt: skip

HOSTILE_NUMBERS = [
    BIG, "-" + BIG, TINY, WIDE, "-" + WIDE, "0e-999999999", "0e+999999999", "1e99", "1e100",
    "9.999999999999999999999999999999999e99", "1" * 10_000,
]  # fmt: skip
HOSTILE_TEXTS = ["ß" * 6_000, "x" * 9_000, "a" * 99_999]

VALUE = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(min_value=-(10**12), max_value=10**12, places=4).map(str),
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_TEXTS),
    st.booleans(),
    st.lists(st.sampled_from(["python", "go", "rust"]), max_size=3),
    st.dictionaries(
        st.sampled_from(["sqft", "cost_per_sqft", "name"]),
        st.one_of(st.integers(), st.sampled_from([10**200, 1e308, 5e-324, "x" * 9_000])),
        max_size=3,
    ),
)


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return []


def _exercise(source: str, values: dict[str, object]) -> None:
    try:
        expression = compile_expression(source, fields=FIELDS)
    except ExpressionError as exc:
        assert 0 <= exc.position <= len(source)
        assert str(exc)
        return
    moment = datetime(2026, 3, 11, tzinfo=UTC)
    outcome = expression.evaluate(values, now=moment, calendar=CALENDAR)
    assert (outcome.error is None) or outcome.value is None
    assert not callable(outcome.value)
    assert type(outcome.value).__module__ in {"builtins", "decimal", "datetime"}
    if isinstance(outcome.value, Decimal):
        assert len(decimal_to_json(outcome.value)) <= 100 + 132 + 2
    if isinstance(outcome.value, str):
        longest = max(map(len, _texts(values)), default=0)
        assert len(outcome.value) <= max(10_000, longest)


# Generating the field values is slow on a loaded machine; that is input generation, not
# the evaluator, so only the evaluation itself is held to the deadline.
@settings(max_examples=400, deadline=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join),
    st.dictionaries(st.sampled_from(sorted(FIELDS)), VALUE, max_size=8),
)
def test_random_token_soup_never_escapes_hangs_or_crashes(
    source: str, values: dict[str, object]
) -> None:
    _exercise(source, values)


@settings(max_examples=300, deadline=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200), st.dictionaries(st.sampled_from(sorted(FIELDS)), VALUE, max_size=5))
def test_random_text_never_escapes_hangs_or_crashes(source: str, values: dict[str, object]) -> None:
    _exercise(source, values)


@settings(max_examples=200, deadline=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["+", "-", "*", "/", "%", "**"]),
    st.lists(st.sampled_from(["deal_value", "discount_pct", "company_size", "3999999", "0"]),
             min_size=2, max_size=40),
    st.dictionaries(
        st.sampled_from(["deal_value", "discount_pct", "company_size"]),
        st.one_of(st.none(), st.decimals(min_value=-(10**20), max_value=10**20, places=6).map(str),
                  st.sampled_from(HOSTILE_NUMBERS)),
    ),
)  # fmt: skip
def test_hostile_arithmetic_never_hangs_or_crashes(
    operator: str, operands: list[str], values: dict[str, object]
) -> None:
    _exercise(f" {operator} ".join(operands), values)
