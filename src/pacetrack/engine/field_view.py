"""Which fields an item shows and requires at a step.

A field is visible at a step only when the step's ``field_configs`` list it
with ``is_visible`` (and its ``visible_when`` holds). It is required when
visible and either its definition says ``is_required`` (required wherever
visible) or the step config does: ``required_when``, when given, decides the
step's requirement on its own; otherwise ``is_required`` does. A condition that
cannot be evaluated (or does not compile) counts as false and is reported in
``problems``, so a broken condition never hides or blocks by accident silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import StepConfig
from pacetrack.engine.expressions import ExpressionError, compile_expression
from pacetrack.engine.fields import FieldSpec


@dataclass(frozen=True, kw_only=True)
class FieldView:
    """Visible and required field names, in config order."""

    visible: tuple[str, ...]
    required: tuple[str, ...]
    problems: tuple[str, ...] = ()


def condition_holds(
    source: str,
    *,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> tuple[bool, str | None]:
    """Whether a condition is true, and why it could not be decided (then it is false)."""
    try:
        expression = compile_expression(source, fields=fields)
    except ExpressionError as exc:
        return False, str(exc)
    outcome = expression.evaluate(values, now=now, calendar=calendar)
    if outcome.error is not None:
        return False, outcome.error
    return outcome.value is True, None


def field_view(
    *,
    config: StepConfig,
    fields: Mapping[str, FieldSpec],
    values: Mapping[str, Any],
    now: datetime,
    calendar: BusinessCalendar,
) -> FieldView:
    visible: list[str] = []
    required: list[str] = []
    problems: list[str] = []

    def holds(source: str, name: str, which: str) -> bool:
        result, problem = condition_holds(
            source, fields=fields, values=values, now=now, calendar=calendar
        )
        if problem is not None:
            problems.append(f"{name}.{which}: {problem}")
        return result

    for item in config.field_configs:
        name = item.field_definition_id
        spec = fields.get(name)
        if spec is None or name in visible or not item.is_visible:
            continue
        if item.visible_when is not None and not holds(item.visible_when, name, "visible_when"):
            continue
        visible.append(name)
        if item.required_when is not None:
            step_requires = holds(item.required_when, name, "required_when")
        else:
            step_requires = item.is_required
        if spec.is_required or step_requires:
            required.append(name)
    return FieldView(visible=tuple(visible), required=tuple(required), problems=tuple(problems))
