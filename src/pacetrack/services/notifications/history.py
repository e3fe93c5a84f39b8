"""The notification history for admins: every firing with each recipient's channel
outcomes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from pacetrack.db.tables import Item
from pacetrack.services.context import Actor
from pacetrack.services.errors import NotFound
from pacetrack.services.unit_of_work import UnitOfWork


class ChannelOutcome(BaseModel):
    account_id: uuid.UUID
    channel: str
    status: str
    reason: str | None
    attempts: int
    updated_at: datetime


class HistoryEntry(BaseModel):
    id: uuid.UUID
    item_id: uuid.UUID | None
    step_id: uuid.UUID | None
    rule_id: str
    trigger: str
    template: str | None
    subject: str
    template_error: str | None
    recipients: list[uuid.UUID]
    outcomes: list[ChannelOutcome]
    triggered_at: datetime
    created_at: datetime


def history(
    uow: UnitOfWork, actor: Actor, *, item_id: uuid.UUID | None = None, limit: int = 100
) -> list[HistoryEntry]:
    """Every notification (of one item, when given) with its channel outcomes; admins only."""
    actor.require_admin("read the notification history")
    fired = uow.notifications
    if item_id is not None and fired.held(Item, actor.tenant_id, item_id) is None:
        raise NotFound("The item does not exist.")
    logs = fired.logs(actor.tenant_id, item_id=item_id, limit=limit)
    outcomes: dict[uuid.UUID, list[ChannelOutcome]] = {log.id: [] for log in logs}
    for row in fired.outcomes_by_recipient(actor.tenant_id, outcomes):
        outcomes[row.log_id].append(
            ChannelOutcome(
                account_id=row.account_id,
                channel=row.channel,
                status=row.status,
                reason=row.reason,
                attempts=row.attempts,
                updated_at=row.updated_at,
            )
        )
    return [
        HistoryEntry(
            id=log.id,
            item_id=log.item_id,
            step_id=log.step_id,
            rule_id=log.rule_id,
            trigger=log.trigger,
            template=log.template,
            subject=log.subject,
            template_error=log.template_error,
            recipients=[uuid.UUID(r) for r in log.recipients],
            outcomes=outcomes[log.id],
            triggered_at=log.triggered_at,
            created_at=log.created_at,
        )
        for log in logs
    ]
