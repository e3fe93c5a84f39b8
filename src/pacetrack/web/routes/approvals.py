"""/api/approval/{request,approve,reject,list-pending}"""

from __future__ import annotations

from fastapi import APIRouter

from pacetrack.services import approvals
from pacetrack.services.approvals import (
    ApprovalOut,
    ApproveRequest,
    RejectRequest,
    RequestApproval,
)
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(prefix="/api/approval", tags=["approvals"])


@router.post("/request", status_code=201)
def request(body: RequestApproval, actor: CurrentActor, work: Work) -> ApprovalOut:
    """Ask for approval to leave the item's current step."""
    with work:
        return approvals.request_approval(work, actor, body)


@router.post("/approve")
def approve(body: ApproveRequest, actor: CurrentActor, work: Work) -> ApprovalOut:
    with work:
        return approvals.approve(work, actor, body)


@router.post("/reject")
def reject(body: RejectRequest, actor: CurrentActor, work: Work) -> ApprovalOut:
    """Reject with a reason; the item cannot leave the step until a new request is approved."""
    with work:
        return approvals.reject(work, actor, body)


@router.get("/list-pending")
def list_pending(actor: CurrentActor, work: Work) -> list[ApprovalOut]:
    """Pending requests the caller may decide."""
    with work:
        return approvals.list_pending(work, actor)
