"""What one subscriber of the live event stream may be told about a committed change.

A subscriber hears of changes in its own tenant only: item changes of the pipelines it
may see (the access decision is remembered for a short while, then asked again) and the
changes of its own notifications, with its unread count. An event names what changed and
its version, never field values: the page re-reads what it shows through the API.
"""

from __future__ import annotations

import time
import uuid

from pydantic import BaseModel

from pacetrack.db.changes import NOTIFICATIONS_CHANGED, Change
from pacetrack.services import access, notifications
from pacetrack.services.context import Actor
from pacetrack.services.unit_of_work import UnitOfWorkFactory

ACCESS_RECHECK_SECONDS = 30.0


class LiveEvent(BaseModel):
    """One event of ``GET /api/events/stream`` (the ``data`` of a server-sent event)."""

    kind: str
    pipeline_id: uuid.UUID | None = None
    item_id: uuid.UUID | None = None
    step_id: uuid.UUID | None = None
    version: int | None = None
    unread: int | None = None
    """For ``notifications.changed``: the subscriber's unread notifications."""


class LiveAudience:
    """One subscriber: decides which changes it hears of."""

    def __init__(self, *, actor: Actor, uow: UnitOfWorkFactory) -> None:
        self.actor = actor
        self._uow = uow
        self._access: dict[uuid.UUID, tuple[bool, float]] = {}

    def event_for(self, change: Change) -> LiveEvent | None:
        """The event to send for ``change``, or None when this subscriber may not hear of it."""
        actor = self.actor
        if change.tenant_id != actor.tenant_id:
            return None
        if change.kind == NOTIFICATIONS_CHANGED:
            if actor.account_id is None or change.account_id != actor.account_id:
                return None
            with self._uow() as work:
                unread = notifications.list_notifications(work, actor, unread=True, limit=1).unread
            return LiveEvent(kind=change.kind, unread=unread)
        if change.pipeline_id is None or not self._may_see(change.pipeline_id):
            return None
        return LiveEvent(
            kind=change.kind,
            pipeline_id=change.pipeline_id,
            item_id=change.item_id,
            step_id=change.step_id,
            version=change.version,
        )

    def _may_see(self, pipeline_id: uuid.UUID) -> bool:
        if self.actor.is_admin:
            return True
        now = time.monotonic()
        known = self._access.get(pipeline_id)
        if known is not None and now - known[1] < ACCESS_RECHECK_SECONDS:
            return known[0]
        with self._uow() as work:
            allowed = access.can_see_instance(work, self.actor, pipeline_id)
        self._access[pipeline_id] = (allowed, now)
        return allowed
