"""Approvals: leaving a step that ``requires_approval`` needs the approvers' yes.

The step's settings drive it (``StepSettings.approval``, from its ``metadata``; see
``engine.step_settings``):

- ``requires_approval`` (bool): leaving the step needs an approved request.
- ``approver``: ``{"type": "user" | "account_group" | "role", "id": <id or name>}``;
  without it admins and managers approve.
- ``approvals_required`` (int, default 1): N distinct approvers must approve.
- ``allow_self_approval`` (bool, default false): may the requester approve?
- ``void_approval_on_change``: true (any field) or a list of field names whose
  change voids granted approvals of the current entry.

A request belongs to one entry of the item into the step (its open
``item_step_history`` row); leaving the step and coming back needs a new one.
The entry's latest request decides: approved lets the item leave, rejected
blocks it with the rejection's reason, pending or voided blocks it
(``services.approval_checks``, which the move asks).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pacetrack.db.tables import Item, Step
from pacetrack.db.tables_assignments import ApprovalDecision, ApprovalRequest
from pacetrack.engine.requirements import APPROVAL_REQUIRED as APPROVAL_REQUIRED
from pacetrack.engine.step_settings import ApprovalSettings
from pacetrack.engine.words import counted
from pacetrack.services import access
from pacetrack.services.approval_checks import (
    approver_label,
    open_entry,
    step_approvers,
)
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, NotFound, PermissionDenied
from pacetrack.services.input_types import NOT_BLANK_TEXT_PATTERN, PlainStr
from pacetrack.services.item_status import record_activity
from pacetrack.services.side_effects import NOTIFICATION_JOB, rule_payload
from pacetrack.services.step_configs import effective_config
from pacetrack.services.unit_of_work import UnitOfWork

MAX_PENDING_LISTED = 500
Status = Literal["pending", "approved", "rejected", "voided"]


def is_approver(uow: UnitOfWork, actor: Actor, item_id: uuid.UUID) -> bool:
    """Whether the caller may decide approval requests of the item's current step (an
    approver is asked, not asking: the item page offers them no request form)."""
    item = uow.items.get(actor.tenant_id, item_id)
    if item is None or item.current_step_id is None or actor.account_id is None:
        return False
    step = _step(uow, tenant_id=actor.tenant_id, step_id=item.current_step_id)
    settings = effective_config(uow, tenant_id=actor.tenant_id, step=step).settings.approval
    if not settings.required:
        return False
    approvers = step_approvers(uow, tenant_id=actor.tenant_id, settings=settings)
    return any(candidate.account_id == actor.account_id for candidate in approvers)


# --------------------------------------------------------------------------- API use cases


class RequestApproval(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: uuid.UUID
    comment: PlainStr = Field(default="", max_length=5000)


class ApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: uuid.UUID
    comment: PlainStr = Field(default="", max_length=5000)


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: uuid.UUID
    comment: PlainStr = Field(
        min_length=1,
        max_length=5000,
        description="Why; shown to the requester",
        json_schema_extra={"pattern": NOT_BLANK_TEXT_PATTERN},
    )

    @field_validator("comment")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a rejection needs a reason")
        return value.strip()


class DecisionOut(BaseModel):
    account_id: uuid.UUID
    decision: str
    comment: str
    created_at: datetime


class ApprovalOut(BaseModel):
    id: uuid.UUID
    item_id: uuid.UUID
    item_name: str
    step_id: uuid.UUID
    step_name: str
    status: Status
    requested_by: uuid.UUID | None
    comment: str
    approvals_required: int
    approvals: int
    decisions: list[DecisionOut]
    decision_comment: str | None
    created_at: datetime
    decided_at: datetime | None


def _out(uow: UnitOfWork, request: ApprovalRequest, item: Item, step: Step) -> ApprovalOut:
    decisions = uow.approvals.decisions(request.tenant_id, request.id)
    return ApprovalOut(
        id=request.id,
        item_id=request.item_id,
        item_name=item.name,
        step_id=request.step_id,
        step_name=step.name,
        status=request.status,
        requested_by=request.requested_by,
        comment=request.comment,
        approvals_required=request.approvals_required,
        approvals=sum(1 for d in decisions if d.decision == "approve"),
        decisions=[
            DecisionOut(
                account_id=d.account_id,
                decision=d.decision,
                comment=d.comment,
                created_at=d.created_at,
            )
            for d in decisions
        ],
        decision_comment=request.decision_comment,
        created_at=request.created_at,
        decided_at=request.decided_at,
    )


def _step(uow: UnitOfWork, *, tenant_id: uuid.UUID, step_id: uuid.UUID) -> Step:
    step = uow.steps.get(tenant_id, step_id)
    if step is None:
        raise NotFound("The item's step does not exist.")
    return step


def request_approval(uow: UnitOfWork, actor: Actor, command: RequestApproval) -> ApprovalOut:
    """Asks for approval to leave the item's current step (this entry into it)."""
    if actor.account_id is None:
        raise PermissionDenied("Approval is requested by a person, not by the system.")
    item = uow.items.lock(actor.tenant_id, command.item_id)
    if item is None:
        raise NotFound("Item not found.")
    access.ensure_can_see_item(uow, actor, item)
    if item.current_step_id is None:
        raise Conflict.one("item_id", "the item is not in a step")
    step = _step(uow, tenant_id=actor.tenant_id, step_id=item.current_step_id)
    settings = effective_config(uow, tenant_id=actor.tenant_id, step=step).settings.approval
    if not settings.required:
        raise Conflict.one(
            "item_id",
            f"step “{step.name}” does not require approval",
            detail="The item's step does not take approval requests.",
        )
    entry = open_entry(uow, item=item)
    if entry is None:
        raise Conflict("The item has no open entry into its step.")
    latest = uow.approvals.latest_request(actor.tenant_id, entry.id)
    if latest is not None and latest.status in ("pending", "approved"):
        raise Conflict(f"An approval request for this step is {latest.status} already.")
    approvers = [
        c
        for c in step_approvers(uow, tenant_id=actor.tenant_id, settings=settings)
        if settings.allow_self_approval or c.account_id != actor.account_id
    ]
    if len(approvers) < settings.approvals_required:
        raise Conflict.one(
            "item_id",
            f"step “{step.name}” needs {counted(settings.approvals_required, 'approval')} from "
            f"{approver_label(settings)} but only {counted(len(approvers), 'active account')} "
            "other than you can approve; ask an admin to fix the step's approver",
        )
    now = uow.clock.now()
    request = ApprovalRequest(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        item_id=item.id,
        step_id=step.id,
        history_id=entry.id,
        attempt=uow.approvals.next_attempt(actor.tenant_id, entry.id),
        status="pending",
        requested_by=actor.account_id,
        comment=command.comment,
        approvals_required=settings.approvals_required,
        decision_comment=None,
        created_at=now,
        decided_at=None,
        voided_at=None,
    )
    uow.approvals.add(request)
    record_activity(
        uow,
        item=item,
        actor=actor,
        kind="approval.requested",
        data={"request_id": str(request.id), "step_id": str(step.id), "comment": command.comment},
    )
    _tell(
        uow,
        item=item,
        request=request,
        actor_id=actor.account_id,
        recipients=[c.account_id for c in approvers],
        trigger="approval_requested",
        context={"comment": command.comment or ""},
    )
    uow.flush()
    out = _out(uow, request, item, step)
    uow.commit()
    return out


