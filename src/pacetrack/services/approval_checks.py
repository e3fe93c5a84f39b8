"""What a move asks of approvals: whether an item may leave a step that requires
approval, and which granted approvals a change of its fields voids.

How requests are made and decided, and what the step's settings mean:
``services.approvals``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pacetrack.db.tables import Item, ItemStepHistory, Step
from pacetrack.engine.assignment import Candidate, eligible
from pacetrack.engine.config import StepConfig
from pacetrack.engine.requirements import APPROVAL_REQUIRED
from pacetrack.engine.step_settings import ApprovalSettings
from pacetrack.engine.validations import Violation
from pacetrack.services.assignment_rules import people
from pacetrack.services.context import ADMIN, MANAGER
from pacetrack.services.item_status import record_activity
from pacetrack.services.unit_of_work import UnitOfWork

APPROVAL_REJECTED = "approval_rejected"


def step_approvers(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, settings: ApprovalSettings
) -> list[Candidate]:
    """The active accounts that may decide requests of a step."""
    if settings.approver_kind is not None and settings.approver_ref is not None:
        _label, candidates = people(
            uow,
            tenant_id=tenant_id,
            kind=settings.approver_kind,
            reference=settings.approver_ref,
        )
        return eligible(candidates or [])
    found: list[Candidate] = []
    for name in (ADMIN, MANAGER):
        _label, candidates = people(uow, tenant_id=tenant_id, kind="role", reference=name)
        found.extend(candidates or [])
    return eligible(found)


def approver_label(settings: ApprovalSettings) -> str:
    """Who approves, in words."""
    if settings.approver_kind is None:
        return "admins and managers"
    kind = {"user": "user", "account_group": "group", "role": "role"}[settings.approver_kind]
    return f"{kind} “{settings.approver_ref}”"


def open_entry(uow: UnitOfWork, *, item: Item) -> ItemStepHistory | None:
    """The item's stay in its current step, which approval requests belong to."""
    if item.current_step_id is None:
        return None
    return uow.approvals.open_entry(item.tenant_id, item.id, item.current_step_id)


def approval_missing(step_name: str, settings: ApprovalSettings) -> Violation:
    """The violation of a stay in a step that needs approval and has asked for none yet."""
    needed = settings.approvals_required
    wanted = "an approval" if needed == 1 else f"{needed} approvals"
    return Violation(
        rule_id=APPROVAL_REQUIRED,
        field_id=None,
        message=f"Leaving {step_name} needs {wanted} from "
        f"{approver_label(settings)}; request approval first.",
    )


def leave_violations(
    uow: UnitOfWork, *, item: Item, step: Step, config: StepConfig
) -> list[Violation]:
    """Why the item may not leave ``step`` yet for want of approval (empty: it may)."""
    settings = config.settings.approval
    if not settings.required:
        return []
    needed = settings.approvals_required
    wanted = "an approval" if needed == 1 else f"{needed} approvals"
    entry = open_entry(uow, item=item)
    latest = uow.approvals.latest_request(item.tenant_id, entry.id) if entry is not None else None
    if latest is None:
        return [approval_missing(step.name, settings)]
    if latest.status == "voided":
        return [
            Violation(
                rule_id=APPROVAL_REQUIRED,
                field_id=None,
                message=f"Leaving {step.name} needs {wanted} from {approver_label(settings)}; "
                "the approval was voided by a later change, request approval again.",
            )
        ]
    if latest.status == "rejected":
        return [
            Violation(
                rule_id=APPROVAL_REJECTED,
                field_id=None,
                message=f"Approval to leave {step.name} was rejected: {latest.decision_comment}",
            )
        ]
    given = uow.approvals.approval_count(latest.tenant_id, latest.id)
    if given >= needed:
        return []
    return [
        Violation(
            rule_id=APPROVAL_REQUIRED,
            field_id=None,
            message=f"Leaving {step.name} needs {wanted} from {approver_label(settings)}; "
            f"{given} of {needed} given so far.",
        )
    ]


def fields_changed(
    uow: UnitOfWork, *, item: Item, step: Step, config: StepConfig, changed: Sequence[str]
) -> None:
    """Voids the current entry's granted approvals when the step says a change voids them.

    Approved requests and pending ones with at least one approval are voided
    (their approvals were given for values that no longer hold); the requester
    asks again.
    """
    settings = config.settings.approval
    if not settings.required or not changed or settings.void_on_change is False:
        return
    if isinstance(settings.void_on_change, frozenset):
        relevant = sorted(settings.void_on_change & set(changed))
        if not relevant:
            return
    else:
        relevant = sorted(set(changed))
    entry = open_entry(uow, item=item)
    if entry is None or entry.step_id != step.id:
        return
    candidates = uow.approvals.lock_undecided_or_approved(item.tenant_id, entry.id)
    now = uow.clock.now()
    for request in candidates:
        if (
            request.status == "pending"
            and uow.approvals.approval_count(request.tenant_id, request.id) == 0
        ):
            continue
        request.status = "voided"
        request.voided_at = now
        record_activity(
            uow,
            item=item,
            actor=None,
            kind="approval.voided",
            data={"request_id": str(request.id), "step_id": str(step.id), "fields": relevant},
        )
