"""/api/notification/{list,mark-read,preferences,history}"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from pacetrack.services import notifications
from pacetrack.services.input_types import Offset
from pacetrack.services.notifications import (
    HistoryEntry,
    MarkRead,
    MarkReadOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
)
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(prefix="/api/notification", tags=["notifications"])


@router.get("/list")
def list_(
    actor: CurrentActor,
    work: Work,
    unread: bool = False,
    limit: int = Query(default=50, ge=1, le=200),
    offset: Annotated[Offset, Query()] = 0,
) -> NotificationPage:
    with work:
        return notifications.list_notifications(
            work, actor, unread=unread, limit=limit, offset=offset
        )


@router.post("/mark-read")
def mark_read(body: MarkRead, actor: CurrentActor, work: Work) -> MarkReadOut:
    with work:
        return notifications.mark_read(work, actor, body)


@router.get("/preferences")
def get_preferences(actor: CurrentActor, work: Work) -> PreferencesOut:
    with work:
        return notifications.get_preferences(work, actor)


@router.post("/preferences")
def set_preferences(body: PreferencesIn, actor: CurrentActor, work: Work) -> PreferencesOut:
    with work:
        return notifications.set_preferences(work, actor, body)


@router.get("/history")
def history(
    actor: CurrentActor,
    work: Work,
    item_id: uuid.UUID | None = None,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[HistoryEntry]:
    with work:
        return notifications.history(work, actor, item_id=item_id, limit=limit)