def _tell(
    uow: UnitOfWork,
    *,
    item: Item,
    request: ApprovalRequest,
    actor_id: uuid.UUID | None,
    recipients: Sequence[uuid.UUID],
    trigger: Literal["approval_requested", "approval_decided"],
    context: Mapping[str, Any],
) -> None:
    """Tells ``recipients`` through the notification path (in-app and email, as each
    person's preferences for ``trigger`` say), in the transaction of the change."""
    if not recipients:
        return
    now = uow.clock.now()
    uow.outbox.enqueue(
        tenant_id=item.tenant_id,
        kind=NOTIFICATION_JOB,
        payload=rule_payload(
            kind="notification",
            rule={
                "id": trigger,
                "trigger": "on_enter",
                "template": trigger,
                "recipients": [{"type": "user", "id": str(r)} for r in recipients],
                "channels": ["in_app", "email"],
            },
            trigger=trigger,
            item_id=item.id,
            step_id=request.step_id,
            history_id=request.history_id,
            actor_id=actor_id,
            triggered_at=now,
            context=context,
        ),
        now=now,
    )


def _may_decide(
    uow: UnitOfWork, actor: Actor, request: ApprovalRequest, settings: ApprovalSettings
) -> None:
    if actor.account_id is None:
        raise PermissionDenied("Approvals are decided by a person, not by the system.")
    approvers = {
        c.account_id for c in step_approvers(uow, tenant_id=actor.tenant_id, settings=settings)
    }
    if actor.account_id not in approvers:
        raise PermissionDenied(f"Only {approver_label(settings)} can decide this request.")
    if actor.account_id == request.requested_by and not settings.allow_self_approval:
        raise PermissionDenied("You cannot decide your own approval request.")


