"""The configuration audit log of a tenant: who changed which piece of configuration.

The entries are written by the unit of work's commit (``db.config_audit``); this module
reads them for admins, newest first, with filters.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field
from pydantic_core import PydanticCustomError

from pacetrack.db.audited_kinds import KIND_NAMES
from pacetrack.db.config_audit import ACTIONS, CREATED, DELETED, UPDATED
from pacetrack.db.repositories.config_audit import ConfigAuditFilter
from pacetrack.services.context import Actor
from pacetrack.services.unit_of_work import UnitOfWork

MAX_PAGE = 200
# The kinds and actions are re-exported for the entry points, which do not import db/.
__all__ = [
    "ACTIONS",
    "CREATED",
    "DELETED",
    "KIND_NAMES",
    "MAX_PAGE",
    "UPDATED",
    "AuditAction",
    "AuditActorOut",
    "AuditLogEntryOut",
    "AuditLogFilter",
    "AuditLogPage",
    "EntityKind",
    "Moment",
    "list_entries",
]


def _one_of(allowed: tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError(
                "one_of", "must be one of: {allowed}", {"allowed": ", ".join(allowed)}
            )
        return value

    return AfterValidator(check)


EntityKind = Annotated[
    str, Field(max_length=40, json_schema_extra={"enum": list(KIND_NAMES)}), _one_of(KIND_NAMES)
]
"""A kind of audited entity (``pipeline_template``, ``webhook_endpoint``, ``account``…)."""


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise PydanticCustomError(
            "moment_range", "must be a time between the years 1 and 9999"
        ) from exc


Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""A point in time with its UTC offset (``2026-12-03T09:00:00Z``)."""
AuditAction = Annotated[
    str, Field(max_length=20, json_schema_extra={"enum": list(ACTIONS)}), _one_of(ACTIONS)
]


class AuditActorOut(BaseModel):
    id: uuid.UUID
    name: str


class AuditLogEntryOut(BaseModel):
    id: uuid.UUID
    at: datetime
    actor: AuditActorOut | None = Field(description="Who changed it; null: the system.")
    kind: str
    entity_id: uuid.UUID
    entity_name: str
    action: str
    before: dict[str, Any] | None = Field(
        description="The configuration before (an update: the changed keys only); secrets masked."
    )
    after: dict[str, Any] | None = Field(
        description="The configuration after (an update: the changed keys only); secrets masked."
    )


class AuditLogPage(BaseModel):
    entries: list[AuditLogEntryOut]
    total: int
    limit: int
    offset: int


AuditLogFilter = ConfigAuditFilter
"""Which entries to list; every given filter must hold."""


def list_entries(
    uow: UnitOfWork,
    actor: Actor,
    wanted: AuditLogFilter,
    *,
    limit: int = 50,
    offset: int = 0,
) -> AuditLogPage:
    """The tenant's configuration changes, newest first (admins only)."""
    actor.require_admin("read the configuration audit log")
    limit = max(1, min(limit, MAX_PAGE))
    rows = uow.config_audit.page(actor.tenant_id, wanted, limit=limit, offset=offset)
    total = uow.config_audit.count(actor.tenant_id, wanted)
    return AuditLogPage(
        entries=[
            AuditLogEntryOut(
                id=row.id,
                at=row.at,
                actor=None
                if row.actor_account_id is None
                else AuditActorOut(id=row.actor_account_id, name=display_name or ""),
                kind=row.entity_kind,
                entity_id=row.entity_id,
                entity_name=row.entity_name,
                action=row.action,
                before=row.before,
                after=row.after,
            )
            for row, display_name in rows
        ],
        total=total,
        limit=limit,
        offset=offset,
    )
