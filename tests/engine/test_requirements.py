"""engine.requirements: one answer to what a move needs, met or not, in words; the move
refuses with exactly its unmet requirements."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from tests.engine.engine_support import CALENDAR, FIELDS, NOW

from pacetrack.engine.config import (
    FieldConfig,
    FieldMinValueRule,
    FieldPatternRule,
    StepConfig,
    SumCalculation,
    ValidationRule,
)
from pacetrack.engine.moves import decide_move
from pacetrack.engine.requirements import (
    describe_rule,
    entry_requirements,
    move_requirements,
)
from pacetrack.engine.transitions import StepRef
from pacetrack.engine.validations import Violation

LEAD, QUALIFIED, DEMO = (
    StepRef(id=uuid.UUID(int=index + 1), name=name, position=index)
    for index, name in enumerate(("Lead", "Qualified", "Demo"))
)
STEPS = (LEAD, QUALIFIED, DEMO)
MIN_DEAL = FieldMinValueRule(
    id="min_deal_value",
    field_id="deal_value",
    min_value=Decimal(5000),
    error_message="Deals under $5k should go to SMB pipeline",
)
TRACKING = FieldPatternRule(id="tracking", field_id="tracking_number", pattern="^[A-Z]{3}$")


def entry_rules(raw: Any) -> tuple[ValidationRule, ...]:
    """Stands for the service layer's schema: the one entry rule these tests store."""
    return (MIN_DEAL,)


LEAVING = StepConfig(
    field_configs=(FieldConfig(field_definition_id="decision_maker", is_required=True),),
    validations=(TRACKING,),
    calculations=(
        SumCalculation(id="total", output_field_id="deal_value", field_ids=("list_price",)),
    ),
    metadata={"allow_skip": False, "requires_approval": True},
)
ENTERING = StepConfig(
    metadata={"entry_required_fields": ["close_date"], "entry_validations": [{"id": "x"}]},
    rule_parser=entry_rules,
)
APPROVAL_MISSING = Violation(
    rule_id="approval_required", field_id=None, message="Leaving Lead needs an approval."
)


def needs(
    values: dict[str, Any],
    *,
    target: StepRef | None = QUALIFIED,
    approval: tuple[Violation, ...] = (),
) -> Any:
    return move_requirements(
        current=LEAD,
        target=target,
        steps=STEPS,
        current_config=LEAVING,
        target_config=ENTERING if target is not None else None,
        fields=FIELDS,
        values=values,
        now=NOW,
        calendar=CALENDAR,
        approval=approval,
    )


def test_every_requirement_is_listed_in_the_moves_order_with_its_words() -> None:
    answer = needs({"list_price": "4000", "tracking_number": "abc"}, approval=(APPROVAL_MISSING,))

    assert [(r.rule_id, r.phase, r.met, r.message) for r in answer.requirements] == [
        ("required:decision_maker", "leave", False, "Decision maker is required"),
        ("tracking", "leave", False, "tracking_number does not match the required format"),
        ("approval_required", "leave", False, "Leaving Lead needs an approval."),
        ("entry_required:close_date", "enter", False, "close_date is required to enter Qualified"),
        ("min_deal_value", "enter", False, "Deals under $5k should go to SMB pipeline"),
    ]
    assert answer.ready is False
    assert answer.values["deal_value"] == "4000.00"  # the leaving calculation applied


def test_met_requirements_say_what_they_ask_for_and_a_granted_approval_is_met() -> None:
    answer = needs(
        {
            "list_price": "6000",
            "tracking_number": "ABC",
            "decision_maker": "Bill",
            "close_date": "2026-04-01",
        }
    )

    assert [(r.rule_id, r.met, r.message) for r in answer.requirements] == [
        ("required:decision_maker", True, "Decision maker is required"),
        ("tracking", True, "tracking_number must match ^[A-Z]{3}$"),
        ("approval_required", True, "Leaving Lead is approved"),
        ("entry_required:close_date", True, "close_date is required to enter Qualified"),
        ("min_deal_value", True, "Deals under $5k should go to SMB pipeline"),
    ]
    assert answer.ready is True
    assert answer.violations == ()


def test_a_transition_refusal_comes_first_and_without_a_target_only_leaving_counts() -> None:
    skipping = needs({"decision_maker": "Bill"}, target=DEMO)
    leaving_only = needs({"decision_maker": "Bill", "tracking_number": "ABC"}, target=None)

    assert skipping.requirements[0].rule_id == "transition:skip"
    assert skipping.requirements[0].message == "Moving from Lead to Demo would skip Qualified."
    assert [r.rule_id for r in leaving_only.requirements] == [
        "required:decision_maker",
        "tracking",
        "approval_required",
    ]


def test_the_move_refuses_with_exactly_the_unmet_requirements() -> None:
    values = {"list_price": "4000", "decision_maker": "Bill"}
    decision = decide_move(
        current=LEAD,
        target=QUALIFIED,
        steps=STEPS,
        current_config=LEAVING,
        target_config=ENTERING,
        fields=FIELDS,
        values=values,
        now=NOW,
        calendar=CALENDAR,
        approval=(APPROVAL_MISSING,),
    )

    assert decision.violations == needs(values, approval=(APPROVAL_MISSING,)).violations
    assert [v.rule_id for v in decision.violations] == [
        "approval_required",
        "entry_required:close_date",
        "min_deal_value",
    ]


def test_a_malformed_stored_entry_requirement_blocks_entering_with_entry_config() -> None:
    broken = StepConfig(metadata={"entry_required_fields": "close_date"})

    listed = entry_requirements(
        target=QUALIFIED, config=broken, fields=FIELDS, values={}, now=NOW, calendar=CALENDAR
    )

    assert [(r.rule_id, r.met, r.message) for r in listed] == [
        (
            "entry_config",
            False,
            "Qualified: metadata.entry_required_fields must be a list of field names.",
        )
    ]


def test_each_rule_type_is_described_in_words() -> None:
    assert describe_rule(MIN_DEAL, FIELDS) == "Deals under $5k should go to SMB pipeline"
    plain = FieldMinValueRule(id="m", field_id="deal_value", min_value=Decimal("5000.50"))
    assert describe_rule(plain, FIELDS) == "Deal value must be at least 5000.5"
