"""Automation tables: webhook endpoints, delivery attempts and automation runs.

A webhook delivery is an outbox job (kind ``webhook.deliver``) whose id is the
``webhook-id`` header, the same on every retry. ``delivery_attempt`` keeps one
row per try with what was sent and what came back; ``automation_run`` keeps
one row per fired automation. A job's run has the ``automation.run`` job's id,
so a job performed twice finds its run and does nothing the second time; the
run of a ``move_to_step`` automation a change follows itself is written by that
change, with an id of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from pacetrack.db.tables import Base, tenant_fk

# automation_run.status
RUN_PENDING = "pending"
"""A webhook waiting to be delivered (or between retries)."""
RUN_SUCCEEDED = "succeeded"
RUN_FAILED = "failed"
RUN_SKIPPED = "skipped"

# delivery_attempt.outcome
ATTEMPT_SUCCEEDED = "succeeded"
ATTEMPT_RETRYING = "retrying"
ATTEMPT_FAILED = "failed"


class WebhookEndpoint(Base):
    """A receiver of webhooks with its signing secrets and health.

    During a rotation ``previous_secret`` stays live until
    ``previous_secret_expires_at`` and deliveries carry both signatures.
    ``rate_tokens``/``rate_updated_at`` hold the endpoint's token bucket.
    The ``oauth_*`` columns hold the OAuth client of an endpoint whose
    ``auth_type`` is ``oauth2_client_credentials``; its secret is kept like
    the signing secret and never shown again.
    """

    __tablename__ = "webhook_endpoint"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        tenant_fk(["owner_account_id"], "account"),
        UniqueConstraint("tenant_id", "url"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]
    rate_limit_per_second: Mapped[float] = mapped_column(Float, default=10.0)
    rate_tokens: Mapped[float | None] = mapped_column(Float)
    rate_updated_at: Mapped[datetime | None]
    first_failure_at: Mapped[datetime | None]
    owner_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    auto_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_type: Mapped[str | None] = mapped_column(String(40))
    """How deliveries authenticate besides the signature: None, or ``oauth2_client_credentials``."""
    oauth_token_url: Mapped[str | None] = mapped_column(String(2000))
    oauth_client_id: Mapped[str | None] = mapped_column(String(500))
    oauth_client_secret: Mapped[str | None] = mapped_column(Text)
    oauth_scope: Mapped[str | None] = mapped_column(String(1000))
    oauth_audience: Mapped[str | None] = mapped_column(String(2000))
    oauth_client_auth: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeliveryAttempt(Base):
    """One try of one webhook delivery."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (
        tenant_fk(["endpoint_id"], "webhook_endpoint", ondelete="CASCADE"),
        Index("ix_delivery_attempt_delivery", "tenant_id", "delivery_id", "attempt"),
        Index("ix_delivery_attempt_endpoint", "tenant_id", "endpoint_id", "created_at"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    automation_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    attempt: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2000))
    request_headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_body: Mapped[str] = mapped_column(Text, default="")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class AutomationRun(Base):
    """One firing of one automation on one item: what was done and how it went."""

    __tablename__ = "automation_run"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        Index("ix_automation_run_item", "tenant_id", "item_id", "created_at"),
        Index("ix_automation_run_automation", "tenant_id", "automation_id", "created_at"),
        Index("ix_automation_run_delivery", "tenant_id", "delivery_id"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    automation_id: Mapped[str] = mapped_column(String(200))
    automation_name: Mapped[str | None] = mapped_column(String(200))
    action_type: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    step_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    rendered_request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    endpoint_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    triggered_at: Mapped[datetime]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
