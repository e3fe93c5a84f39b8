"""/api/audit-log/*: the configuration audit log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from pacetrack.services import config_audit
from pacetrack.services.config_audit import (
    MAX_PAGE,
    AuditAction,
    AuditLogFilter,
    AuditLogPage,
    EntityKind,
    Moment,
)
from pacetrack.services.input_types import Offset
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(prefix="/api/audit-log", tags=["audit"])


@router.get("/list")
def list_entries(
    actor: CurrentActor,
    work: Work,
    kind: Annotated[EntityKind | None, Query(description="Only this kind of entity.")] = None,
    entity_id: Annotated[uuid.UUID | None, Query(description="Only this entity.")] = None,
    actor_id: Annotated[
        uuid.UUID | None, Query(description="Only changes by this account.")
    ] = None,
    action: Annotated[AuditAction | None, Query(description="Only this action.")] = None,
    since: Annotated[
        Moment | None, Query(alias="from", description="Changes at or after this time.")
    ] = None,
    until: Annotated[
        Moment | None, Query(alias="to", description="Changes before this time.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> AuditLogPage:
    """Who changed which templates, steps, fields, overrides, webhook endpoints, allow-list,
    settings, accounts, roles and groups, when, from what to what; newest first (admins only)."""
    wanted = AuditLogFilter(
        kind=kind, entity_id=entity_id, actor_id=actor_id, action=action, since=since, until=until
    )
    with work:
        return config_audit.list_entries(work, actor, wanted, limit=limit, offset=offset)
