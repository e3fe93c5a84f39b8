"""Reopening, archiving, unarchiving and deleting items (``engine.lifecycle`` decides which
status allows which).

- ``reopen_item`` takes a completed item into a chosen step through the move path: the
  rules of leaving the terminal step and of entering the target apply as to any move;
  refused, the item stays completed and the refusal is recorded like a refused move.
  Reopened, it is active again with its outcome cleared (a terminal target completes it
  again, with that step's outcome).
- ``archive_item`` / ``unarchive_item`` put a completed item away and bring it back.
- ``delete_item`` (admins only) keeps the row with status ``deleted``, who and when,
  cancels its timers and records it in the activity log and the audit trail; from then
  on every read answers 404 and no list shows it.

Each checks ``expected_version`` (409 when stale), bumps the version and commits once.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import Item
from pacetrack.engine.lifecycle import ACTIVE, ARCHIVED, COMPLETED, DELETED, LifecycleAction
from pacetrack.engine.words import counted
from pacetrack.services import audit
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
from pacetrack.services.input_types import Version
from pacetrack.services.item_status import ensure_allows, record_activity, stop_timers
from pacetrack.services.items import ItemOut, item_out
from pacetrack.services.moves import MoveBlocked, lock_item_in_context, move_once
from pacetrack.services.unit_of_work import UnitOfWork

ITEM_DELETED = "item.deleted"


class ReopenItem(BaseModel):
    """Reopen completed item ``id`` into step ``step_id`` of its pipeline."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    step_id: uuid.UUID
    expected_version: Version | None = Field(default=None)


class ItemLifecycleChange(BaseModel):
    """Archive, unarchive or delete item ``id``."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    expected_version: Version | None = Field(default=None)


def reopen_item(uow: UnitOfWork, actor: Actor, command: ReopenItem) -> ItemOut:
    """The item moved into ``step_id`` and open again, or ``MoveBlocked`` with every reason."""
    item, context = lock_item_in_context(
        uow, actor, command.id, expected_version=command.expected_version, wanted=[command.step_id]
    )
    ensure_allows(item, "reopen")
    target = context.step(command.step_id)
    if target is None:
        raise InvalidInput.one("step_id", "not a step of the item's pipeline")
    outcome, completed_at = item.outcome, item.completed_at
    item.status, item.outcome, item.completed_at = ACTIVE, None, None
    result = move_once(uow, actor=actor, item=item, target=target, context=context, automatic=None)
    if not result.moved:
        item.status, item.outcome, item.completed_at = COMPLETED, outcome, completed_at
        uow.commit()
        raise MoveBlocked(
            result.violations,
            f"The item cannot be reopened into {target.name}: "
            f"{counted(len(result.violations), 'requirement')} not met.",
        )
    record_activity(
        uow,
        item=item,
        actor=actor,
        kind="item.reopened",
        data={"step_id": str(target.id), "step": target.name, "previous_outcome": outcome},
    )
    uow.commit()
    return item_out(item)


def _change(
    uow: UnitOfWork, actor: Actor, command: ItemLifecycleChange, action: LifecycleAction
) -> Item:
    item, _context = lock_item_in_context(
        uow, actor, command.id, expected_version=command.expected_version
    )
    ensure_allows(item, action)
    item.version += 1
    item.updated_at = uow.clock.now()
    return item


def archive_item(uow: UnitOfWork, actor: Actor, command: ItemLifecycleChange) -> ItemOut:
    """A completed item put away: out of the default lists, kept with its history."""
    item = _change(uow, actor, command, "archive")
    item.status, item.archived_at = ARCHIVED, item.updated_at
    record_activity(uow, item=item, actor=actor, kind="item.archived", data={})
    uow.commit()
    return item_out(item)


def unarchive_item(uow: UnitOfWork, actor: Actor, command: ItemLifecycleChange) -> ItemOut:
    """An archived item back among the completed ones."""
    item = _change(uow, actor, command, "unarchive")
    item.status, item.archived_at = COMPLETED, None
    record_activity(uow, item=item, actor=actor, kind="item.unarchived", data={})
    uow.commit()
    return item_out(item)


def delete_item(uow: UnitOfWork, actor: Actor, command: ItemLifecycleChange) -> None:
    """Soft-deletes the item (admins only); recorded with who and when."""
    actor.require_admin("delete items")
    item = _change(uow, actor, command, "delete")
    previous = item.status
    now = item.updated_at
    item.status, item.deleted_at, item.deleted_by = DELETED, now, actor.account_id
    cancelled = stop_timers(uow, item=item, at=now)
    details = {"item_id": str(item.id), "name": item.name, "status_before": previous}
    record_activity(
        uow, item=item, actor=actor, kind=ITEM_DELETED, data={**details, "timers": cancelled}
    )
    audit.record(
        uow,
        tenant_id=item.tenant_id,
        kind=ITEM_DELETED,
        account_id=actor.account_id,
        details=details,
    )
    uow.commit()
