from __future__ import annotations

from decimal import Decimal

import pytest
from engine_support import FIELDS

from pacetrack.engine.config import (
    AutomationRule,
    AverageCalculation,
    CustomCalculation,
    CustomExpressionRule,
    DateDiffCalculation,
    FieldComparisonRule,
    FieldConfig,
    FieldMaxValueRule,
    FieldMinValueRule,
    FieldPatternRule,
    FieldRequiredRule,
    NotificationRule,
    NotifyAction,
    PercentageCalculation,
    Recipient,
    StepConfig,
    SumCalculation,
    UpdateFieldAction,
    WebhookAction,
)
from pacetrack.engine.config_check import ConfigProblem, check_step_config

OWNER = (Recipient(type="owner"),)


def problems(config: StepConfig) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in check_step_config(config, fields=FIELDS)]


def test_a_sound_config_has_no_problems() -> None:
    config = StepConfig(
        field_configs=(FieldConfig(field_definition_id="deal_value", is_required=True),),
        validations=(
            FieldMinValueRule(id="min", field_id="deal_value", min_value=Decimal(5000)),
            FieldPatternRule(id="p", field_id="tracking_number", pattern="^[A-Z0-9]{10,20}$"),
            FieldComparisonRule(
                id="c", field_id="start_date", operator="<", compare_field_id="end_date"
            ),
            FieldComparisonRule(id="t", field_id="close_date", operator=">", compare_value="today"),
        ),
        calculations=(
            SumCalculation(id="s", output_field_id="commission", field_ids=("deal_value",)),
            DateDiffCalculation(
                id="d", output_field_id="days", start_field_id="start_date", end_field_id="end_date"
            ),
        ),
        notifications=(NotificationRule(id="n", trigger="on_enter", recipients=OWNER),),
    )
    assert check_step_config(config, fields=FIELDS) == ()


