"""Tables of the move path: the record of blocked moves, kept for analytics."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pacetrack.db.tables import Base, tenant_fk


class ValidationFailure(Base):
    """One violated rule of one refused move: which rule, field and step, when, for which item.

    A blocked move writes one row per violation and changes nothing else, so
    "which rules stop work most often, and where" is a plain aggregate.
    """

    __tablename__ = "validation_failure"
    __table_args__ = (
        tenant_fk(["item_id"], "item", ondelete="CASCADE"),
        tenant_fk(["step_id"], "step"),
        tenant_fk(["target_step_id"], "step"),
        Index("ix_validation_failure_item", "tenant_id", "item_id", "created_at"),
        Index("ix_validation_failure_rule", "tenant_id", "step_id", "rule_id"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    step_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    target_step_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rule_id: Mapped[str] = mapped_column(String(200))
    field_id: Mapped[str | None] = mapped_column(String(63))
    message: Mapped[str] = mapped_column(Text)
    actor_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    automatic: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
