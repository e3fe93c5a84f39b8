"""/api/item/assign, /api/item/bulk-assign and /api/item/change-owner"""

from __future__ import annotations

from fastapi import APIRouter, Request

from pacetrack.services import assignments, ownership
from pacetrack.services.assignments import AssignItem, AssignmentOut, BulkAssign, BulkAssignOut
from pacetrack.services.ownership import ChangeOwner, OwnerOut
from pacetrack.web.deps import CurrentActor, Work, container

router = APIRouter(prefix="/api/item", tags=["items"])


@router.post("/assign")
def assign(body: AssignItem, actor: CurrentActor, work: Work) -> AssignmentOut:
    """Add, remove or replace the item's assignees (active accounts of the tenant)."""
    with work:
        return assignments.assign_item(work, actor, body)


@router.post("/bulk-assign")
def bulk_assign(body: BulkAssign, actor: CurrentActor, request: Request) -> BulkAssignOut:
    """The same change on up to 1,000 items, each in its own transaction, answered per item."""
    return assignments.bulk_assign(container(request).uow, actor, body)


@router.post("/change-owner")
def change_owner(body: ChangeOwner, actor: CurrentActor, work: Work) -> OwnerOut:
    """Hand the item to another owner (an active account who can see the pipeline)."""
    with work:
        return ownership.change_owner(work, actor, body)