@pytest.mark.parametrize(
    ("config", "path", "fragment"),
    [
        (
            StepConfig(field_configs=(FieldConfig(field_definition_id="deal_valu"),)),
            "field_configs[0].field_definition_id",
            "unknown field `deal_valu`, did you mean `deal_value`?",
        ),
        (
            StepConfig(validations=(FieldRequiredRule(id="r", field_id="decision_makr"),)),
            "validations[0].field_id",
            "did you mean `decision_maker`?",
        ),
        (
            StepConfig(
                validations=(
                    FieldComparisonRule(
                        id="c", field_id="start_date", operator="<", compare_field_id="end_dat"
                    ),
                )
            ),
            "validations[0].compare_field_id",
            "did you mean `end_date`?",
        ),
        (
            StepConfig(
                calculations=(
                    SumCalculation(id="s", output_field_id="comission", field_ids=("deal_value",)),
                )
            ),
            "calculations[0].output_field_id",
            "did you mean `commission`?",
        ),
        (
            StepConfig(
                calculations=(
                    SumCalculation(id="s", output_field_id="commission", field_ids=("list_prise",)),
                )
            ),
            "calculations[0].field_ids[0]",
            "did you mean `list_price`?",
        ),
        (
            StepConfig(
                calculations=(
                    PercentageCalculation(
                        id="p",
                        output_field_id="ctr",
                        numerator_field_id="clicks",
                        denominator_field_id="impresions",
                    ),
                )
            ),
            "calculations[0].denominator_field_id",
            "did you mean `impressions`?",
        ),
        (
            StepConfig(
                notifications=(
                    NotificationRule(
                        id="n", trigger="on_field_change", field_id="deal_vlue", recipients=OWNER
                    ),
                )
            ),
            "notifications[0].field_id",
            "did you mean `deal_value`?",
        ),
        (
            StepConfig(
                automations=(
                    AutomationRule(
                        id="a",
                        trigger="on_enter",
                        action=UpdateFieldAction(field_id="clse_date", value="2026-01-01"),
                    ),
                )
            ),
            "automations[0].action.field_id",
            "did you mean `close_date`?",
        ),
        (
            StepConfig(validations=(FieldPatternRule(id="p", field_id="email", pattern="(a"),)),
            "validations[0].pattern",
            "invalid regular expression",
        ),
        (
            StepConfig(validations=(FieldPatternRule(id="p", field_id="email", pattern=r"(a)\1"),)),
            "validations[0].pattern",
            "invalid regular expression",
        ),
        (
            StepConfig(
                validations=(
                    FieldMinValueRule(id="m", field_id="decision_maker", min_value=Decimal(1)),
                )
            ),
            "validations[0].field_id",
            "field_min_value needs a numeric field",
        ),
        (
            StepConfig(
                validations=(
                    FieldMaxValueRule(id="m", field_id="close_date", max_value=Decimal(1)),
                )
            ),
            "validations[0].field_id",
            "field_max_value needs a numeric field",
        ),
        (
            StepConfig(
                validations=(
                    FieldComparisonRule(
                        id="c", field_id="close_date", operator="<", compare_field_id="deal_value"
                    ),
                )
            ),
            "validations[0].compare_field_id",
            "cannot compare close_date (date) with deal_value (currency)",
        ),
        (
            StepConfig(
                validations=(
                    FieldComparisonRule(
                        id="c", field_id="deal_value", operator="<", compare_value="today"
                    ),
                )
            ),
            "validations[0].compare_value",
            "is not a number",
        ),
        (
            StepConfig(
                validations=(
                    FieldComparisonRule(
                        id="c", field_id="close_date", operator="<", compare_value="soon"
                    ),
                )
            ),
            "validations[0].compare_value",
            "is not a date",
        ),
        (
            StepConfig(
                validations=(FieldComparisonRule(id="c", field_id="close_date", operator="<"),)
            ),
            "validations[0]",
            "give compare_field_id or compare_value",
        ),
        (
            StepConfig(
                calculations=(
                    SumCalculation(id="s", output_field_id="commission", field_ids=("notes",)),
                )
            ),
            "calculations[0].field_ids[0]",
            "sum needs numeric fields; notes is long_text",
        ),
        (
            StepConfig(
                calculations=(
                    AverageCalculation(
                        id="s", output_field_id="decision_maker", field_ids=("deal_value",)
                    ),
                )
            ),
            "calculations[0].output_field_id",
            "writes a number; decision_maker is text",
        ),
        (
            StepConfig(
                calculations=(
                    DateDiffCalculation(
                        id="d",
                        output_field_id="days",
                        start_field_id="deal_value",
                        end_field_id="end_date",
                    ),
                )
            ),
            "calculations[0].start_field_id",
            "date_diff needs date fields; deal_value is currency",
        ),
        (
            StepConfig(
                validations=(
                    FieldRequiredRule(id="same", field_id="deal_value"),
                    FieldRequiredRule(id="same", field_id="close_date"),
                )
            ),
            "validations[1].id",
            "duplicate rule id `same` in validations",
        ),
        (
            StepConfig(
                notifications=(
                    NotificationRule(id="n", trigger="on_enter", recipients=OWNER),
                    NotificationRule(id="n", trigger="on_exit", recipients=OWNER),
                )
            ),
            "notifications[1].id",
            "duplicate rule id `n`",
        ),
        (
            StepConfig(
                calculations=(
                    SumCalculation(id="a", output_field_id="commission", field_ids=("days",)),
                    SumCalculation(id="b", output_field_id="days", field_ids=("commission",)),
                )
            ),
            "calculations[0].output_field_id",
            "calculation cycle: commission → days → commission",
        ),
        (
            StepConfig(
                calculations=(SumCalculation(id="a", output_field_id="days", field_ids=("days",)),)
            ),
            "calculations[0].output_field_id",
            "calculation cycle: days → days",
        ),
        (
            StepConfig(
                notifications=(NotificationRule(id="n", trigger="on_duration", recipients=OWNER),)
            ),
            "notifications[0].duration_days",
            "on_duration needs duration_days",
        ),
        (
            StepConfig(
                automations=(
                    AutomationRule(
                        id="a",
                        trigger="on_field_change",
                        action=NotifyAction(recipients=OWNER),
                    ),
                )
            ),
            "automations[0].field_id",
            "on_field_change needs field_id",
        ),
        (
            StepConfig(
                notifications=(
                    NotificationRule(
                        id="n", trigger="on_enter", recipients=(Recipient(type="user"),)
                    ),
                )
            ),
            "notifications[0].recipients[0].id",
            "a recipient of type user needs an id",
        ),
        (
            StepConfig(
                automations=(
                    AutomationRule(
                        id="a",
                        trigger="on_enter",
                        action=NotifyAction(recipients=(Recipient(type="role"),)),
                    ),
                )
            ),
            "automations[0].action.recipients[0].id",
            "a recipient of type role needs an id",
        ),
        (
            StepConfig(
                automations=(AutomationRule(id="a", trigger="on_enter", action=WebhookAction()),)
            ),
            "automations[0].action",
            "a webhook needs a target or an endpoint_id",
        ),
        (
            StepConfig(
                notifications=(
                    NotificationRule(id="n", trigger="at_risk", threshold_days=1, recipients=OWNER),
                )
            ),
            "notifications[0].trigger",
            "at_risk needs the step's target_duration_days",
        ),
    ],
)
def test_each_problem_is_reported_at_its_path(config: StepConfig, path: str, fragment: str) -> None:
    found = problems(config)
    assert any(p == path and fragment in m for p, m in found), found


def test_every_problem_is_reported_not_only_the_first() -> None:
    config = StepConfig(
        validations=(
            FieldRequiredRule(id="a", field_id="nope_one"),
            FieldRequiredRule(id="b", field_id="nope_two"),
        ),
        calculations=(SumCalculation(id="s", output_field_id="nope_three", field_ids=("x",)),),
    )
    paths = [p for p, _ in problems(config)]
    assert paths == [
        "validations[0].field_id",
        "validations[1].field_id",
        "calculations[0].output_field_id",
        "calculations[0].field_ids[0]",
    ]


def test_problems_are_frozen_values() -> None:
    problem = ConfigProblem(path="validations[0].field_id", message="m")
    with pytest.raises(AttributeError):
        problem.path = "x"  # type: ignore[misc]


def test_custom_rules_name_their_field() -> None:
    config = StepConfig(
        validations=(CustomExpressionRule(id="c", expression="true", field_id="clos_date"),),
        calculations=(CustomCalculation(id="k", output_field_id="days", expression="1"),),
    )
    assert ("validations[0].field_id", "unknown field `clos_date`, did you mean `close_date`?") in (
        problems(config)
    )
