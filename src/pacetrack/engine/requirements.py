"""What a move needs, met or not, in words: the one answer the move and the checklist share.

``move_requirements`` lists, in the order the move reports them:

1. the transition rules of the step being left that refuse the target (only refusals);
2. leaving: the fields the step's field view requires, then each of its validations,
   then its approval (``approval``: the service's violations, found in the approval
   rows; a granted approval is listed as met when the step requires one);
3. entering the target: a malformed entry requirement stored before the settings were
   checked (``entry_config``), the entry required fields, then the entry validations.

Leaving and entering are decided on the values the step's calculations give when the
item leaves, as the move decides them. A requirement that is not met carries the
violation's words; a met one says what it asks for (a rule's ``error_message`` when the
admin wrote one). ``violations`` are the unmet ones, in order: exactly what the move
refuses with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Final, Literal, NamedTuple

from pacetrack.engine.calculations import CalculationError, apply_calculations
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import (
    FieldComparisonRule,
    FieldMaxValueRule,
    FieldMinValueRule,
    FieldPatternRule,
    FieldRequiredRule,
    StepConfig,
    ValidationRule,
)
from pacetrack.engine.expressions.limits import shown_number
from pacetrack.engine.expressions.runtime import is_empty
from pacetrack.engine.field_view import field_view
from pacetrack.engine.fields import FieldSpec
from pacetrack.engine.transitions import StepRef, transition_violations
from pacetrack.engine.validations import Violation, field_label, rule_violations

APPROVAL_REQUIRED: Final = "approval_required"
ENTRY_CONFIG: Final = "entry_config"
Phase = Literal["leave", "enter"]


@dataclass(frozen=True, kw_only=True)
class Requirement:
    """One line of the checklist."""

    rule_id: str
    field_id: str | None
    met: bool
    message: str
    phase: Phase

    @property
    def violation(self) -> Violation:
        return Violation(rule_id=self.rule_id, field_id=self.field_id, message=self.message)


class _Part(NamedTuple):
    """Some requirements: the unmet ones at once, the whole list (with the words of the met
    ones) only when asked for, so a move that passes pays nothing for words. (A tuple: a
    move builds several, and a frozen dataclass costs several times more to make.)"""

    violations: tuple[Violation, ...]
    listing: Callable[[], Sequence[Requirement]]


_NOTHING: Final = _Part(violations=(), listing=tuple)


@dataclass(frozen=True, kw_only=True)
class MoveRequirements:
    """Every requirement of a move, and the values they were decided on."""

    parts: tuple[_Part, ...]
    values: Mapping[str, Any]
    """The item's values after the calculations of the step being left."""
    calculation_errors: tuple[CalculationError, ...] = ()

    @cached_property
    def violations(self) -> tuple[Violation, ...]:
        """The unmet requirements, in order."""
        return tuple(v for part in self.parts for v in part.violations)

    @cached_property
    def requirements(self) -> tuple[Requirement, ...]:
        return tuple(r for part in self.parts for r in part.listing())

    @property
    def ready(self) -> bool:
        return not self.violations


def describe_rule(rule: ValidationRule, fields: Mapping[str, FieldSpec]) -> str:
    """What a rule asks for, in words (its ``error_message`` when the admin wrote one)."""
    if rule.error_message:
        return rule.error_message
    label = field_label(fields.get(rule.field_id) if rule.field_id else None, rule.field_id)
    if isinstance(rule, FieldRequiredRule):
        return f"{label} is required"
    if isinstance(rule, FieldMinValueRule):
        return f"{label} must be at least {shown_number(rule.min_value)}"
    if isinstance(rule, FieldMaxValueRule):
        return f"{label} must be at most {shown_number(rule.max_value)}"
    if isinstance(rule, FieldPatternRule):
        return f"{label} must match {rule.pattern}"
    if isinstance(rule, FieldComparisonRule):
        other = rule.compare_field_id or str(rule.compare_value)
        return f"{label} {rule.operator} {other}"
    return f"condition `{rule.expression}` holds"


def _unmet(violations: Sequence[Violation], phase: Phase) -> _Part:
    if not violations:
        return _NOTHING
    found = tuple(violations)
    return _Part(
        violations=found,
        listing=lambda: [
            Requirement(
                rule_id=v.rule_id, field_id=v.field_id, met=False, message=v.message, phase=phase
            )
            for v in found
        ],
    )


