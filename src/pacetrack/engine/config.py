"""Step configuration: the seven families of the plan as frozen values.

These dataclasses are the contract shapes of ``step_template`` configuration
(``field_configs``, ``validations``, ``assignments``, ``notifications``,
``automations``, ``calculations``, ``metadata``). Property and type names are
exactly the plan's. The service layer validates incoming JSON into these
classes (Pydantic understands standard dataclasses; ``__pydantic_config__``
makes unknown properties an error), so the engine works on typed values and
never on raw dictionaries.

References to fields (``field_definition_id``, ``field_id``,
``output_field_id`` …) hold the field definition's immutable ``name``: that
keeps a template portable between tenants. References to people (``id`` of a
user, group or role) hold an id or the account's username, the group's name or
the role's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from pacetrack.engine.step_settings import StepSettings

_STRICT: dict[str, Any] = {"extra": "forbid"}

JsonValue = Any
ComparisonOperator = Literal["<", "<=", ">", ">=", "=", "!="]
TriggerType = Literal["on_enter", "on_exit", "on_duration", "at_risk", "on_field_change"]
DayKind = Literal["calendar", "business"]
Channel = Literal["in_app", "email"]


# --- field_configs ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FieldConfig:
    """Visibility and requirement of one field at a step.

    ``visible_when`` / ``required_when`` are optional expressions; when given,
    the field is visible (required) only while the expression is true.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    field_definition_id: str
    is_visible: bool = True
    is_required: bool = False
    visible_when: str | None = None
    required_when: str | None = None


# --- validations -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FieldRequiredRule:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["field_required"] = "field_required"
    id: str
    field_id: str
    error_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class FieldMinValueRule:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["field_min_value"] = "field_min_value"
    id: str
    field_id: str
    min_value: Decimal
    error_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class FieldMaxValueRule:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["field_max_value"] = "field_max_value"
    id: str
    field_id: str
    max_value: Decimal
    error_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class FieldPatternRule:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["field_pattern"] = "field_pattern"
    id: str
    field_id: str
    pattern: str
    error_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class FieldComparisonRule:
    """``field_id <operator> (compare_field_id | compare_value)``.

    ``compare_value`` may be a number, a date/datetime in ISO form, or the
    words ``today`` / ``now``. Exactly one of the two comparands is given.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["field_comparison"] = "field_comparison"
    id: str
    field_id: str
    operator: ComparisonOperator
    compare_field_id: str | None = None
    compare_value: str | Decimal | None = None
    error_message: str | None = None


@dataclass(frozen=True, kw_only=True)
class CustomExpressionRule:
    """Passes when ``expression`` evaluates to true."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["custom_expression"] = "custom_expression"
    id: str
    expression: str
    field_id: str | None = None
    error_message: str | None = None


ValidationRule = (
    FieldRequiredRule
    | FieldMinValueRule
    | FieldMaxValueRule
    | FieldPatternRule
    | FieldComparisonRule
    | CustomExpressionRule
)


# --- assignments -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UserAssignment:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["user"] = "user"
    id: str


@dataclass(frozen=True, kw_only=True)
class GroupAssignment:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["account_group"] = "account_group"
    id: str


@dataclass(frozen=True, kw_only=True)
class RoleAssignment:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["role"] = "role"
    id: str


@dataclass(frozen=True, kw_only=True)
class RoundRobinAssignment:
    """Rotates among the active members of the group ``id``."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["round_robin"] = "round_robin"
    id: str


@dataclass(frozen=True, kw_only=True)
class LeastAssignedAssignment:
    """The active member of group ``id`` with the fewest active items."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["least_assigned"] = "least_assigned"
    id: str


Assignment = (
    UserAssignment
    | GroupAssignment
    | RoleAssignment
    | RoundRobinAssignment
    | LeastAssignedAssignment
)


# --- notifications ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """``owner`` and ``assignees`` take no ``id``; ``user``, ``account_group``, ``role`` do."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["owner", "assignees", "user", "account_group", "role"]
    id: str | None = None


