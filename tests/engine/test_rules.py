"""Field view, validations and calculations, table-driven, with the plan's examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from engine_support import CALENDAR, FIELDS, NOW, spec

from pacetrack.engine.calculations import recalculate
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import (
    AverageCalculation,
    Calculation,
    CustomCalculation,
    CustomExpressionRule,
    DateDiffCalculation,
    FieldComparisonRule,
    FieldConfig,
    FieldMaxValueRule,
    FieldMinValueRule,
    FieldPatternRule,
    FieldRequiredRule,
    PercentageCalculation,
    StepConfig,
    SumCalculation,
    ValidationRule,
)
from pacetrack.engine.field_view import field_view
from pacetrack.engine.fields import FieldType
from pacetrack.engine.validations import validate_step


def violations(rule: ValidationRule, values: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    result = validate_step(
        config=StepConfig(validations=(rule,)),
        fields=FIELDS,
        values=values,
        now=NOW,
        calendar=CALENDAR,
    )
    assert result.ok == (not result.violations)
    return [(v.rule_id, v.field_id, v.message) for v in result.violations]


MIN_5K = FieldMinValueRule(
    id="min_deal_value",
    field_id="deal_value",
    min_value=Decimal(5000),
    error_message="Deals under $5k should go to SMB pipeline",
)


def test_sales_4000_deal_fails_with_the_plans_message() -> None:
    assert violations(MIN_5K, {"deal_value": "4000.00"}) == [
        ("min_deal_value", "deal_value", "Deals under $5k should go to SMB pipeline")
    ]


PASS, FAIL = True, False


@pytest.mark.parametrize(
    ("rule", "values", "passes"),
    [
        (FieldRequiredRule(id="r", field_id="decision_maker"), {"decision_maker": "Ada"}, PASS),
        (FieldRequiredRule(id="r", field_id="decision_maker"), {}, FAIL),
        (FieldRequiredRule(id="r", field_id="decision_maker"), {"decision_maker": "  "}, FAIL),
        (FieldRequiredRule(id="r", field_id="tech_stack"), {"tech_stack": []}, FAIL),
        (FieldRequiredRule(id="r", field_id="deal_lost"), {"deal_lost": False}, PASS),
        (FieldRequiredRule(id="r", field_id="clicks"), {"clicks": "0"}, PASS),
        (MIN_5K, {"deal_value": "5000.00"}, PASS),
        (MIN_5K, {"deal_value": "4999.99"}, FAIL),
        (MIN_5K, {}, PASS),
        (MIN_5K, {"deal_value": None}, PASS),
        (MIN_5K, {"deal_value": "lots"}, FAIL),
        (FieldMaxValueRule(id="m", field_id="discount_pct", max_value=Decimal(30)),
         {"discount_pct": "30"}, PASS),
        (FieldMaxValueRule(id="m", field_id="discount_pct", max_value=Decimal(30)),
         {"discount_pct": "30.5"}, FAIL),
        (FieldMaxValueRule(id="m", field_id="discount_pct", max_value=Decimal(30)), {}, PASS),
        (FieldPatternRule(id="p", field_id="tracking_number", pattern="^[A-Z0-9]{10,20}$"),
         {"tracking_number": "ABCDE12345"}, PASS),
        (FieldPatternRule(id="p", field_id="tracking_number", pattern="^[A-Z0-9]{10,20}$"),
         {"tracking_number": "abc"}, FAIL),
        (FieldPatternRule(id="p", field_id="tracking_number", pattern="^[A-Z0-9]{10,20}$"),
         {}, PASS),
        (FieldPatternRule(id="p", field_id="tracking_number", pattern="(a+)+$"),
         {"tracking_number": "a" * 50_000 + "!"}, FAIL),
        (FieldPatternRule(id="p", field_id="tracking_number", pattern="(a"),
         {"tracking_number": "a"}, FAIL),
        (FieldComparisonRule(id="c", field_id="start_date", operator="<",
                             compare_field_id="end_date"),
         {"start_date": "2026-03-01", "end_date": "2026-03-02"}, PASS),
        (FieldComparisonRule(id="c", field_id="start_date", operator="<",
                             compare_field_id="end_date"),
         {"start_date": "2026-03-02", "end_date": "2026-03-02"}, FAIL),
        (FieldComparisonRule(id="c", field_id="start_date", operator="<",
                             compare_field_id="end_date"),
         {"start_date": "2026-03-02"}, PASS),
        (FieldComparisonRule(id="c", field_id="close_date", operator=">", compare_value="today"),
         {"close_date": "2026-03-12"}, PASS),
        (FieldComparisonRule(id="c", field_id="close_date", operator=">", compare_value="today"),
         {"close_date": "2026-03-11"}, FAIL),
        (FieldComparisonRule(id="c", field_id="close_date", operator="<=",
                             compare_value="2026-03-11"),
         {"close_date": "2026-03-11"}, PASS),
        (FieldComparisonRule(id="c", field_id="met_at", operator="<", compare_value="now"),
         {"met_at": "2026-03-11T15:00:00Z"}, PASS),
        (FieldComparisonRule(id="c", field_id="met_at", operator=">=", compare_value="today"),
         {"met_at": "2026-03-11T00:00:00Z"}, PASS),
        (FieldComparisonRule(id="c", field_id="deal_value", operator=">=",
                             compare_field_id="list_price"),
         {"deal_value": "10.00", "list_price": "9.99"}, PASS),
        (FieldComparisonRule(id="c", field_id="deal_value", operator="=",
                             compare_value=Decimal(10)),
         {"deal_value": "10.00"}, PASS),
        (FieldComparisonRule(id="c", field_id="deal_value", operator="!=", compare_value="10"),
         {"deal_value": "10.00"}, FAIL),
        (CustomExpressionRule(id="x", expression="deal_value * 2 > list_price"),
         {"deal_value": "10.00", "list_price": "15.00"}, PASS),
        (CustomExpressionRule(id="x", expression="deal_value * 2 > list_price"),
         {"deal_value": "10.00", "list_price": "25.00"}, FAIL),
        (CustomExpressionRule(id="x", expression="deal_value / list_price > 1"),
         {"deal_value": "10.00", "list_price": "0"}, FAIL),
        (CustomExpressionRule(id="x", field_id="deal_value", expression="deal_value > 1"),
         {}, PASS),
        (CustomExpressionRule(id="x", expression="lost_reason != null or not deal_lost"),
         {"deal_lost": True}, FAIL),
        (CustomExpressionRule(id="x", expression="deal_valu > 1"), {}, FAIL),
    ],
)  # fmt: skip
def test_each_validation_type(rule: ValidationRule, values: dict[str, Any], passes: bool) -> None:
    assert (violations(rule, values) == []) is passes


@pytest.mark.parametrize(
    ("rule", "values", "message"),
    [
        (FieldRequiredRule(id="r", field_id="deal_value"), {}, "Deal value is required"),
        (FieldMinValueRule(id="m", field_id="deal_value", min_value=Decimal(5000)),
         {"deal_value": "1.00"}, "Deal value must be at least 5000"),
        (FieldMaxValueRule(id="m", field_id="discount_pct", max_value=Decimal(30)),
         {"discount_pct": "31"}, "discount_pct must be at most 30"),
        (FieldPatternRule(id="p", field_id="tracking_number", pattern="^X$"),
         {"tracking_number": "Y"}, "tracking_number does not match the required format"),
        (FieldComparisonRule(id="c", field_id="start_date", operator="<",
                             compare_field_id="end_date"),
         {"start_date": "2026-03-03", "end_date": "2026-03-02"}, "start_date must be before end_date"),  # noqa: E501
        (CustomExpressionRule(id="x", expression="deal_value / list_price > 1"),
         {"deal_value": "1.00", "list_price": "0"},
         "condition `deal_value / list_price > 1` is not met (division by zero)"),
    ],
)  # fmt: skip
def test_default_messages_name_the_field(
    rule: ValidationRule, values: dict[str, Any], message: str
) -> None:
    assert [m for _, _, m in violations(rule, values)] == [message]


def test_every_rule_runs_and_required_fields_come_first() -> None:
    config = StepConfig(
        field_configs=(
            FieldConfig(field_definition_id="deal_value", is_required=True),
            FieldConfig(field_definition_id="decision_maker", is_required=True),
        ),
        validations=(
            MIN_5K,
            FieldRequiredRule(id="close", field_id="close_date"),
            FieldMaxValueRule(id="disc", field_id="discount_pct", max_value=Decimal(30)),
        ),
    )
    result = validate_step(
        config=config,
        fields=FIELDS,
        values={"deal_value": "4000.00", "discount_pct": "50"},
        now=NOW,
        calendar=CALENDAR,
    )
    assert [v.rule_id for v in result.violations] == [
        "required:decision_maker",
        "min_deal_value",
        "close",
        "disc",
    ]
    assert not result.ok


def test_validation_reuses_built_checks_but_sees_new_definitions() -> None:
    rule = FieldRequiredRule(id="r", field_id="deal_value")
    renamed = {**FIELDS, "deal_value": spec("deal_value", FieldType.CURRENCY, label="Amount")}
    first = violations(rule, {})
    second = validate_step(
        config=StepConfig(validations=(rule,)), fields=renamed, values={}, now=NOW,
        calendar=CALENDAR,
    )  # fmt: skip
    assert first[0][2] == "Deal value is required"
    assert second.violations[0].message == "Amount is required"


# --- field view ------------------------------------------------------------------------------


def test_field_view_visibility_requirement_and_conditions() -> None:
    config = StepConfig(
        field_configs=(
            FieldConfig(field_definition_id="deal_value", is_required=True),
            FieldConfig(field_definition_id="deal_lost"),
            FieldConfig(field_definition_id="lost_reason", required_when="deal_lost"),
            FieldConfig(field_definition_id="notes", visible_when="deal_value > 100000"),
            FieldConfig(field_definition_id="score"),
            FieldConfig(field_definition_id="email", is_visible=False, is_required=True),
            FieldConfig(field_definition_id="clicks", visible_when="clicks / 0 > 1"),
        )
    )

    def view(values: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...], int]:
        result = field_view(config=config, fields=FIELDS, values=values, now=NOW, calendar=CALENDAR)
        return result.visible, result.required, len(result.problems)

    assert view({"deal_value": "5000.00", "clicks": "1"}) == (
        ("deal_value", "deal_lost", "lost_reason", "score"),
        ("deal_value", "score"),
        1,
    )
    assert view({"deal_value": "500000.00", "deal_lost": True}) == (
        ("deal_value", "deal_lost", "lost_reason", "notes", "score"),
        ("deal_value", "lost_reason", "score"),
        1,
    )


def test_lost_reason_required_only_when_deal_lost() -> None:
    config = StepConfig(
        field_configs=(
            FieldConfig(field_definition_id="deal_lost"),
            FieldConfig(field_definition_id="lost_reason", required_when="deal_lost = true"),
        )
    )

    def rule_ids(values: dict[str, Any]) -> list[str]:
        result = validate_step(
            config=config, fields=FIELDS, values=values, now=NOW, calendar=CALENDAR
        )
        return [v.rule_id for v in result.violations]

    assert rule_ids({"deal_lost": True}) == ["required:lost_reason"]
    assert rule_ids({"deal_lost": False}) == []
    assert rule_ids({"deal_lost": True, "lost_reason": "price"}) == []


# --- calculations ----------------------------------------------------------------------------

CALC_FIELDS = {
    **FIELDS,
    "sqft": spec("sqft", FieldType.NUMBER),
    "cost": spec("cost", FieldType.CURRENCY),
    "actual_leads": spec("actual_leads", FieldType.NUMBER),
    "avg_lead_value": spec("avg_lead_value", FieldType.CURRENCY),
    "actual_spend": spec("actual_spend", FieldType.CURRENCY),
    "current_roi": spec("current_roi", FieldType.NUMBER, precision=1),
    "weight_kg": spec("weight_kg", FieldType.NUMBER),
    "height_m": spec("height_m", FieldType.NUMBER),
    "bmi": spec("bmi", FieldType.NUMBER, precision=1),
    "due": spec("due", FieldType.DATE),
}


def calc(
    calculations: tuple[Calculation, ...],
    values: dict[str, Any],
    calendar: BusinessCalendar = CALENDAR,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    outcome = recalculate(
        calculations=calculations, fields=CALC_FIELDS, values=values, now=NOW, calendar=calendar
    )
    return dict(outcome.values), [(e.calculation_id, e.message) for e in outcome.errors]


def test_manufacturing_material_cost_is_540_00() -> None:
    material = CustomCalculation(
        id="material_cost",
        output_field_id="material_cost",
        expression="dimensions.sqft * material.cost_per_sqft",
    )
    values = {"dimensions": {"sqft": 120}, "material": {"cost_per_sqft": 4.5}}
    assert calc((material,), values) == ({"material_cost": "540.00"}, [])


def test_marketing_roi_is_100_0_and_zero_spend_is_an_error() -> None:
    roi = CustomCalculation(
        id="roi",
        output_field_id="current_roi",
        expression="((actual_leads * avg_lead_value) - actual_spend) / actual_spend * 100",
    )
    values = {"actual_leads": "40", "avg_lead_value": "250.00", "actual_spend": "5000.00"}
    assert calc((roi,), values) == ({"current_roi": "100.0"}, [])
    assert calc((roi,), {**values, "actual_spend": "0.00"}) == ({}, [("roi", "division by zero")])


def test_medical_bmi_is_22_9() -> None:
    bmi = CustomCalculation(
        id="bmi", output_field_id="bmi", expression="weight_kg / (height_m * height_m)"
    )
    assert calc((bmi,), {"weight_kg": "70", "height_m": "1.75"}) == ({"bmi": "22.9"}, [])


@pytest.mark.parametrize(
    ("calculation", "values", "expected"),
    [
        (SumCalculation(id="s", output_field_id="commission", field_ids=("deal_value", "list_price")),  # noqa: E501
         {"deal_value": "0.10", "list_price": "0.20"}, "0.30"),
        (SumCalculation(id="s", output_field_id="commission", field_ids=("deal_value", "list_price")),  # noqa: E501
         {"deal_value": "5.00"}, "5.00"),
        (SumCalculation(id="s", output_field_id="commission", field_ids=("deal_value", "list_price")),  # noqa: E501
         {}, None),
        (AverageCalculation(id="a", output_field_id="days", field_ids=("clicks", "impressions", "sqft")),  # noqa: E501
         {"clicks": "1", "impressions": "2"}, "1.5"),
        (AverageCalculation(id="a", output_field_id="days", field_ids=("clicks", "impressions")),
         {"clicks": "1", "impressions": "0"}, "0.5"),
        (AverageCalculation(id="a", output_field_id="days", field_ids=("clicks", "impressions")),
         {"clicks": "1", "impressions": "2", "sqft": "3"}, "1.5"),
        (AverageCalculation(id="a", output_field_id="days", field_ids=("clicks", "sqft", "impressions")),  # noqa: E501
         {"clicks": "1", "sqft": "1", "impressions": "1"}, "1"),
        (AverageCalculation(id="a", output_field_id="days", field_ids=("clicks",)), {}, None),
        (AverageCalculation(id="a", output_field_id="days", field_ids=("clicks", "sqft", "impressions")),  # noqa: E501
         {"clicks": "1", "sqft": "0", "impressions": "1"}, "0.6666666667"),
        (PercentageCalculation(id="p", output_field_id="ctr", numerator_field_id="clicks",
                               denominator_field_id="impressions"),
         {"clicks": "25", "impressions": "1000"}, "2.5"),
        (PercentageCalculation(id="p", output_field_id="ctr", numerator_field_id="clicks",
                               denominator_field_id="impressions"),
         {"clicks": "25"}, None),
        (DateDiffCalculation(id="d", output_field_id="days", start_field_id="start_date",
                             end_field_id="end_date"),
         {"start_date": "2026-03-06", "end_date": "2026-03-16"}, "10"),
        (DateDiffCalculation(id="d", output_field_id="days", start_field_id="start_date",
                             end_field_id="end_date", day_kind="business"),
         {"start_date": "2026-03-06", "end_date": "2026-03-16"}, "6"),
        (DateDiffCalculation(id="d", output_field_id="days", start_field_id="start_date",
                             end_field_id="end_date"),
         {"start_date": "2026-03-06"}, None),
        (CustomCalculation(id="c", output_field_id="commission",
                           expression="deal_value * (1 - discount_pct / 100) * 0.1"),
         {"deal_value": "10000.00", "discount_pct": "12.5"}, "875.00"),
        (CustomCalculation(id="c", output_field_id="commission", expression="0.125 + 0.0"),
         {}, "0.13"),
        (CustomCalculation(id="c", output_field_id="due", expression="add_business_days(today, 2)"),
         {}, "2026-03-13"),
        (CustomCalculation(id="c", output_field_id="commission",
                           expression="if(is_empty(list_price), null, list_price * 2)"),
         {}, None),
    ],
)  # fmt: skip
def test_each_calculation_type(
    calculation: Calculation, values: dict[str, Any], expected: object
) -> None:
    results, errors = calc((calculation,), values)
    assert errors == []
    assert results == {calculation.output_field_id: expected}


def test_business_day_diff_skips_holidays() -> None:
    calendar = BusinessCalendar(holidays=frozenset({date(2026, 3, 9)}))
    diff = DateDiffCalculation(
        id="d", output_field_id="days", start_field_id="start_date", end_field_id="end_date",
        day_kind="business",
    )  # fmt: skip
    values = {"start_date": "2026-03-06", "end_date": "2026-03-16"}
    assert calc((diff,), values, calendar) == ({"days": "5"}, [])


def test_calculations_run_in_dependency_order() -> None:
    total = CustomCalculation(id="total", output_field_id="commission", expression="days * 2")
    days = SumCalculation(id="days", output_field_id="days", field_ids=("clicks", "impressions"))
    results, errors = calc((total, days), {"clicks": "1", "impressions": "2"})
    assert (results, errors) == ({"days": "3", "commission": "6.00"}, [])


def test_a_cycle_and_what_depends_on_a_failure_are_errors() -> None:
    a = SumCalculation(id="a", output_field_id="clicks", field_ids=("impressions",))
    b = SumCalculation(id="b", output_field_id="impressions", field_ids=("clicks",))
    broken = PercentageCalculation(
        id="p", output_field_id="ctr", numerator_field_id="sqft", denominator_field_id="days"
    )
    after = CustomCalculation(id="after", output_field_id="commission", expression="ctr * 2")
    results, errors = calc((a, b, broken, after), {"sqft": "1", "days": "0"})
    assert results == {}
    assert errors == [
        ("p", "division by zero: `days` is 0"),
        ("after", "input `ctr` could not be calculated"),
        ("a", "the calculation is on a dependency cycle"),
        ("b", "the calculation is on a dependency cycle"),
    ]


def test_a_result_of_the_wrong_type_is_an_error() -> None:
    wrong = CustomCalculation(id="w", output_field_id="commission", expression="'text'")
    assert calc((wrong,), {}) == (
        {},
        [("w", "the result is not a number, commission needs one")],
    )
