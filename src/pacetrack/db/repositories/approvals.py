"""Approval requests of an item's stay in a step, and the approvers' decisions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Item, ItemStepHistory, Step
from pacetrack.db.tables_assignments import ApprovalDecision, ApprovalRequest


class ApprovalRepository(Repository):
    # --- the stay a request belongs to

    def open_entry(
        self, tenant_id: uuid.UUID, item_id: uuid.UUID, step_id: uuid.UUID
    ) -> ItemStepHistory | None:
        """The item's latest stay in ``step_id`` that has not ended."""
        return self.session.scalars(
            select(ItemStepHistory)
            .where(ItemStepHistory.tenant_id == tenant_id)
            .where(
                ItemStepHistory.item_id == item_id,
                ItemStepHistory.step_id == step_id,
                ItemStepHistory.exited_at.is_(None),
            )
            .order_by(ItemStepHistory.entered_at.desc())
        ).first()

    def entry(self, tenant_id: uuid.UUID, history_id: uuid.UUID) -> ItemStepHistory | None:
        return repository.get(self.session, ItemStepHistory, tenant_id=tenant_id, id=history_id)

    # --- requests

    def request(self, tenant_id: uuid.UUID, request_id: uuid.UUID) -> ApprovalRequest | None:
        return repository.get(self.session, ApprovalRequest, tenant_id=tenant_id, id=request_id)

    def lock_request(self, tenant_id: uuid.UUID, request_id: uuid.UUID) -> ApprovalRequest | None:
        """The request, locked for the rest of the transaction."""
        return repository.get_for_update(
            self.session, ApprovalRequest, tenant_id=tenant_id, id=request_id
        )

    def latest_request(self, tenant_id: uuid.UUID, history_id: uuid.UUID) -> ApprovalRequest | None:
        """The stay's request of the highest attempt: the one that decides."""
        return self.session.scalars(
            select(ApprovalRequest)
            .where(ApprovalRequest.tenant_id == tenant_id)
            .where(ApprovalRequest.history_id == history_id)
            .order_by(ApprovalRequest.attempt.desc())
        ).first()

    def next_attempt(self, tenant_id: uuid.UUID, history_id: uuid.UUID) -> int:
        """The attempt number of the stay's next request (1 for the first)."""
        latest = self.session.scalar(
            select(func.max(ApprovalRequest.attempt)).where(
                ApprovalRequest.tenant_id == tenant_id, ApprovalRequest.history_id == history_id
            )
        )
        return int(latest or 0) + 1

    def lock_undecided_or_approved(
        self, tenant_id: uuid.UUID, history_id: uuid.UUID
    ) -> Sequence[ApprovalRequest]:
        """The stay's approved and pending requests, locked (a change may void them)."""
        return self.session.scalars(
            select(ApprovalRequest)
            .where(ApprovalRequest.tenant_id == tenant_id)
            .where(
                ApprovalRequest.history_id == history_id,
                ApprovalRequest.status.in_(("approved", "pending")),
            )
            .with_for_update()
        ).all()

    def pending_of_open_entries(
        self, tenant_id: uuid.UUID
    ) -> list[tuple[ApprovalRequest, Item, Step]]:
        """The tenant's pending requests of stays not ended, each with its item and step,
        oldest first."""
        rows = self.session.execute(
            select(ApprovalRequest, Item, Step)
            .join(
                ItemStepHistory,
                (ItemStepHistory.tenant_id == ApprovalRequest.tenant_id)
                & (ItemStepHistory.id == ApprovalRequest.history_id),
            )
            .join(
                Item,
                (Item.tenant_id == ApprovalRequest.tenant_id)
                & (Item.id == ApprovalRequest.item_id),
            )
            .join(
                Step,
                (Step.tenant_id == ApprovalRequest.tenant_id)
                & (Step.id == ApprovalRequest.step_id),
            )
            .where(
                ApprovalRequest.tenant_id == tenant_id,
                ApprovalRequest.status == "pending",
                ItemStepHistory.exited_at.is_(None),
            )
            .order_by(ApprovalRequest.created_at, ApprovalRequest.id)
        )
        return [(request, item, step) for request, item, step in rows]

    # --- decisions

    def decisions(self, tenant_id: uuid.UUID, request_id: uuid.UUID) -> Sequence[ApprovalDecision]:
        """The request's decisions in the order they were made."""
        return self.session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.tenant_id == tenant_id)
            .where(ApprovalDecision.request_id == request_id)
            .order_by(ApprovalDecision.created_at, ApprovalDecision.id)
        ).all()

    def approval_count(self, tenant_id: uuid.UUID, request_id: uuid.UUID) -> int:
        """How many approvers said yes to the request."""
        return int(
            self.session.scalar(
                select(func.count()).where(
                    ApprovalDecision.tenant_id == tenant_id,
                    ApprovalDecision.request_id == request_id,
                    ApprovalDecision.decision == "approve",
                )
            )
            or 0
        )

    def decision_of(
        self, tenant_id: uuid.UUID, request_id: uuid.UUID, account_id: uuid.UUID
    ) -> ApprovalDecision | None:
        """What ``account_id`` decided on the request, if anything."""
        return self.session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.tenant_id == tenant_id)
            .where(
                ApprovalDecision.request_id == request_id,
                ApprovalDecision.account_id == account_id,
            )
        ).first()

    def decided_request_ids(self, tenant_id: uuid.UUID, account_id: uuid.UUID) -> set[uuid.UUID]:
        """The requests ``account_id`` has decided on."""
        return set(
            self.session.scalars(
                select(ApprovalDecision.request_id).where(
                    ApprovalDecision.tenant_id == tenant_id,
                    ApprovalDecision.account_id == account_id,
                )
            )
        )
