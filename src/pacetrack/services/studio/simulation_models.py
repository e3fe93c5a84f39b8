"""The request and the answer of a step simulation (``simulation.simulate_step``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pacetrack.engine.config import CONFIG_FAMILIES
from pacetrack.services.input_types import JsonList, JsonObject
from pacetrack.services.studio.expression_check import ReferenceId

Phase = Literal["enter", "leave"]


class StepSimulation(BaseModel):
    """A step (``step_id``, a draft of its families, or both) and an item's values."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [{"required": ["item_id"]}, {"required": ["field_values"]}]},
    )
    step_id: ReferenceId = Field(
        default=None,
        description="A step template; the draft's families, when given, replace its own",
    )
    field_configs: JsonList | None = Field(default=None, description="Draft family")
    validations: JsonList | None = Field(default=None, description="Draft family")
    assignments: JsonList | None = Field(default=None, description="Draft family")
    notifications: JsonList | None = Field(default=None, description="Draft family")
    automations: JsonList | None = Field(default=None, description="Draft family")
    calculations: JsonList | None = Field(default=None, description="Draft family")
    metadata: JsonObject | None = Field(default=None, description="Draft family")
    target_duration_days: int | None = Field(
        default=None, ge=0, le=36500, description="Draft target (given, even null, it applies)"
    )
    item_id: ReferenceId = Field(default=None, description="An item whose values are used")
    field_values: JsonObject | None = Field(
        default=None, description="Sample values (over the item's, when both are given)"
    )

    @model_validator(mode="after")
    def _values_given(self) -> StepSimulation:
        if self.item_id is None and "field_values" not in self.model_fields_set:
            raise ValueError("give item_id or field_values (or both)")
        return self

    def draft(self) -> dict[str, Any]:
        return {
            family: getattr(self, family)
            for family in CONFIG_FAMILIES
            if getattr(self, family) is not None
        }


class AccountRef(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str


class FieldViewOut(BaseModel):
    visible: list[str]
    required: list[str]
    problems: list[str] = Field(description="Conditions that could not be decided (false)")


class ValidationOut(BaseModel):
    rule_id: str
    field_id: str | None
    phase: Phase = Field(description="enter: an entry requirement; leave: needed to leave")
    passed: bool
    message: str


class CalculationOut(BaseModel):
    calculation_id: str
    output_field_id: str
    value: Any = Field(default=None, description="The output's value after the calculation")
    error: str | None = None


class UnresolvedOut(BaseModel):
    rule_type: str
    rule_target: str
    reason: str


class AssignmentOut(BaseModel):
    rules_apply: bool = Field(description="False: the step has no rules; assignees are kept")
    assignees: list[AccountRef] = Field(description="Who is assigned after entering")
    unresolved: list[UnresolvedOut]


class FiringOut(BaseModel):
    rule_kind: Literal["notification", "automation"]
    rule_id: str
    trigger: str
    fires: bool = Field(description="Its condition holds (or it has none)")
    condition_error: str | None = None
    recipients: list[AccountRef] = Field(
        default_factory=list, description="For notifications: who would be told"
    )
    rule: dict[str, Any] = Field(description="The rule as stored")


class TimerOut(BaseModel):
    rule_kind: Literal["notification", "automation"]
    rule_id: str
    trigger: str
    occurrence: int
    due_at: datetime


class EnterOut(BaseModel):
    notifications: list[FiringOut]
    automations: list[FiringOut]
    timers: list[TimerOut] = Field(description="Armed on entering")


class LeaveOut(BaseModel):
    notifications: list[FiringOut]
    automations: list[FiringOut]
    timers_cancelled: list[str] = Field(description="Rule ids of the stay's timers, cancelled")


class SimulationOut(BaseModel):
    step_id: uuid.UUID | None
    step_name: str | None
    item_id: uuid.UUID | None
    values: dict[str, Any] = Field(description="The item's values after the step's calculations")
    field_view: FieldViewOut
    can_enter: bool
    ready_to_leave: bool
    validations: list[ValidationOut]
    calculations: list[CalculationOut]
    assignment: AssignmentOut
    on_enter: EnterOut
    on_leave: LeaveOut
