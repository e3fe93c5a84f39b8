"""Where an item may move from its step: the transition rules of the step being left.

The rules are the step's settings (``StepSettings``, from its metadata):

- ``allowed_next_steps``: a list of step names or ids. When set it is the whole
  list of steps the item may move to (the admin named them, so ``allow_backward``
  and ``allow_skip`` do not restrict it further).
- ``allow_backward: false``: no move to a step earlier in the pipeline's order.
- ``allow_skip: false``: no move forward past a step (only to the next one).

Without them an item may move to any other step of its pipeline; moving to the
step it is at is refused. A loop back (rework) is an ordinary move to an earlier
step and opens a new history row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pacetrack.engine.step_settings import StepSettings
from pacetrack.engine.validations import Violation


@dataclass(frozen=True, kw_only=True)
class StepRef:
    """A step of the item's pipeline instance, in the instance's order."""

    id: uuid.UUID
    name: str
    position: int


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


def find_step(reference: str, steps: Sequence[StepRef]) -> StepRef | None:
    """The step named (or with the id) ``reference``."""
    return next((step for step in steps if _matches_step(reference, step)), None)
