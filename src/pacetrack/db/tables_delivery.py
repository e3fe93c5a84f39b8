"""Delivery tables: the outbox, timers, notifications and their preferences.

The outbox and the timer table are the durable side of every side effect
(DESIGN.md section 5): a row is written in the transaction that caused it and
the worker performs it later, at least once. Both keep ``tenant_id`` in the
primary key like every tenant-owned table.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from pacetrack.db.tables import Base, tenant_fk

# Job states. A running row whose lease (``available_at`` = ``locked_until``)
# has passed is claimable again, so one index serves new work and lost claims.
PENDING = "pending"
RUNNING = "running"
DONE = "done"
DEAD = "dead"

# Timer states.
ARMED = "armed"
FIRED = "fired"
CANCELLED = "cancelled"


class Outbox(Base):
    """One side effect to perform; its id is the idempotency key sent downstream."""

    __tablename__ = "outbox"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        Index("ix_outbox_status_available_at", "status", "available_at"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class Timer(Base):
    """A time-based rule armed for one stay of an item in a step.

    ``history_id`` is the item_step_history row of that stay, so a loop back
    into the same step arms fresh timers; ``occurrence`` numbers the firings of
    a repeating rule. The unique key makes a second firing impossible.
    """

    __tablename__ = "timer"
    __table_args__ = (
        tenant_fk(["item_id"], "item", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "item_id", "history_id", "rule_id", "occurrence"),
        Index(
            "ix_timer_armed_due_at",
            "due_at",
            postgresql_where=text("status = 'armed'"),
            sqlite_where=text("status = 'armed'"),
        ),
        Index("ix_timer_history", "tenant_id", "history_id"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    step_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    history_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    rule_kind: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(32))
    occurrence: Mapped[int] = mapped_column(Integer, default=1)
    entered_at: Mapped[datetime]
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=ARMED)
    rule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]


class NotificationLog(Base):
    """The history of one notification firing: trigger, recipients, rendered text.

    Its id is the id of the outbox job that produced it, so a job performed
    twice finds the log and does nothing the second time.
    """

    __tablename__ = "notification_log"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        # Partial, so that no plan takes it for the primary key's look-up (migration 0021).
        Index(
            "ix_notification_log_item",
            "tenant_id",
            "item_id",
            "created_at",
            postgresql_where=text("item_id IS NOT NULL"),
            sqlite_where=text("item_id IS NOT NULL"),
        ),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    step_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rule_id: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(String(32))
    template: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    template_error: Mapped[str | None] = mapped_column(Text)
    triggered_at: Mapped[datetime]
    created_at: Mapped[datetime]


class Notification(Base):
    """An in-app notification for one account."""

    __tablename__ = "notification"
    __table_args__ = (
        tenant_fk(["account_id"], "account", ondelete="CASCADE"),
        tenant_fk(["log_id"], "notification_log", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "log_id", "account_id"),
        Index("ix_notification_inbox", "tenant_id", "account_id", "created_at"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    log_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    trigger: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class NotificationDelivery(Base):
    """The outcome of one channel for one recipient of one notification."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        tenant_fk(["log_id"], "notification_log", ondelete="CASCADE"),
        UniqueConstraint("tenant_id", "log_id", "account_id", "channel"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    log_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class NotificationPreference(Base):
    """One account's channel choices per trigger kind and its email digest option."""

    __tablename__ = "notification_preference"
    __table_args__ = (tenant_fk(["account_id"], "account", ondelete="CASCADE"),)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    channels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    email_digest: Mapped[str] = mapped_column(String(16), default="off")
    digest_sent_through: Mapped[datetime | None]
    digest_job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """The outbox job of the current digest chain; a job of an older chain stops."""
    updated_at: Mapped[datetime]
