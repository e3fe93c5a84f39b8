"""Which notification and automation rules fire for what happened to an item.

Pure matching: the step's configuration and the event's facts come in, the
rules that fire come out. Conditions are evaluated with the expression
language; a condition that cannot be evaluated does not fire and says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import (
    AutomationRule,
    MoveToStepAction,
    NotificationRule,
    StepConfig,
    TriggerSettings,
)
from pacetrack.engine.events import FieldChange
from pacetrack.engine.expressions import ExpressionError, compile_expression
from pacetrack.engine.fields import FieldSpec, parse_decimal
from pacetrack.engine.timers import TIMED_TRIGGERS, Due, first_due

RuleKind = Literal["notification", "automation"]
InstantTrigger = Literal["on_enter", "on_exit", "on_field_change"]


@dataclass(frozen=True, kw_only=True)
class Firing:
    """A rule of a step that fires (or, for timed rules, is to be armed)."""

    kind: RuleKind
    rule: NotificationRule | AutomationRule


@dataclass(frozen=True, kw_only=True)
class ConditionResult:
    holds: bool
    error: str | None = None


def step_rules(config: StepConfig) -> tuple[Firing, ...]:
    """Every notification rule and every enabled automation rule of the step."""
    notifications = tuple(Firing(kind="notification", rule=rule) for rule in config.notifications)
    automations = tuple(
        Firing(kind="automation", rule=rule) for rule in config.automations if rule.is_enabled
    )
    return notifications + automations


def timed_rules(config: StepConfig) -> tuple[Firing, ...]:
    """The rules entering the step arms timers for (``on_duration``, ``at_risk``)."""
    return tuple(f for f in step_rules(config) if f.rule.trigger in TIMED_TRIGGERS)


def same_value(configured: Any, actual: Any) -> bool:
    """Whether a configured ``from_value``/``to_value`` names the canonical value ``actual``.

    Numbers compare by value (``100`` matches ``"100.00"``), lists as sets of
    their members, everything else by equality.
    """
    left, right = parse_decimal(configured), parse_decimal(actual)
    if left is not None and right is not None:
        return left == right
    if isinstance(configured, list | tuple) and isinstance(actual, list | tuple):
        return sorted(map(str, configured)) == sorted(map(str, actual))
    return bool(configured == actual)


def field_change_matches(rule: TriggerSettings, changes: Iterable[FieldChange]) -> bool:
    """``on_field_change``: the rule's field changed, from and to the values it names (if any)."""
    for change in changes:
        if change.field != rule.field_id:
            continue
        if rule.from_value is not None and not same_value(rule.from_value, change.old):
            continue
        if rule.to_value is not None and not same_value(rule.to_value, change.new):
            continue
        return True
    return False


def instant_firings(
    config: StepConfig, *, trigger: InstantTrigger, changes: Sequence[FieldChange] = ()
) -> tuple[Firing, ...]:
    """Rules with ``trigger`` (and, for field changes, a matching change), before conditions."""
    fired = [f for f in step_rules(config) if f.rule.trigger == trigger]
    if trigger == "on_field_change":
        fired = [f for f in fired if field_change_matches(f.rule, changes)]
    return tuple(fired)


def condition_holds(
    rule: TriggerSettings,
    *,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> ConditionResult:
    """True without a condition; otherwise the condition's value must be exactly true."""
    if not rule.condition:
        return ConditionResult(holds=True)
    try:
        expression = compile_expression(rule.condition, fields=fields)
    except ExpressionError as exc:
        return ConditionResult(holds=False, error=f"condition of rule “{rule.id}”: {exc}")
    outcome = expression.evaluate(values, now=now, calendar=calendar)
    if outcome.error is not None:
        return ConditionResult(holds=False, error=f"condition of rule “{rule.id}”: {outcome.error}")
    return ConditionResult(holds=outcome.value is True)


@dataclass(frozen=True, kw_only=True)
class Decided:
    """A rule matched by what happened, with whether its condition holds (then it fires)."""

    firing: Firing
    condition: ConditionResult


def decide_instant(
    config: StepConfig,
    *,
    trigger: InstantTrigger,
    changes: Sequence[FieldChange] = (),
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> tuple[Decided, ...]:
    """Every rule ``trigger`` matches, each with its condition decided on ``values``."""
    return tuple(
        Decided(
            firing=firing,
            condition=condition_holds(
                firing.rule, fields=fields, values=values, now=now, calendar=calendar
            ),
        )
        for firing in instant_firings(config, trigger=trigger, changes=changes)
    )


@dataclass(frozen=True, kw_only=True)
class PlannedTimer:
    """A timed rule that entering the step arms, and when it first falls due."""

    firing: Firing
    due: Due


def planned_timers(
    config: StepConfig, *, entered_at: datetime, calendar: BusinessCalendar
) -> tuple[PlannedTimer, ...]:
    """The timers a stay that begins at ``entered_at`` arms (rules without a due time arm none)."""
    planned = []
    for firing in timed_rules(config):
        due = first_due(
            firing.rule,
            entered_at=entered_at,
            target_duration_days=config.target_duration_days,
            calendar=calendar,
        )
        if due is not None:
            planned.append(PlannedTimer(firing=firing, due=due))
    return tuple(planned)


def routes_the_item(firing: Firing) -> bool:
    """A ``move_to_step`` automation. When a move, a field change or an item's creation
    fires it (``on_enter``, ``on_exit``, ``on_field_change``), that change decides it
    itself (``engine.moves.automatic_route``) and records its run: it becomes no outbox
    job. Timed ones fire from their timers, unless due at entry (``decided_at_entry``)."""
    rule = firing.rule
    return isinstance(rule, AutomationRule) and isinstance(rule.action, MoveToStepAction)


def decided_at_entry(planned: PlannedTimer, *, entered_at: datetime) -> bool:
    """A timed ``move_to_step`` automation due the moment the stay begins: the move
    that enters the step follows it, as it follows ``on_enter`` rules."""
    return routes_the_item(planned.firing) and planned.due.due_at <= entered_at


def due_at_entry(
    config: StepConfig, *, entered_at: datetime, calendar: BusinessCalendar
) -> tuple[AutomationRule, ...]:
    """The timed ``move_to_step`` automations of ``config`` due when a stay begins."""
    return tuple(
        planned.firing.rule
        for planned in planned_timers(config, entered_at=entered_at, calendar=calendar)
        if decided_at_entry(planned, entered_at=entered_at)
        and isinstance(planned.firing.rule, AutomationRule)
    )
