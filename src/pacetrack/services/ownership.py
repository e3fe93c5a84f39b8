"""Changing an item's owner by hand: one transaction, logged, version bumped.

Admins and managers may hand any item over; other accounts only items they own.
The new owner must be an active account of the tenant who can see the item's
pipeline, so nobody owns work they could not open.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import Item
from pacetrack.services import access
from pacetrack.services.assignments import ensure_version
from pacetrack.services.context import ADMIN, MANAGER, Actor
from pacetrack.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pacetrack.services.input_types import Version
from pacetrack.services.item_status import record_activity
from pacetrack.services.unit_of_work import UnitOfWork

OWNER_CHANGED = "item.owner_changed"


class ChangeOwner(BaseModel):
    """Make ``owner_account_id`` the owner of item ``id``."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    owner_account_id: uuid.UUID
    expected_version: Version | None = Field(
        default=None, description="The item's version you saw; a stale one answers 409"
    )


class OwnerOut(BaseModel):
    id: uuid.UUID
    version: int
    owner_account_id: uuid.UUID
    changed: bool


def _check_owner(uow: UnitOfWork, item: Item, account_id: uuid.UUID) -> None:
    account = uow.people.account(item.tenant_id, account_id)
    if account is None:
        raise NotFound.one("owner_account_id", "no such account")
    name = account.display_name or account.username
    if not account.is_active:
        raise Conflict.one("owner_account_id", f"{name} is inactive and cannot own items")
    visible = access.accounts_who_can_see(
        uow,
        tenant_id=item.tenant_id,
        instance_id=item.pipeline_instance_id,
        account_ids=[account_id],
    )
    if account_id not in visible:
        raise Conflict.one("owner_account_id", f"{name} cannot see this pipeline")


def change_owner(uow: UnitOfWork, actor: Actor, command: ChangeOwner) -> OwnerOut:
    item = uow.items.lock(actor.tenant_id, command.id)
    if item is None:
        raise NotFound("Item not found.")
    access.ensure_can_see_item(uow, actor, item)
    owns = actor.account_id is not None and actor.account_id == item.owner_account_id
    if not (actor.roles & {ADMIN, MANAGER} or owns):
        raise PermissionDenied("Only admins, managers and the item's owner can change its owner.")
    ensure_version(item, command.expected_version)
    if item.status != "active":
        raise InvalidInput.one("id", f"the item is {item.status}; only active items change owner")
    changed = item.owner_account_id != command.owner_account_id
    if changed:
        _check_owner(uow, item, command.owner_account_id)
        before = item.owner_account_id
        now = uow.clock.now()
        item.owner_account_id = command.owner_account_id
        item.version += 1
        item.updated_at = now
        record_activity(
            uow,
            item=item,
            actor=actor,
            kind=OWNER_CHANGED,
            data={
                "from_account_id": str(before) if before else None,
                "to_account_id": str(command.owner_account_id),
            },
            at=now,
        )
    out = OwnerOut(
        id=item.id, version=item.version, owner_account_id=command.owner_account_id, changed=changed
    )
    uow.commit()
    return out
