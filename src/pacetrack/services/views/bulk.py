"""Bulk actions from the board and the list, in words: each selected item moves or is
assigned through the move and assignment services, in its own transaction (one refusal
undoes nothing else), and the outcome of each reads as a sentence."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pacetrack.engine.words import counted
from pacetrack.services import assignments, moves
from pacetrack.services.assignments import BulkAssign, BulkAssignTarget
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
from pacetrack.services.moves import BulkMove
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.views.pipeline_view import item_names, load


@dataclass(frozen=True, kw_only=True)
class Outcome:
    name: str
    done: bool
    words: str


@dataclass(frozen=True, kw_only=True)
class BulkResult:
    summary: str
    outcomes: tuple[Outcome, ...]


def _selection(
    uow_factory: Callable[[], UnitOfWork],
    actor: Actor,
    instance_id: uuid.UUID,
    item_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, str]:
    if not item_ids:
        raise InvalidInput.one("item_id", "select at least one item")
    with uow_factory() as uow:
        names = item_names(uow, actor, instance_id, list(dict.fromkeys(item_ids)))
    if not names:
        raise InvalidInput.one("item_id", "none of the selected items is in this pipeline")
    return names


def move_selected(
    uow_factory: Callable[[], UnitOfWork],
    actor: Actor,
    instance_id: uuid.UUID,
    *,
    item_ids: Sequence[uuid.UUID],
    step_id: uuid.UUID,
) -> BulkResult:
    names = _selection(uow_factory, actor, instance_id, item_ids)
    with uow_factory() as uow:
        step = load(uow, actor, instance_id).step(step_id)
    if step is None:
        raise InvalidInput.one("step_id", "choose a step of this pipeline")
    done = moves.bulk_move(uow_factory, actor, BulkMove(item_ids=list(names), step_id=step.id))
    outcomes = []
    for result in done.results:
        name = names[result.id]
        if result.status == "moved":
            outcomes.append(Outcome(name=name, done=True, words=f"Moved to {step.name}."))
        elif result.status == "blocked":
            reasons = " ".join(
                v.message if v.message.endswith(".") else f"{v.message}." for v in result.violations
            )
            outcomes.append(Outcome(name=name, done=False, words=f"Not moved: {reasons}"))
        elif result.status == "conflict":
            outcomes.append(
                Outcome(
                    name=name,
                    done=False,
                    words=f"Not moved: {result.message or 'changed meanwhile.'}",
                )
            )
        else:
            outcomes.append(
                Outcome(name=name, done=False, words=f"Not moved: it cannot go to {step.name}.")
            )
    moved = sum(1 for outcome in outcomes if outcome.done)
    summary = (
        f"{counted(moved, 'item')} moved to {step.name}, "
        f"{counted(len(outcomes) - moved, 'item')} not moved."
    )
    return BulkResult(summary=summary, outcomes=tuple(outcomes))


def assign_selected(
    uow_factory: Callable[[], UnitOfWork],
    actor: Actor,
    instance_id: uuid.UUID,
    *,
    item_ids: Sequence[uuid.UUID],
    account_id: uuid.UUID,
) -> BulkResult:
    names = _selection(uow_factory, actor, instance_id, item_ids)
    with uow_factory() as uow:
        person = load(uow, actor, instance_id).person(account_id)
    if person is None:
        raise InvalidInput.one("account_id", "choose a person of this organisation")
    done = assignments.bulk_assign(
        uow_factory,
        actor,
        BulkAssign(
            items=[BulkAssignTarget(id=item_id) for item_id in names],
            mode="add",
            account_ids=[person.id],
        ),
    )
    outcomes = []
    for result in done.results:
        name = names[result.id]
        if result.result == "assigned":
            outcomes.append(Outcome(name=name, done=True, words=f"Assigned to {person.name}."))
        else:
            reasons = " ".join(error["message"] for error in result.errors) or result.message
            outcomes.append(Outcome(name=name, done=False, words=f"Not assigned: {reasons}"))
    assigned = sum(1 for outcome in outcomes if outcome.done)
    summary = (
        f"{counted(assigned, 'item')} assigned to {person.name}, "
        f"{counted(len(outcomes) - assigned, 'item')} not assigned."
    )
    return BulkResult(summary=summary, outcomes=tuple(outcomes))
