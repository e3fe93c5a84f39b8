"""The audit trail of a tenant: logins, lockouts, revoked tokens, deactivated accounts.

An event is written in the transaction of what it records, so the trail holds
exactly what happened. Events carry reasons, counts and ids, never a password
or a token.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from pacetrack.db.tables_auth import ADDRESS_LENGTH, AuditEvent
from pacetrack.services.context import Actor
from pacetrack.services.unit_of_work import UnitOfWork

LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
LOGIN_LOCKED = "login.locked"
TOKEN_REVOKED = "token.revoked"
ACCOUNT_DEACTIVATED = "account.deactivated"
ACCOUNT_REACTIVATED = "account.reactivated"


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    at: datetime
    kind: str
    account_id: uuid.UUID | None
    client_address: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    events: list[AuditEventOut]
    total: int
    limit: int
    offset: int


def record(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    account_id: uuid.UUID | None = None,
    client_address: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Adds an event to the unit of work; it is stored with the unit's commit."""
    uow.audit.add(
        AuditEvent(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            at=uow.clock.now(),
            kind=kind,
            account_id=account_id,
            client_address=client_address[:ADDRESS_LENGTH] if client_address else None,
            details=details or {},
        )
    )


def list_events(uow: UnitOfWork, actor: Actor, *, limit: int = 50, offset: int = 0) -> AuditPage:
    """The tenant's events, newest first."""
    actor.require_admin("read the audit trail")
    rows = uow.audit.page(actor.tenant_id, limit=limit, offset=offset)
    return AuditPage(
        events=[AuditEventOut.model_validate(row) for row in rows],
        total=uow.audit.count(actor.tenant_id),
        limit=limit,
        offset=offset,
    )
