"""Which move the item page offers first, and which it keeps in the secondary menu.

The primary button moves to the next step the current step's transition rules
allow (the lowest position after the current one, the step the checklist checks
by default); the other allowed steps, earlier ones included, are in the menu. At
the last step there is no primary move, only the menu.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pacetrack.services.items import StepBrief
from pacetrack.services.moves import ValidationStatusOut
from pacetrack.services.vocabulary import counted


@dataclass(frozen=True, kw_only=True)
class MoveChoices:
    primary: StepBrief | None
    others: tuple[StepBrief, ...]


def move_choices(allowed: Sequence[StepBrief], *, current: StepBrief | None) -> MoveChoices:
    """``allowed``: the steps the transition rules allow, in pipeline order."""
    ordered = sorted(allowed, key=lambda step: step.order)
    here = current.order if current is not None else None
    later = [step for step in ordered if here is None or step.order > here]
    primary = later[0] if later else None
    return MoveChoices(
        primary=primary,
        others=tuple(step for step in ordered if primary is None or step.id != primary.id),
    )


def readiness(status: ValidationStatusOut | None) -> str:
    """The checklist's state in a few words, shown next to the primary move button."""
    if status is None:
        return ""
    unmet = sum(1 for requirement in status.requirements if not requirement.met)
    return "Ready to move" if not unmet else f"{counted(unmet, 'requirement')} not met"
