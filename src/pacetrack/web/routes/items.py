"""/api/item/{create,get,update-fields,list,move-to-step,validation-status,bulk-move,history,
activity,timeline,reopen,archive,unarchive,delete}"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from pacetrack.services import activity_feed, items, lifecycle, moves
from pacetrack.services.activity_feed import TimelineEntry
from pacetrack.services.input_types import Offset
from pacetrack.services.items import (
    ActivityOut,
    ItemCreate,
    ItemDetail,
    ItemFieldsUpdate,
    ItemHistoryOut,
    ItemOut,
    ItemPage,
    ItemStatus,
)
from pacetrack.services.lifecycle import ItemLifecycleChange, ReopenItem
from pacetrack.services.moves import (
    BulkMove,
    BulkMoveOut,
    MoveItem,
    MoveOut,
    ValidationStatusOut,
)
from pacetrack.web.deps import CurrentActor, Work, container

router = APIRouter(prefix="/api/item", tags=["items"])


@router.post("/create", status_code=201)
def create(body: ItemCreate, actor: CurrentActor, work: Work) -> ItemOut:
    with work:
        return items.create_item(work, actor, body)


@router.get("/get")
def get(id: uuid.UUID, actor: CurrentActor, work: Work) -> ItemDetail:
    with work:
        return items.get_item(work, actor, id)


@router.post("/update-fields")
def update_fields(body: ItemFieldsUpdate, actor: CurrentActor, work: Work) -> ItemOut:
    with work:
        return items.update_fields(work, actor, body)


@router.get("/list")
def list_(
    actor: CurrentActor,
    work: Work,
    pipeline_instance_id: uuid.UUID | None = None,
    step_id: uuid.UUID | None = None,
    assignee: uuid.UUID | None = None,
    status: Annotated[
        ItemStatus,
        Query(description="Which items: open (active, the default), completed or archived"),
    ] = "active",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> ItemPage:
    with work:
        return items.list_items(
            work,
            actor,
            pipeline_instance_id=pipeline_instance_id,
            step_id=step_id,
            assignee=assignee,
            status=status,
            limit=limit,
            offset=offset,
        )


@router.post(
    "/move-to-step",
    responses={
        409: {"description": "The item's version is not `expected_version`"},
        422: {"description": "Every violated rule, as `errors` and `violations`"},
    },
)
def move_to_step(body: MoveItem, actor: CurrentActor, work: Work) -> MoveOut:
    with work:
        return moves.move_item(work, actor, body)


@router.get("/validation-status")
def validation_status(
    id: uuid.UUID,
    actor: CurrentActor,
    work: Work,
    step_id: Annotated[
        uuid.UUID | None,
        Query(description="The step to check entering; default: the next step of the pipeline"),
    ] = None,
) -> ValidationStatusOut:
    with work:
        return moves.validation_status(work, actor, id, target_step_id=step_id)


@router.post("/bulk-move")
def bulk_move(body: BulkMove, actor: CurrentActor, request: Request) -> BulkMoveOut:
    return moves.bulk_move(container(request).uow, actor, body)


@router.get("/history")
def history(id: uuid.UUID, actor: CurrentActor, work: Work) -> ItemHistoryOut:
    with work:
        return items.item_history(work, actor, id)


@router.get("/activity")
def activity(
    id: uuid.UUID,
    actor: CurrentActor,
    work: Work,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ActivityOut]:
    with work:
        return items.item_activity(work, actor, id, limit=limit)


@router.get("/timeline")
def timeline(
    id: uuid.UUID,
    actor: CurrentActor,
    work: Work,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[TimelineEntry]:
    """The item's activity, notifications and automation runs in sentences, newest first
    (what the item page shows)."""
    with work:
        return activity_feed.item_timeline(work, actor, id, limit=limit)


_STALE: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The item's version is not `expected_version`, or its status does not "
        "allow the change"
    }
}


@router.post(
    "/reopen",
    responses={
        **_STALE,
        422: {"description": "Every rule that keeps the item from entering the step"},
    },
)
def reopen(body: ReopenItem, actor: CurrentActor, work: Work) -> ItemOut:
    with work:
        return lifecycle.reopen_item(work, actor, body)


@router.post("/archive", responses=_STALE)
def archive(body: ItemLifecycleChange, actor: CurrentActor, work: Work) -> ItemOut:
    with work:
        return lifecycle.archive_item(work, actor, body)


@router.post("/unarchive", responses=_STALE)
def unarchive(body: ItemLifecycleChange, actor: CurrentActor, work: Work) -> ItemOut:
    with work:
        return lifecycle.unarchive_item(work, actor, body)


@router.post("/delete", status_code=204, responses={**_STALE, 403: {"description": "Admins only"}})
def delete(body: ItemLifecycleChange, actor: CurrentActor, work: Work) -> None:
    with work:
        lifecycle.delete_item(work, actor, body)
