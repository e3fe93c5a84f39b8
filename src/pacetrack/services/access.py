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
from collections.abc import Collection, Hashable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from pacetrack.db.session import transaction_memo
from pacetrack.db.tables import (
    Account,
    AccountGroup,
    AccountGroupMember,
    AccountRole,
    Item,
    PipelineInstance,
    Role,
)
from pacetrack.engine.access import InstanceAccess, Viewer, may_see, needs_memberships, parse_access
from pacetrack.engine.ids import as_uuid
from pacetrack.engine.lifecycle import DELETED
from pacetrack.services.context import ADMIN, Actor
from pacetrack.services.errors import FieldProblem, NotFound
from pacetrack.services.input_types import PlainStr

MAX_ENTRIES = 500
_MEMO = "pacetrack.access"


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


def _resolve(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    model: type[Account] | type[AccountGroup] | type[Role],
    name_column: Any,
    references: list[str],
    path: str,
    what: str,
    problems: list[FieldProblem],
) -> list[str]:
    ids: list[str] = []
    for index, reference in enumerate(references):
        text = reference.strip()
        as_id = as_uuid(text)
        condition = model.id == as_id if as_id is not None else name_column == text
        found = session.scalar(select(model.id).where(model.tenant_id == tenant_id, condition))
        if found is None:
            problems.append(FieldProblem(field=f"{path}[{index}]", message=f"no such {what}"))
        elif str(found) not in ids:
            ids.append(str(found))
    return ids


def resolve_access(
    session: Session, *, tenant_id: uuid.UUID, spec: AccessSpec, prefix: str = "access."
) -> dict[str, Any]:
    """The document to store: every reference resolved to an id of the tenant, or a 422."""
    problems: list[FieldProblem] = []
    document: dict[str, Any] = {"restricted": spec.restricted}
    for key, model, name_column, what in (
        ("accounts", Account, Account.username, "account"),
        ("account_groups", AccountGroup, AccountGroup.name, "account group"),
        ("roles", Role, Role.name, "role"),
    ):
        document[key] = _resolve(
            session,
            tenant_id=tenant_id,
            model=model,
            name_column=name_column,
            references=getattr(spec, key),
            path=f"{prefix}{key}",
            what=what,
            problems=problems,
        )
    if problems:
        raise NotFound(
            "The access list names something the tenant does not have.", problems=problems
        )
    return document


# --- the checks ------------------------------------------------------------------------------


def _memo(session: Session) -> dict[Hashable, Any]:
    return transaction_memo(session, _MEMO)


def _memberships(
    session: Session, *, tenant_id: uuid.UUID, account_ids: Collection[uuid.UUID]
) -> tuple[dict[uuid.UUID, set[uuid.UUID]], dict[uuid.UUID, set[uuid.UUID]], set[uuid.UUID]]:
    """Groups and roles of each account, and which of them hold the admin role."""
    groups: dict[uuid.UUID, set[uuid.UUID]] = {account: set() for account in account_ids}
    roles: dict[uuid.UUID, set[uuid.UUID]] = {account: set() for account in account_ids}
    admins: set[uuid.UUID] = set()
    if not account_ids:
        return groups, roles, admins
    wanted = list(account_ids)
    for account_id, group_id in session.execute(
        select(AccountGroupMember.account_id, AccountGroupMember.group_id).where(
            AccountGroupMember.tenant_id == tenant_id, AccountGroupMember.account_id.in_(wanted)
        )
    ):
        groups[account_id].add(group_id)
    for account_id, role_id, name in session.execute(
        select(AccountRole.account_id, AccountRole.role_id, Role.name)
        .join(Role, (Role.tenant_id == AccountRole.tenant_id) & (Role.id == AccountRole.role_id))
        .where(AccountRole.tenant_id == tenant_id, AccountRole.account_id.in_(wanted))
    ):
        roles[account_id].add(role_id)
        if name == ADMIN:
            admins.add(account_id)
    return groups, roles, admins


