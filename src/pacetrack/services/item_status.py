"""The item's lifecycle inside the move path: the activity log, completing an item as
it enters a terminal step, and the guard every change of an item passes.

``engine.lifecycle`` decides; this module writes what it decided in the caller's unit
of work (which commits once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pacetrack.db.tables import Item, Step
from pacetrack.engine.config import StepConfig
from pacetrack.engine.lifecycle import (
    ACTIVE,
    ARCHIVED,
    COMPLETED,
    LifecycleAction,
    lifecycle_refusal,
)
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict
from pacetrack.services.unit_of_work import UnitOfWork

__all__ = [
    "ACTIVE",
    "ARCHIVED",
    "COMPLETED",
    "ItemNotOpen",
    "complete_if_terminal",
    "ensure_allows",
    "record_activity",
    "stop_timers",
]


def record_activity(
    uow: UnitOfWork,
    *,
    item: Item,
    actor: Actor | None,
    kind: str,
    data: dict[str, Any],
    at: datetime | None = None,
) -> None:
    """Logs what happened to ``item``, done by ``actor`` (None: by the system)."""
    uow.activity.log(
        tenant_id=item.tenant_id,
        item_id=item.id,
        actor_id=actor.account_id if actor is not None else None,
        kind=kind,
        data=data,
        at=at or uow.clock.now(),
    )


class ItemNotOpen(Conflict):
    """The item's status does not allow this change."""


def ensure_allows(item: Item, action: LifecycleAction) -> None:
    """``ItemNotOpen`` (409) when the item's status does not allow ``action``; unlike a
    concurrent write, waiting does not help, so a worker's job does not retry it."""
    refusal = lifecycle_refusal(action, item.status)
    if refusal is not None:
        raise ItemNotOpen(refusal)


def stop_timers(uow: UnitOfWork, *, item: Item, at: datetime) -> int:
    """Cancels every armed timer of the item (those armed in this transaction too)."""
    uow.flush()
    return uow.timers.cancel_for_item(item.tenant_id, item.id, now=at)


def complete_if_terminal(
    uow: UnitOfWork, *, actor: Actor, item: Item, step: Step, config: StepConfig, at: datetime
) -> bool:
    """Completes the item that has just entered ``step`` when the step is terminal: status,
    outcome and time recorded, its timers cancelled, an ``item.completed`` entry logged."""
    outcome = config.settings.terminal_outcome
    if outcome is None:
        return False
    item.status = COMPLETED
    item.outcome = outcome
    item.completed_at = at
    cancelled = stop_timers(uow, item=item, at=at)
    record_activity(
        uow,
        item=item,
        actor=actor,
        kind="item.completed",
        data={
            "step_id": str(step.id),
            "step": step.name,
            "outcome": outcome,
            "timers_cancelled": cancelled,
        },
        at=at,
    )
    return True
