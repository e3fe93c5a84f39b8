"""/api/tenant/{settings,update-settings}"""

from __future__ import annotations

from fastapi import APIRouter

from pacetrack.services import tenant_settings
from pacetrack.services.tenant_settings import TenantSettingsOut, TenantSettingsUpdate
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(prefix="/api/tenant", tags=["tenant"])


@router.get("/settings")
def settings(actor: CurrentActor, work: Work) -> TenantSettingsOut:
    with work:
        return tenant_settings.get_settings(work, actor)


@router.post("/update-settings")
def update_settings(
    body: TenantSettingsUpdate, actor: CurrentActor, work: Work
) -> TenantSettingsOut:
    with work:
        return tenant_settings.update_settings(work, actor, body)