def _decide(
    uow: UnitOfWork,
    actor: Actor,
    *,
    request_id: uuid.UUID,
    decision: Literal["approve", "reject"],
    comment: str,
) -> ApprovalOut:
    found = uow.approvals.request(actor.tenant_id, request_id)
    if found is None:
        raise NotFound("Approval request not found.")
    # The item first, as every item write does, then the request: one lock order.
    item = uow.items.lock(actor.tenant_id, found.item_id)
    request = uow.approvals.lock_request(actor.tenant_id, request_id)
    if (
        item is None
        or request is None
        or not access.can_see_instance(uow, actor, item.pipeline_instance_id)
    ):
        raise NotFound("Approval request not found.")
    if request.status != "pending":
        raise Conflict(f"The request is {request.status} already.")
    entry = uow.approvals.entry(actor.tenant_id, request.history_id)
    if entry is None or entry.exited_at is not None:
        raise Conflict("The item has left the step; this request no longer applies.")
    step = _step(uow, tenant_id=actor.tenant_id, step_id=request.step_id)
    settings = effective_config(uow, tenant_id=actor.tenant_id, step=step).settings.approval
    _may_decide(uow, actor, request, settings)
    assert actor.account_id is not None
    if uow.approvals.decision_of(actor.tenant_id, request.id, actor.account_id) is not None:
        raise Conflict("You have decided on this request already.")
    now = uow.clock.now()
    uow.approvals.add(
        ApprovalDecision(
            tenant_id=actor.tenant_id,
            id=uuid.uuid4(),
            request_id=request.id,
            account_id=actor.account_id,
            decision=decision,
            comment=comment,
            created_at=now,
        )
    )
    uow.flush()
    if decision == "reject":
        request.status = "rejected"
        request.decision_comment = comment
        request.decided_at = now
    elif uow.approvals.approval_count(request.tenant_id, request.id) >= settings.approvals_required:
        request.status = "approved"
        request.decision_comment = comment or None
        request.decided_at = now
    record_activity(
        uow,
        item=item,
        actor=actor,
        kind="approval.approved" if decision == "approve" else "approval.rejected",
        data={
            "request_id": str(request.id),
            "step_id": str(step.id),
            "comment": comment,
            "status": request.status,
        },
    )
    if request.status != "pending" and request.requested_by is not None:
        approved = request.status == "approved"
        _tell(
            uow,
            item=item,
            request=request,
            actor_id=actor.account_id,
            recipients=[request.requested_by],
            trigger="approval_decided",
            context={
                "outcome": "Approved" if approved else "Rejected",
                "verb": "approved" if approved else "rejected",
                "comment": comment or "",
            },
        )
    uow.flush()
    out = _out(uow, request, item, step)
    uow.commit()
    return out


def approve(uow: UnitOfWork, actor: Actor, command: ApproveRequest) -> ApprovalOut:
    """One approver's yes; the request is approved once ``approvals_required`` said yes."""
    return _decide(
        uow, actor, request_id=command.request_id, decision="approve", comment=command.comment
    )


def reject(uow: UnitOfWork, actor: Actor, command: RejectRequest) -> ApprovalOut:
    """One approver's no, with the reason; it blocks leaving the step until a new request."""
    return _decide(
        uow, actor, request_id=command.request_id, decision="reject", comment=command.comment
    )


def list_pending(uow: UnitOfWork, actor: Actor) -> list[ApprovalOut]:
    """Pending requests of open step entries that the caller may decide, oldest first."""
    if actor.account_id is None:
        return []
    rows = uow.approvals.pending_of_open_entries(actor.tenant_id)
    decided = uow.approvals.decided_request_ids(actor.tenant_id, actor.account_id)
    visible = access.visible_instance_ids(uow, actor)
    settings_by_step: dict[uuid.UUID, ApprovalSettings] = {}
    approvers_by_step: dict[uuid.UUID, set[uuid.UUID]] = {}
    result: list[ApprovalOut] = []
    for request, item, step in rows:
        if request.id in decided:
            continue
        if visible is not None and item.pipeline_instance_id not in visible:
            continue
        if step.id not in settings_by_step:
            settings = effective_config(uow, tenant_id=actor.tenant_id, step=step).settings.approval
            settings_by_step[step.id] = settings
            approvers_by_step[step.id] = {
                c.account_id
                for c in step_approvers(uow, tenant_id=actor.tenant_id, settings=settings)
            }
        settings = settings_by_step[step.id]
        if actor.account_id not in approvers_by_step[step.id]:
            continue
        if actor.account_id == request.requested_by and not settings.allow_self_approval:
            continue
        result.append(_out(uow, request, item, step))
        if len(result) >= MAX_PENDING_LISTED:
            break
    return result
