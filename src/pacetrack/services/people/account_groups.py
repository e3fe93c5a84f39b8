"""Account groups of a tenant: named sets of accounts that assignment rules, approvers
and access lists can name. Admins manage them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import AccountGroup, AccountGroupMember
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, FieldProblem, NotFound
from pacetrack.services.input_types import PlainStr
from pacetrack.services.people.accounts import account_row
from pacetrack.services.unit_of_work import UnitOfWork


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainStr = Field(min_length=1, max_length=100)
    description: PlainStr = Field(default="", max_length=2000)
    member_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)


class GroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    name: PlainStr | None = Field(default=None, min_length=1, max_length=100)
    description: PlainStr | None = Field(default=None, max_length=2000)


class GroupMembership(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group_id: uuid.UUID
    account_id: uuid.UUID


class GroupOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    member_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime


def _group(uow: UnitOfWork, actor: Actor, group_id: uuid.UUID) -> AccountGroup:
    row = uow.people.group(actor.tenant_id, group_id)
    if row is None:
        raise NotFound("Account group not found.")
    return row


def _group_out(uow: UnitOfWork, group: AccountGroup) -> GroupOut:
    return GroupOut(
        id=group.id,
        name=group.name,
        description=group.description,
        member_ids=uow.people.member_ids(group.tenant_id, group.id),
        created_at=group.created_at,
        updated_at=group.updated_at,
    )


def _check_group_name(
    uow: UnitOfWork, tenant_id: uuid.UUID, name: str, except_id: uuid.UUID | None = None
) -> None:
    if uow.people.group_name_taken(tenant_id, name, except_id=except_id):
        raise Conflict.one("name", "a group with this name exists already")


def _check_members(uow: UnitOfWork, actor: Actor, ids: Sequence[uuid.UUID], field: str) -> None:
    problems = [
        FieldProblem(field=f"{field}[{index}]", message="no such account")
        for index, account_id in enumerate(ids)
        if uow.people.account(actor.tenant_id, account_id) is None
    ]
    if problems:
        raise NotFound("The request names an account the tenant does not have.", problems=problems)


def create_group(uow: UnitOfWork, actor: Actor, command: GroupCreate) -> GroupOut:
    actor.require_admin("create account groups")
    _check_group_name(uow, actor.tenant_id, command.name)
    member_ids = list(dict.fromkeys(command.member_ids))
    _check_members(uow, actor, member_ids, "member_ids")
    now = uow.clock.now()
    group = AccountGroup(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        name=command.name,
        description=command.description,
        created_at=now,
        updated_at=now,
    )
    uow.people.add(group)
    uow.flush()
    for account_id in member_ids:
        uow.people.add(
            AccountGroupMember(
                tenant_id=actor.tenant_id, group_id=group.id, account_id=account_id, added_at=now
            )
        )
    uow.flush()
    out = _group_out(uow, group)
    uow.commit()
    return out


def list_groups(uow: UnitOfWork, actor: Actor) -> list[GroupOut]:
    return [_group_out(uow, row) for row in uow.people.groups(actor.tenant_id)]


def get_group(uow: UnitOfWork, actor: Actor, group_id: uuid.UUID) -> GroupOut:
    return _group_out(uow, _group(uow, actor, group_id))


def update_group(uow: UnitOfWork, actor: Actor, command: GroupUpdate) -> GroupOut:
    actor.require_admin("change account groups")
    group = _group(uow, actor, command.id)
    if command.name is not None:
        _check_group_name(uow, actor.tenant_id, command.name, except_id=group.id)
        group.name = command.name
    if command.description is not None:
        group.description = command.description
    group.updated_at = uow.clock.now()
    out = _group_out(uow, group)
    uow.commit()
    return out


def delete_group(uow: UnitOfWork, actor: Actor, group_id: uuid.UUID) -> None:
    actor.require_admin("delete account groups")
    group = _group(uow, actor, group_id)
    uow.people.remove(*uow.people.memberships_of_group(group.tenant_id, group.id))
    uow.flush()
    uow.people.remove(group)
    uow.commit()


def add_member(uow: UnitOfWork, actor: Actor, command: GroupMembership) -> GroupOut:
    actor.require_admin("change group members")
    group = _group(uow, actor, command.group_id)
    account_row(uow, actor, command.account_id)
    exists = uow.people.membership(actor.tenant_id, group.id, command.account_id)
    if exists is None:
        uow.people.add(
            AccountGroupMember(
                tenant_id=actor.tenant_id,
                group_id=group.id,
                account_id=command.account_id,
                added_at=uow.clock.now(),
            )
        )
        group.updated_at = uow.clock.now()
        uow.flush()
    out = _group_out(uow, group)
    uow.commit()
    return out


def remove_member(uow: UnitOfWork, actor: Actor, command: GroupMembership) -> GroupOut:
    actor.require_admin("change group members")
    group = _group(uow, actor, command.group_id)
    account_row(uow, actor, command.account_id)
    membership = uow.people.membership(actor.tenant_id, group.id, command.account_id)
    if membership is None:
        raise NotFound("The account is not a member of this group.")
    uow.people.remove(membership)
    group.updated_at = uow.clock.now()
    uow.flush()
    out = _group_out(uow, group)
    uow.commit()
    return out
