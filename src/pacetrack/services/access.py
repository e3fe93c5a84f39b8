"""Pipeline access within a tenant: the one place every read and write path asks.

A restricted pipeline instance (``pipeline_instance.access``, see
``engine.access``) and its items are seen only by admins, the instance's owner
and the accounts, group members and role holders its access lists. To anyone
else they do not exist: every service answers ``NotFound`` (404), never a 403
that would reveal them, and lists leave them out.

- ``ensure_can_see_instance`` / ``ensure_can_see_item``: for paths about one
  instance or item (get, board, history, moves, assignment, approvals…).
- ``visible_instance_ids``: for lists (None means every instance).
- ``accounts_who_can_see``: for choosing whom to notify about an item.

The caller's groups and roles are read once per transaction, and only when a
restricted instance's lists are what decides.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.repositories.people import PeopleKind
from pacetrack.db.tables import Item, PipelineInstance
from pacetrack.engine.access import InstanceAccess, Viewer, may_see, needs_memberships, parse_access
from pacetrack.engine.lifecycle import DELETED
from pacetrack.services.context import ADMIN, Actor
from pacetrack.services.errors import FieldProblem, NotFound
from pacetrack.services.input_types import PlainStr
from pacetrack.services.unit_of_work import UnitOfWork

MAX_ENTRIES = 500


# --- the document ----------------------------------------------------------------------------


class AccessSpec(BaseModel):
    """Who may see a pipeline instance; accounts, groups and roles by id or name."""

    model_config = ConfigDict(extra="forbid")
    restricted: bool = False
    accounts: list[PlainStr] = Field(default_factory=list, max_length=MAX_ENTRIES)
    account_groups: list[PlainStr] = Field(default_factory=list, max_length=MAX_ENTRIES)
    roles: list[PlainStr] = Field(default_factory=list, max_length=MAX_ENTRIES)


class AccessOut(BaseModel):
    restricted: bool
    accounts: list[uuid.UUID]
    account_groups: list[uuid.UUID]
    roles: list[uuid.UUID]


def access_out(document: dict[str, Any] | None) -> AccessOut:
    access = parse_access(document)
    return AccessOut(
        restricted=access.restricted,
        accounts=sorted(access.accounts),
        account_groups=sorted(access.account_groups),
        roles=sorted(access.roles),
    )


def resolve_access(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, spec: AccessSpec, prefix: str = "access."
) -> dict[str, Any]:
    """The document to store: every reference resolved to an id of the tenant, or a 422."""
    problems: list[FieldProblem] = []
    document: dict[str, Any] = {"restricted": spec.restricted}
    kinds: tuple[tuple[str, PeopleKind, str], ...] = (
        ("accounts", "user", "account"),
        ("account_groups", "account_group", "account group"),
        ("roles", "role", "role"),
    )
    for key, kind, what in kinds:
        ids: list[str] = []
        for index, reference in enumerate(getattr(spec, key)):
            found = uow.people.id_of(kind, tenant_id, reference.strip())
            if found is None:
                problems.append(
                    FieldProblem(field=f"{prefix}{key}[{index}]", message=f"no such {what}")
                )
            elif str(found) not in ids:
                ids.append(str(found))
        document[key] = ids
    if problems:
        raise NotFound(
            "The access list names something the tenant does not have.", problems=problems
        )
    return document


# --- the checks ------------------------------------------------------------------------------


def _viewer(uow: UnitOfWork, actor: Actor, *, full: bool) -> Viewer:
    """The actor as the rule sees it; ``full`` loads their groups and roles (read once per
    transaction)."""
    if not full or actor.account_id is None or actor.is_admin:
        return Viewer(account_id=actor.account_id, is_admin=actor.is_admin)
    membership = uow.people.membership_of(actor.tenant_id, actor.account_id)
    return Viewer(
        account_id=actor.account_id,
        is_admin=False,
        group_ids=membership.group_ids,
        role_ids=membership.role_ids,
    )


def _allowed(
    uow: UnitOfWork, actor: Actor, access: InstanceAccess, owner_id: uuid.UUID | None
) -> bool:
    viewer = _viewer(uow, actor, full=False)
    if needs_memberships(access, owner_id=owner_id, viewer=viewer):
        viewer = _viewer(uow, actor, full=True)
    return may_see(access, owner_id=owner_id, viewer=viewer)


def can_see(uow: UnitOfWork, actor: Actor, instance: PipelineInstance) -> bool:
    """Whether ``actor`` may see ``instance`` (a row of the actor's tenant)."""
    if actor.is_admin:
        return True
    return _allowed(uow, actor, parse_access(instance.access), instance.owner_account_id)


def can_see_instance(uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID) -> bool:
    """Whether the instance exists in the actor's tenant and the actor may see it."""
    instance = uow.pipelines.instance(actor.tenant_id, instance_id)
    return instance is not None and can_see(uow, actor, instance)


def ensure_can_see_instance(
    uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID
) -> PipelineInstance:
    """The instance, or ``NotFound`` when it does not exist or the actor may not see it."""
    instance = uow.pipelines.instance(actor.tenant_id, instance_id)
    if instance is None or not can_see(uow, actor, instance):
        raise NotFound("Pipeline instance not found.")
    return instance


def ensure_can_see_item(uow: UnitOfWork, actor: Actor, item: Item) -> None:
    """``NotFound`` (as if the item did not exist) unless the actor may see its pipeline;
    a deleted item is not found by anyone."""
    if item.status == DELETED:
        raise NotFound("Item not found.")
    if actor.is_admin:
        return
    if not can_see_instance(uow, actor, item.pipeline_instance_id):
        raise NotFound("Item not found.")


def visible_instance_ids(uow: UnitOfWork, actor: Actor) -> set[uuid.UUID] | None:
    """The instances the actor may see, or None when that is every instance of the tenant."""
    if actor.is_admin:
        return None
    rows = uow.pipelines.access_of_instances(actor.tenant_id)
    visible = {
        row.id for row in rows if _allowed(uow, actor, parse_access(row.access), row.owner_id)
    }
    return None if len(visible) == len(rows) else visible


def accounts_who_can_see(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    account_ids: Collection[uuid.UUID],
) -> set[uuid.UUID]:
    """Those of ``account_ids`` who may see the instance (and so hear about its items)."""
    instance = uow.pipelines.instance(tenant_id, instance_id)
    if instance is None:
        return set()
    access = parse_access(instance.access)
    if not access.restricted:
        return set(account_ids)
    memberships = uow.people.memberships(tenant_id, account_ids)
    return {
        account_id
        for account_id, membership in memberships.items()
        if may_see(
            access,
            owner_id=instance.owner_account_id,
            viewer=Viewer(
                account_id=account_id,
                is_admin=ADMIN in membership.role_names,
                group_ids=membership.group_ids,
                role_ids=membership.role_ids,
            ),
        )
    }