def _viewer(session: Session, actor: Actor, *, full: bool) -> Viewer:
    """The actor as the rule sees it; ``full`` loads their groups and roles (memoised)."""
    if not full or actor.account_id is None or actor.is_admin:
        return Viewer(account_id=actor.account_id, is_admin=actor.is_admin)
    memo = _memo(session)
    key = ("viewer", actor.tenant_id, actor.account_id)
    known = memo.get(key)
    if known is None:
        groups, roles, _admins = _memberships(
            session, tenant_id=actor.tenant_id, account_ids=[actor.account_id]
        )
        known = Viewer(
            account_id=actor.account_id,
            is_admin=False,
            group_ids=frozenset(groups[actor.account_id]),
            role_ids=frozenset(roles[actor.account_id]),
        )
        memo[key] = known
    return known


def _allowed(
    session: Session, actor: Actor, access: InstanceAccess, owner_id: uuid.UUID | None
) -> bool:
    viewer = _viewer(session, actor, full=False)
    if needs_memberships(access, owner_id=owner_id, viewer=viewer):
        viewer = _viewer(session, actor, full=True)
    return may_see(access, owner_id=owner_id, viewer=viewer)


def can_see(session: Session, actor: Actor, instance: PipelineInstance) -> bool:
    """Whether ``actor`` may see ``instance`` (a row of the actor's tenant)."""
    if actor.is_admin:
        return True
    return _allowed(session, actor, parse_access(instance.access), instance.owner_account_id)


def can_see_instance(session: Session, actor: Actor, instance_id: uuid.UUID) -> bool:
    """Whether the instance exists in the actor's tenant and the actor may see it."""
    instance = session.get(PipelineInstance, (actor.tenant_id, instance_id))
    return instance is not None and can_see(session, actor, instance)


def ensure_can_see_instance(
    session: Session, actor: Actor, instance_id: uuid.UUID
) -> PipelineInstance:
    """The instance, or ``NotFound`` when it does not exist or the actor may not see it."""
    instance = session.get(PipelineInstance, (actor.tenant_id, instance_id))
    if instance is None or not can_see(session, actor, instance):
        raise NotFound("Pipeline instance not found.")
    return instance


def ensure_can_see_item(session: Session, actor: Actor, item: Item) -> None:
    """``NotFound`` (as if the item did not exist) unless the actor may see its pipeline;
    a deleted item is not found by anyone."""
    if item.status == DELETED:
        raise NotFound("Item not found.")
    if actor.is_admin:
        return
    if not can_see_instance(session, actor, item.pipeline_instance_id):
        raise NotFound("Item not found.")


def visible_instance_ids(session: Session, actor: Actor) -> set[uuid.UUID] | None:
    """The instances the actor may see, or None when that is every instance of the tenant."""
    if actor.is_admin:
        return None
    rows = session.execute(
        select(
            PipelineInstance.id, PipelineInstance.owner_account_id, PipelineInstance.access
        ).where(PipelineInstance.tenant_id == actor.tenant_id)
    ).all()
    visible = {
        instance_id
        for instance_id, owner_id, document in rows
        if _allowed(session, actor, parse_access(document), owner_id)
    }
    return None if len(visible) == len(rows) else visible


def accounts_who_can_see(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    account_ids: Collection[uuid.UUID],
) -> set[uuid.UUID]:
    """Those of ``account_ids`` who may see the instance (and so hear about its items)."""
    instance = session.get(PipelineInstance, (tenant_id, instance_id))
    if instance is None:
        return set()
    access = parse_access(instance.access)
    if not access.restricted:
        return set(account_ids)
    groups, roles, admins = _memberships(session, tenant_id=tenant_id, account_ids=account_ids)
    return {
        account_id
        for account_id in account_ids
        if may_see(
            access,
            owner_id=instance.owner_account_id,
            viewer=Viewer(
                account_id=account_id,
                is_admin=account_id in admins,
                group_ids=frozenset(groups[account_id]),
                role_ids=frozenset(roles[account_id]),
            ),
        )
    }
