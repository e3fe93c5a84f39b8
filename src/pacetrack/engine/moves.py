"""The decision to move an item from one step to another, and conditional routing.

``decide_move`` is pure: the item's values, the two steps' effective configs,
the field definitions and ``now`` go in; a ``Decision`` comes out. Either it
lists every violation (transition rules, the requirements and validations of
the step being left, the extra violations the caller supplies such as a missing
approval, and the target step's entry requirements), or it carries the item's
new values and the events of the move.

Transition rules live in the metadata of the step being left:

- ``allowed_next_steps``: a list of step names or ids. When set it is the whole
  list of steps the item may move to (the admin named them, so ``allow_backward``
  and ``allow_skip`` do not restrict it further).
- ``allow_backward: false``: no move to a step earlier in the pipeline's order.
- ``allow_skip: false``: no move forward past a step (only to the next one).

Without them an item may move to any other step of its pipeline; moving to the
step it is at is refused. A loop back (rework) is an ordinary move to an earlier
step and opens a new history row.

Entry requirements live in the metadata of the target step:
``entry_required_fields`` (field names that must have a value to enter) and
``entry_validations`` (rules shaped like ``validations``, parsed by the caller).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pacetrack.engine.calculations import CalculationError, recalculate
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import (
    AutomationRule,
    MoveToStepAction,
    StepConfig,
    ValidationRule,
)
from pacetrack.engine.events import DomainEvent, FieldChange, FieldsChanged, StepEntered, StepExited
from pacetrack.engine.expressions.runtime import is_empty
from pacetrack.engine.field_view import condition_holds
from pacetrack.engine.fields import FieldSpec, normalize_value
from pacetrack.engine.step_settings import StepSettings
from pacetrack.engine.validations import Violation, validate_step


@dataclass(frozen=True, kw_only=True)
class StepRef:
    """A step of the item's pipeline instance, in the instance's order."""

    id: uuid.UUID
    name: str
    position: int


@dataclass(frozen=True, kw_only=True)
class Decision:
    """Violations (the move is refused), or the item's values after the move."""

    violations: tuple[Violation, ...] = ()
    values: Mapping[str, Any]
    changes: tuple[FieldChange, ...] = ()
    calculation_errors: tuple[CalculationError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations

    def events(
        self,
        *,
        item_id: uuid.UUID,
        actor_id: uuid.UUID | None,
        at: datetime,
        from_step: uuid.UUID,
        to_step: uuid.UUID,
        exited_history_id: uuid.UUID,
        entered_history_id: uuid.UUID,
    ) -> tuple[DomainEvent, ...]:
        """The events of an accepted move (history row ids are known once it is applied)."""
        events: list[DomainEvent] = [
            StepExited(
                item_id=item_id,
                at=at,
                actor_id=actor_id,
                step_id=from_step,
                history_id=exited_history_id,
                to_step_id=to_step,
            ),
            StepEntered(
                item_id=item_id,
                at=at,
                actor_id=actor_id,
                step_id=to_step,
                history_id=entered_history_id,
                from_step_id=from_step,
            ),
        ]
        if self.changes:
            events.append(
                FieldsChanged(
                    item_id=item_id, at=at, actor_id=actor_id, step_id=to_step, changes=self.changes
                )
            )
        return tuple(events)


def _matches_step(reference: object, step: StepRef) -> bool:
    if not isinstance(reference, str):
        return False
    text = reference.strip()
    return text == str(step.id) or text.casefold() == step.name.casefold()


def transition_violations(
    *,
    current: StepRef,
    target: StepRef,
    steps: Sequence[StepRef],
    settings: StepSettings,
) -> tuple[Violation, ...]:
    """Whether the settings of the step being left allow ``target``; ``steps`` in pipeline
    order."""
    if target.id == current.id:
        return (
            Violation(
                rule_id="transition:same_step",
                field_id=None,
                message=f"The item is already at {current.name}.",
            ),
        )
    broken = settings.blocking("allowed_next_steps")
    if broken is not None:
        return (
            Violation(
                rule_id="transition:config",
                field_id=None,
                message=f"{current.name}: {broken.path} {broken.message}.",
            ),
        )
    allowed = settings.allowed_next_steps
    if allowed is not None:
        if any(_matches_step(reference, target) for reference in allowed):
            return ()
        names = [step.name for step in steps if any(_matches_step(r, step) for r in allowed)]
        return (
            Violation(
                rule_id="transition:not_allowed",
                field_id=None,
                message=(
                    f"From {current.name} the item can move only to: {', '.join(names)}."
                    if names
                    else f"From {current.name} the item cannot move to another step."
                ),
            ),
        )
    order = {step.id: index for index, step in enumerate(steps)}
    here, there = order.get(current.id, 0), order.get(target.id, 0)
    violations: list[Violation] = []
    if there < here and not settings.allow_backward:
        violations.append(
            Violation(
                rule_id="transition:backward",
                field_id=None,
                message=f"Moving back from {current.name} to {target.name} is not allowed.",
            )
        )
    if there > here + 1 and not settings.allow_skip:
        skipped = ", ".join(step.name for step in steps[here + 1 : there])
        violations.append(
            Violation(
                rule_id="transition:skip",
                field_id=None,
                message=f"Moving from {current.name} to {target.name} would skip {skipped}.",
            )
        )
    return tuple(violations)


def entry_violations(
    *,
    target: StepRef,
    required_fields: Sequence[str],
    rules: Sequence[ValidationRule],
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> tuple[Violation, ...]:
    """The target step's entry requirements that ``values`` do not meet."""
    violations: list[Violation] = []
    for name in required_fields:
        if is_empty(values.get(name)):
            spec = fields.get(name)
            label = spec.display_name if spec is not None else name
            violations.append(
                Violation(
                    rule_id=f"entry_required:{name}",
                    field_id=name,
                    message=f"{label} is required to enter {target.name}",
                )
            )
    if rules:
        result = validate_step(
            config=StepConfig(validations=tuple(rules)),
            fields=fields,
            values=values,
            now=now,
            calendar=calendar,
        )
        violations.extend(result.violations)
    return tuple(violations)


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """What differs between two sets of values, field by field in name order."""
    return tuple(
        FieldChange(field=name, old=before.get(name), new=after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    )


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


def decide_move(
    *,
    current: StepRef,
    target: StepRef,
    steps: Sequence[StepRef],
    current_config: StepConfig,
    target_config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
    extra_violations: Sequence[Violation] = (),
    entry_required_fields: Sequence[str] = (),
    entry_rules: Sequence[ValidationRule] = (),
) -> Decision:
    """Every reason the move is refused, or the values the item has after it."""
    leaving, leave_errors = apply_calculations(
        config=current_config, fields=fields, values=values, now=now, calendar=calendar
    )
    violations = [
        *transition_violations(
            current=current, target=target, steps=steps, settings=current_config.settings
        ),
        *validate_step(
            config=current_config, fields=fields, values=leaving, now=now, calendar=calendar
        ).violations,
        *extra_violations,
        *entry_violations(
            target=target,
            required_fields=entry_required_fields,
            rules=entry_rules,
            fields=fields,
            values=leaving,
            now=now,
            calendar=calendar,
        ),
    ]
    if violations:
        return Decision(violations=tuple(violations), values=values)
    entered, enter_errors = apply_calculations(
        config=target_config, fields=fields, values=leaving, now=now, calendar=calendar
    )
    errors = {error.calculation_id: error for error in (*leave_errors, *enter_errors)}
    return Decision(
        values=entered,
        changes=field_changes(values, entered),
        calculation_errors=tuple(errors.values()),
    )


# --- conditional routing ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Route:
    """An automation that sends the item on to ``step`` (a step name or id)."""

    automation_id: str
    step: str


@dataclass(frozen=True, kw_only=True)
class RoutingOutcome:
    route: Route | None = None
    problems: tuple[str, ...] = ()


def _same_value(spec: FieldSpec | None, expected: object, actual: object) -> bool:
    """Compare a configured from/to value with a stored canonical value."""
    if spec is not None and expected is not None:
        normalized = normalize_value(spec, expected)
        if normalized.ok:
            expected = normalized.value
    return expected == actual


def _fires(
    rule: AutomationRule,
    *,
    entered: bool,
    changes: Mapping[str, FieldChange],
    fields: Mapping[str, FieldSpec],
) -> bool:
    if rule.trigger == "on_enter":
        return entered
    if rule.trigger != "on_field_change":
        return False
    if rule.field_id is None:
        return bool(changes)
    change = changes.get(rule.field_id)
    if change is None:
        return False
    spec = fields.get(rule.field_id)
    if rule.from_value is not None and not _same_value(spec, rule.from_value, change.old):
        return False
    return rule.to_value is None or _same_value(spec, rule.to_value, change.new)


def automatic_route(
    *,
    config: StepConfig,
    entered: bool,
    changes: Sequence[FieldChange],
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> RoutingOutcome:
    """The first enabled ``move_to_step`` automation of ``config`` that fires, if any.

    ``entered``: the item has just entered the step (``on_enter``); ``changes``:
    the field changes just made (``on_field_change``, with the optional
    ``from_value`` / ``to_value``). A ``condition`` must hold; one that cannot be
    evaluated counts as false and is reported in ``problems``.
    """
    by_field = {change.field: change for change in changes}
    problems: list[str] = []
    for rule in config.automations:
        if not rule.is_enabled or not isinstance(rule.action, MoveToStepAction):
            continue
        if not _fires(rule, entered=entered, changes=by_field, fields=fields):
            continue
        if rule.condition is not None:
            holds, problem = condition_holds(
                rule.condition, fields=fields, values=values, now=now, calendar=calendar
            )
            if problem is not None:
                problems.append(f"{rule.id}: {problem}")
            if not holds:
                continue
        return RoutingOutcome(
            route=Route(automation_id=rule.id, step=rule.action.step), problems=tuple(problems)
        )
    return RoutingOutcome(problems=tuple(problems))


def find_step(reference: str, steps: Sequence[StepRef]) -> StepRef | None:
    """The step named (or with the id) ``reference``."""
    return next((step for step in steps if _matches_step(reference, step)), None)
