"""Round-robin positions and approvals.

``assignment_cursor`` holds, per step template and rule, the member a round
robin chose last; the row is locked while the next member is chosen, so
concurrent entries into the step take turns. ``least_assigned`` locks a row of
the same table (its ``rule_key`` starts with ``least_assigned:``) so concurrent
entries see each other's choices.

``approval_request`` belongs to one entry of an item into a step (an
``item_step_history`` row): once the item leaves, its approvals are history.
``attempt`` numbers the requests of one entry, so the latest is unambiguous.
``approval_decision`` records each approver's answer, at most one per approver.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pacetrack.db.tables import Base, tenant_fk


class AssignmentCursor(Base):
    __tablename__ = "assignment_cursor"
    __table_args__ = (
        tenant_fk(["step_template_id"], "step_template", ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    step_template_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_username: Mapped[str | None] = mapped_column(String(64))
    turns: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class ApprovalRequest(Base):
    __tablename__ = "approval_request"
    __table_args__ = (
        tenant_fk(["item_id"], "item", ondelete="CASCADE"),
        tenant_fk(["step_id"], "step"),
        tenant_fk(["history_id"], "item_step_history", ondelete="CASCADE"),
        tenant_fk(["requested_by"], "account"),
        UniqueConstraint("tenant_id", "history_id", "attempt"),
        Index("ix_approval_request_status", "tenant_id", "status"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    step_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    history_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    comment: Mapped[str] = mapped_column(Text, default="")
    approvals_required: Mapped[int] = mapped_column(Integer, default=1)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]


class ApprovalDecision(Base):
    __tablename__ = "approval_decision"
    __table_args__ = (
        tenant_fk(["request_id"], "approval_request", ondelete="CASCADE"),
        tenant_fk(["account_id"], "account"),
        UniqueConstraint("tenant_id", "request_id", "account_id"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    decision: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
