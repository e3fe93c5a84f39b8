"""/api/account/*, /api/role/* and /api/account-group/*"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from pacetrack.services.people import account_groups, accounts
from pacetrack.services.people.account_groups import (
    GroupCreate,
    GroupMembership,
    GroupOut,
    GroupUpdate,
)
from pacetrack.services.people.accounts import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    MyAccountUpdate,
    RoleCreate,
    RoleOut,
)
from pacetrack.web.deps import CurrentActor, Work

account_router = APIRouter(prefix="/api/account", tags=["accounts"])
role_router = APIRouter(prefix="/api/role", tags=["accounts"])
group_router = APIRouter(prefix="/api/account-group", tags=["accounts"])


class ById(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID


@account_router.post("/create", status_code=201)
def create_account(body: AccountCreate, actor: CurrentActor, work: Work) -> AccountOut:
    with work:
        return accounts.create_account(work, actor, body)


@account_router.get("/list")
def list_accounts(
    actor: CurrentActor, work: Work, include_inactive: bool = True
) -> list[AccountOut]:
    with work:
        return accounts.list_accounts(work, actor, include_inactive=include_inactive)


@account_router.get("/get")
def get_account(id: uuid.UUID, actor: CurrentActor, work: Work) -> AccountOut:
    with work:
        return accounts.get_account(work, actor, id)


@account_router.post("/update")
def update_account(body: AccountUpdate, actor: CurrentActor, work: Work) -> AccountOut:
    with work:
        return accounts.update_account(work, actor, body)


@account_router.post("/deactivate")
def deactivate_account(body: ById, actor: CurrentActor, work: Work) -> AccountOut:
    with work:
        return accounts.set_active(work, actor, body.id, active=False)


@account_router.post("/reactivate")
def reactivate_account(body: ById, actor: CurrentActor, work: Work) -> AccountOut:
    with work:
        return accounts.set_active(work, actor, body.id, active=True)


@account_router.get("/me")
def me(actor: CurrentActor, work: Work) -> AccountOut:
    with work:
        return accounts.me(work, actor)


@account_router.post("/me")
def update_me(body: MyAccountUpdate, actor: CurrentActor, work: Work) -> AccountOut:
    with work:
        return accounts.update_me(work, actor, body)


@role_router.get("/list")
def list_roles(actor: CurrentActor, work: Work) -> list[RoleOut]:
    with work:
        return accounts.list_roles(work, actor)


@role_router.post("/create", status_code=201)
def create_role(body: RoleCreate, actor: CurrentActor, work: Work) -> RoleOut:
    with work:
        return accounts.create_role(work, actor, body)


@group_router.post("/create", status_code=201)
def create_group(body: GroupCreate, actor: CurrentActor, work: Work) -> GroupOut:
    with work:
        return account_groups.create_group(work, actor, body)


@group_router.get("/list")
def list_groups(actor: CurrentActor, work: Work) -> list[GroupOut]:
    with work:
        return account_groups.list_groups(work, actor)


@group_router.get("/get")
def get_group(id: uuid.UUID, actor: CurrentActor, work: Work) -> GroupOut:
    with work:
        return account_groups.get_group(work, actor, id)


@group_router.post("/update")
def update_group(body: GroupUpdate, actor: CurrentActor, work: Work) -> GroupOut:
    with work:
        return account_groups.update_group(work, actor, body)


@group_router.post("/delete", status_code=204)
def delete_group(body: ById, actor: CurrentActor, work: Work) -> None:
    with work:
        account_groups.delete_group(work, actor, body.id)


@group_router.post("/add-member")
def add_member(body: GroupMembership, actor: CurrentActor, work: Work) -> GroupOut:
    with work:
        return account_groups.add_member(work, actor, body)


@group_router.post("/remove-member")
def remove_member(body: GroupMembership, actor: CurrentActor, work: Work) -> GroupOut:
    with work:
        return account_groups.remove_member(work, actor, body)


router = APIRouter()
for _part in (account_router, role_router, group_router):
    router.include_router(_part)
