"""Login protection and the audit trails (security events and configuration changes).

Failed logins are counted per account and per client address, so that guessing
slows down and then stops for a while. The counters live in the database rather
than in a server process: every process behind a load balancer sees the same
count. An address is not owned by a tenant (one address may try every tenant),
so its counter is the one table here without ``tenant_id``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pacetrack.db.tables import Base, tenant_fk

ADDRESS_LENGTH = 255
ENTITY_NAME_LENGTH = 500


class LoginFailuresOfAccount(Base):
    """The current streak of failed logins of one account (no row: none)."""

    __tablename__ = "login_failures_of_account"
    __table_args__ = (tenant_fk(["account_id"], "account", ondelete="CASCADE"),)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime]


class LoginFailuresOfAddress(Base):
    """The current streak of failed logins from one client address, over every tenant."""

    __tablename__ = "login_failures_of_address"
    address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime]


class AuditEvent(Base):
    """Something that matters to a tenant's security: logins, lockouts, revoked tokens.

    ``details`` holds the event's particulars (a reason, a count, a token's id),
    never a password or a token.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        tenant_fk(["account_id"], "account"),
        Index("ix_audit_event_tenant_id_at", "tenant_id", "at"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    client_address: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConfigAuditEntry(Base):
    """One change to one piece of a tenant's configuration, written in the change's transaction.

    ``entity_name`` keeps the name the entity had, so the log reads well after a rename
    or a deletion. ``before``/``after`` hold configuration columns only (a creation has no
    ``before`` unless it follows an earlier row, as a published version follows the one
    before it; a deletion has no ``after``; an update holds the changed keys alone) and
    secrets masked: a secret or a hash is never stored, only that it was set or changed.
    """

    __tablename__ = "config_audit_entry"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        tenant_fk(["actor_account_id"], "account"),
        Index("ix_config_audit_entry_tenant_id_at", "tenant_id", "at"),
        Index("ix_config_audit_entry_entity", "tenant_id", "entity_kind", "entity_id"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    at: Mapped[datetime]
    actor_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    """Who made the change; None: the system (the worker, the command line, an automation)."""
    entity_kind: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    entity_name: Mapped[str] = mapped_column(String(ENTITY_NAME_LENGTH))
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
