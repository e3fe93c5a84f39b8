"""/api/audit/*"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pacetrack.services import audit
from pacetrack.services.audit import AuditPage
from pacetrack.services.input_types import Offset
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("/list")
def list_events(
    actor: CurrentActor,
    work: Work,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> AuditPage:
    """The tenant's audit trail, newest first (admins only)."""
    with work:
        return audit.list_events(work, actor, limit=limit, offset=offset)
