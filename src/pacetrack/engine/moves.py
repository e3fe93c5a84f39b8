"""The decision to move an item from one step to another, and conditional routing.

``decide_move`` is pure: the item's values, the two steps' effective configs,
the field definitions and ``now`` go in; a ``Decision`` comes out. Either it
lists every violation (``requirements.move_requirements``: the transition rules
of the step being left (``transitions``), its required fields, validations and
approval, and the target step's entry requirements), or it carries the item's
new values and the events of the move.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pacetrack.engine.calculations import CalculationError, apply_calculations
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import AutomationRule, MoveToStepAction, StepConfig
from pacetrack.engine.events import DomainEvent, FieldChange, FieldsChanged, StepEntered, StepExited
from pacetrack.engine.field_view import condition_holds
from pacetrack.engine.fields import FieldSpec, normalize_value
from pacetrack.engine.requirements import move_requirements
from pacetrack.engine.transitions import StepRef
from pacetrack.engine.triggers import due_at_entry
from pacetrack.engine.validations import Violation


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


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """What differs between two sets of values, field by field in name order."""
    return tuple(
        FieldChange(field=name, old=before.get(name), new=after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    )


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
    approval: Sequence[Violation] = (),
) -> Decision:
    """Every reason the move is refused (``requirements.move_requirements``: the checklist
    the item page shows), or the values the item has after it."""
    needs = move_requirements(
        current=current,
        target=target,
        steps=steps,
        current_config=current_config,
        target_config=target_config,
        fields=fields,
        values=values,
        now=now,
        calendar=calendar,
        approval=approval,
    )
    violations = needs.violations
    if violations:
        return Decision(violations=violations, values=values)
    entered, enter_errors = apply_calculations(
        config=target_config, fields=fields, values=needs.values, now=now, calendar=calendar
    )
    errors = {error.calculation_id: error for error in (*needs.calculation_errors, *enter_errors)}
    return Decision(
        values=entered,
        changes=field_changes(values, entered),
        calculation_errors=tuple(errors.values()),
    )


# --- conditional routing ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Route:
    """A ``move_to_step`` automation that fired: it sends the item on to ``step`` (a step
    name or id). ``of_step_left``: the rule is the ``on_exit`` rule of the step just left,
    not a rule of the step the item is at."""

    automation_id: str
    automation_name: str | None
    trigger: str
    step: str
    of_step_left: bool = False


@dataclass(frozen=True, kw_only=True)
class RoutingOutcome:
    """The route taken (the first that fired), the others that fired too, and the
    conditions that could not be decided."""

    route: Route | None = None
    passed_over: tuple[Route, ...] = ()
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


def _routing_rules(config: StepConfig) -> list[AutomationRule]:
    return [
        rule
        for rule in config.automations
        if rule.is_enabled and isinstance(rule.action, MoveToStepAction)
    ]


def automatic_route(
    *,
    config: StepConfig,
    entered: bool,
    changes: Sequence[FieldChange],
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
    left: StepConfig | None = None,
) -> RoutingOutcome:
    """Which enabled ``move_to_step`` automation sends the item on, if any.

    The candidates, in this order: the ``on_exit`` rules of the step just left
    (``left``); the rules of ``config`` that fire ``on_enter`` (``entered``: the item
    has just entered the step) or ``on_field_change`` (``changes``: the field changes
    just made, with the optional ``from_value`` / ``to_value``); when entered, the
    timed rules due the moment the item enters (``due_at_entry``). A ``condition``
    must hold; one that cannot be evaluated counts as false and is reported in
    ``problems``. The first candidate that fires is the route.
    """
    by_field = {change.field: change for change in changes}
    leaving = _routing_rules(left) if left is not None else []
    candidates = [(rule, True) for rule in leaving if rule.trigger == "on_exit"]
    candidates += [
        (rule, False)
        for rule in _routing_rules(config)
        if _fires(rule, entered=entered, changes=by_field, fields=fields)
    ]
    if entered:
        timed = due_at_entry(config, entered_at=now, calendar=calendar)
        candidates += [(rule, False) for rule in timed]
    fired: list[Route] = []
    problems: list[str] = []
    for rule, of_step_left in candidates:
        assert isinstance(rule.action, MoveToStepAction)
        if rule.condition is not None:
            holds, problem = condition_holds(
                rule.condition, fields=fields, values=values, now=now, calendar=calendar
            )
            if problem is not None:
                problems.append(f"{rule.id}: {problem}")
            if not holds:
                continue
        fired.append(
            Route(
                automation_id=rule.id,
                automation_name=rule.name,
                trigger=rule.trigger,
                step=rule.action.step,
                of_step_left=of_step_left,
            )
        )
    return RoutingOutcome(
        route=fired[0] if fired else None,
        passed_over=tuple(fired[1:]),
        problems=tuple(problems),
    )