def _rules(
    rules: tuple[ValidationRule, ...],
    phase: Phase,
    *,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> _Part:
    if not rules:
        return _NOTHING
    failing = rule_violations(rules=rules, fields=fields, values=values, now=now, calendar=calendar)

    def listing() -> list[Requirement]:
        by_id = {v.rule_id: v for v in failing}
        return [
            Requirement(
                rule_id=rule.id,
                field_id=rule.field_id,
                met=rule.id not in by_id,
                message=by_id[rule.id].message if rule.id in by_id else describe_rule(rule, fields),
                phase=phase,
            )
            for rule in rules
        ]

    return _Part(violations=failing, listing=listing)


def _required(
    names: Sequence[str],
    phase: Phase,
    *,
    prefix: str,
    words: Callable[[str], str],
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
) -> _Part:
    """Fields that must have a value (rule id ``<prefix><name>``; ``words`` of the label)."""
    if not names:
        return _NOTHING

    def requirement(name: str) -> Requirement:
        return Requirement(
            rule_id=f"{prefix}{name}",
            field_id=name,
            met=not is_empty(values.get(name)),
            message=words(field_label(fields.get(name), name)),
            phase=phase,
        )

    missing = tuple(requirement(name).violation for name in names if is_empty(values.get(name)))
    return _Part(violations=missing, listing=lambda: [requirement(name) for name in names])


def _leave_parts(
    *,
    step_name: str,
    config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
    approval: Sequence[Violation],
) -> list[_Part]:
    parts: list[_Part] = []
    if config.field_configs:
        view = field_view(config=config, fields=fields, values=values, now=now, calendar=calendar)
        parts.append(
            _required(
                view.required,
                "leave",
                prefix="required:",
                words=lambda label: f"{label} is required",
                fields=fields,
                values=values,
            )
        )
    parts.append(
        _rules(
            tuple(config.validations),
            "leave",
            fields=fields,
            values=values,
            now=now,
            calendar=calendar,
        )
    )
    parts.append(_unmet(approval, "leave"))
    if not approval and config.settings.approval.required:
        approved = Requirement(
            rule_id=APPROVAL_REQUIRED,
            field_id=None,
            met=True,
            message=f"Leaving {step_name} is approved",
            phase="leave",
        )
        parts.append(_Part(violations=(), listing=lambda: [approved]))
    return parts


def _entry_parts(
    *,
    target: StepRef,
    config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> list[_Part]:
    settings = config.settings
    broken = [
        Violation(
            rule_id=ENTRY_CONFIG,
            field_id=None,
            message=f"{target.name}: {problem.path} {problem.message}.",
        )
        for key in ("entry_required_fields", "entry_validations")
        if (problem := settings.blocking(key)) is not None
    ]
    return [
        _unmet(broken, "enter"),
        _required(
            settings.entry_required_fields,
            "enter",
            prefix="entry_required:",
            words=lambda label: f"{label} is required to enter {target.name}",
            fields=fields,
            values=values,
        ),
        _rules(
            settings.entry_validations,
            "enter",
            fields=fields,
            values=values,
            now=now,
            calendar=calendar,
        ),
    ]


def _listed(parts: Sequence[_Part]) -> tuple[Requirement, ...]:
    return tuple(r for part in parts for r in part.listing())


def leave_requirements(
    *,
    step_name: str,
    config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
    approval: Sequence[Violation] = (),
) -> tuple[Requirement, ...]:
    """Leaving the step: its required fields, its validations and its approval."""
    return _listed(
        _leave_parts(
            step_name=step_name,
            config=config,
            fields=fields,
            values=values,
            now=now,
            calendar=calendar,
            approval=approval,
        )
    )


def entry_requirements(
    *,
    target: StepRef,
    config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> tuple[Requirement, ...]:
    """Entering ``target`` (settings ``entry_required_fields`` and ``entry_validations``)."""
    return _listed(
        _entry_parts(
            target=target, config=config, fields=fields, values=values, now=now, calendar=calendar
        )
    )


def move_requirements(
    *,
    current: StepRef,
    target: StepRef | None,
    steps: Sequence[StepRef],
    current_config: StepConfig,
    target_config: StepConfig | None,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
    approval: Sequence[Violation] = (),
) -> MoveRequirements:
    """Every requirement of moving from ``current`` to ``target`` (leaving only, without a
    target), decided on the values leaving's calculations give."""
    leaving, errors = apply_calculations(
        config=current_config, fields=fields, values=values, now=now, calendar=calendar
    )
    parts: list[_Part] = []
    if target is not None:
        refusals = transition_violations(
            current=current, target=target, steps=steps, settings=current_config.settings
        )
        parts.append(_unmet(refusals, "enter"))
    parts += _leave_parts(
        step_name=current.name,
        config=current_config,
        fields=fields,
        values=leaving,
        now=now,
        calendar=calendar,
        approval=approval,
    )
    if target is not None and target_config is not None:
        parts += _entry_parts(
            target=target,
            config=target_config,
            fields=fields,
            values=leaving,
            now=now,
            calendar=calendar,
        )
    return MoveRequirements(parts=tuple(parts), values=leaving, calculation_errors=errors)