@dataclass(frozen=True, kw_only=True)
class TriggerSettings:
    """Trigger properties shared by notifications and automations.

    - ``on_duration``: fires ``duration_days`` after entry, then every
      ``repeat_every_days`` while the item stays (when given).
    - ``at_risk``: fires once days in step exceed ``target_duration_days`` +
      ``threshold_days``.
    - ``on_field_change``: ``field_id`` changed, optionally ``from_value`` →
      ``to_value``.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    id: str
    trigger: TriggerType
    condition: str | None = None
    duration_days: int | None = None
    repeat_every_days: int | None = None
    threshold_days: int | None = None
    day_kind: DayKind = "calendar"
    field_id: str | None = None
    from_value: JsonValue = None
    to_value: JsonValue = None


@dataclass(frozen=True, kw_only=True)
class NotificationRule(TriggerSettings):
    recipients: tuple[Recipient, ...] = ()
    template: str | None = None
    subject: str | None = None
    body: str | None = None
    channels: tuple[Channel, ...] = ("in_app", "email")


# --- automations -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WebhookAction:
    """POST ``data`` (rendered) to ``target``; ``endpoint_id`` names a registered endpoint."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["webhook"] = "webhook"
    target: str | None = None
    endpoint_id: str | None = None
    data: JsonValue = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class UpdateFieldAction:
    """Sets ``field_id`` to ``value`` (templates rendered) or to ``expression``'s result."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["update_field"] = "update_field"
    field_id: str
    value: JsonValue = None
    expression: str | None = None


@dataclass(frozen=True, kw_only=True)
class NotifyAction:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["notify"] = "notify"
    recipients: tuple[Recipient, ...]
    template: str | None = None
    subject: str | None = None
    body: str | None = None
    channels: tuple[Channel, ...] = ("in_app", "email")


@dataclass(frozen=True, kw_only=True)
class CreateItemAction:
    """Creates an item in ``pipeline_instance_id`` (id or name), linked back to the source.

    ``field_mapping`` maps target field names to templates or source field names
    (``{"start_date": "{{field.start_date}}"}``).
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["create_item"] = "create_item"
    pipeline_instance_id: str
    name: str = "{{item.name}}"
    field_mapping: Mapping[str, JsonValue] = field(default_factory=dict)
    step: str | None = None


@dataclass(frozen=True, kw_only=True)
class AssignAction:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["assign"] = "assign"
    assignment: Assignment
    mode: Literal["add", "replace", "remove"] = "replace"


@dataclass(frozen=True, kw_only=True)
class MoveToStepAction:
    """Moves the item to the step named (or with the id) ``step``, through the normal rules."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["move_to_step"] = "move_to_step"
    step: str


AutomationAction = (
    WebhookAction
    | UpdateFieldAction
    | NotifyAction
    | CreateItemAction
    | AssignAction
    | MoveToStepAction
)


@dataclass(frozen=True, kw_only=True)
class AutomationRule(TriggerSettings):
    action: AutomationAction
    name: str | None = None
    is_enabled: bool = True


# --- calculations ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SumCalculation:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["sum"] = "sum"
    id: str
    output_field_id: str
    field_ids: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class AverageCalculation:
    """Average of the non-empty listed fields; empty when all are empty."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["average"] = "average"
    id: str
    output_field_id: str
    field_ids: tuple[str, ...]
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class PercentageCalculation:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["percentage"] = "percentage"
    id: str
    output_field_id: str
    numerator_field_id: str
    denominator_field_id: str
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class DateDiffCalculation:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["date_diff"] = "date_diff"
    id: str
    output_field_id: str
    start_field_id: str
    end_field_id: str
    day_kind: DayKind = "calendar"
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class CustomCalculation:
    __pydantic_config__: ClassVar[dict[str, Any]] = _STRICT
    type: Literal["custom"] = "custom"
    id: str
    output_field_id: str
    expression: str
    name: str | None = None


Calculation = (
    SumCalculation
    | AverageCalculation
    | PercentageCalculation
    | DateDiffCalculation
    | CustomCalculation
)


# --- the whole step --------------------------------------------------------------------------

CONFIG_FAMILIES: tuple[str, ...] = (
    "field_configs",
    "validations",
    "assignments",
    "notifications",
    "automations",
    "calculations",
    "metadata",
)


@dataclass(frozen=True, kw_only=True)
class StepConfig:
    """The effective configuration of one step."""

    field_configs: tuple[FieldConfig, ...] = ()
    validations: tuple[ValidationRule, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    notifications: tuple[NotificationRule, ...] = ()
    automations: tuple[AutomationRule, ...] = ()
    calculations: tuple[Calculation, ...] = ()
    metadata: Mapping[str, JsonValue] = field(default_factory=dict)
    target_duration_days: int | None = None
    rule_parser: Callable[[JsonValue], tuple[ValidationRule, ...]] | None = field(
        default=None, compare=False, repr=False
    )
    """How ``metadata.entry_validations`` is read: the service layer's validations schema,
    handed in by whoever builds the config from stored JSON (the engine reads no JSON)."""

    @cached_property
    def settings(self) -> StepSettings:
        """``metadata`` as typed settings, read once per config (configs are cached)."""
        # Imported here: step_settings builds on this module's rule types.
        from pacetrack.engine.step_settings import read_step_settings

        if self.rule_parser is None:
            return read_step_settings(self.metadata)
        return read_step_settings(self.metadata, parse_rules=self.rule_parser)


def apply_overrides(
    template: StepConfig, overrides: StepConfig, present: frozenset[str]
) -> StepConfig:
    """The instance step's effective config.

    A family named in ``present`` (the keys of ``step.config_overrides``)
    replaces the template's family as a whole, except ``metadata``, whose keys
    are merged over the template's. Replacing whole lists keeps rule ids
    unambiguous: an override never half-edits a template rule.
    """
    changes: dict[str, Any] = {}
    for family in present:
        if family == "metadata":
            changes["metadata"] = {**template.metadata, **overrides.metadata}
        elif family in CONFIG_FAMILIES or family == "target_duration_days":
            changes[family] = getattr(overrides, family)
    return replace(template, **changes)
