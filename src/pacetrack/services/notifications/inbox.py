"""An account's in-app notifications: listed newest first, marked read."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
from pacetrack.services.unit_of_work import UnitOfWork


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    item_id: uuid.UUID | None
    trigger: str
    subject: str
    body: str
    url: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    notifications: list[NotificationOut]
    total: int
    unread: int
    limit: int
    offset: int


class MarkRead(BaseModel):
    """Either ``ids`` (those notifications) or ``all: true`` (every unread one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["ids"],
                    "properties": {"ids": {"type": "array"}, "all": {"const": False}},
                },
                {
                    "required": ["all"],
                    "properties": {"all": {"const": True}, "ids": {"type": "null"}},
                },
            ]
        },
    )
    ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either `ids` or `all: true`")
        return self


class MarkReadOut(BaseModel):
    updated: int


def own_account(actor: Actor) -> uuid.UUID:
    """The actor's account: notifications and their preferences belong to one."""
    if actor.account_id is None:
        raise InvalidInput.one("account", "notifications belong to an account")
    return actor.account_id


def list_notifications(
    uow: UnitOfWork, actor: Actor, *, unread: bool = False, limit: int = 50, offset: int = 0
) -> NotificationPage:
    account_id = own_account(actor)
    inbox = uow.notifications
    rows = inbox.inbox_page(
        actor.tenant_id, account_id, unread_only=unread, limit=limit, offset=offset
    )
    return NotificationPage(
        notifications=[NotificationOut.model_validate(row) for row in rows],
        total=inbox.inbox_count(actor.tenant_id, account_id),
        unread=inbox.unread_count(actor.tenant_id, account_id),
        limit=limit,
        offset=offset,
    )


def mark_read(uow: UnitOfWork, actor: Actor, command: MarkRead) -> MarkReadOut:
    account_id = own_account(actor)
    updated = uow.notifications.mark_read(
        actor.tenant_id, account_id, ids=command.ids, at=uow.clock.now()
    )
    uow.commit()
    return MarkReadOut(updated=updated)
