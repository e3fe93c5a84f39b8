"""/api/tenant/{settings,update-settings,features,update-features}"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from pacetrack.services import tenant_features, tenant_settings
from pacetrack.services.errors import PermissionDenied
from pacetrack.services.tenant_features import FeatureChange, TenantFeaturesOut
from pacetrack.services.tenant_settings import TenantSettingsOut, TenantSettingsUpdate
from pacetrack.web.deps import BearerCredentials, CurrentActor, Work, actor, container

router = APIRouter(prefix="/api/tenant", tags=["tenant"])
OPERATOR = "operator token"
"""Who changed a flag through the API, as the tenant's flag list shows it."""


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


@router.get("/features")
def features(actor: CurrentActor, work: Work) -> TenantFeaturesOut:
    """Every feature flag of the caller's organisation (admins), with the configs that
    still use a disabled family."""
    with work:
        return tenant_features.list_features(work, actor)


def _is_operator(request: Request, credentials: BearerCredentials) -> bool:
    expected = container(request).settings.operator_token
    given = credentials.credentials if credentials else ""
    return bool(expected) and hmac.compare_digest(str(expected).encode(), given.encode())


@router.post("/update-features")
async def update_features(
    body: FeatureChange, request: Request, credentials: BearerCredentials
) -> TenantFeaturesOut:
    """Turns feature flags of the tenant named in the body on or off; only the platform
    operator (``PACETRACK_OPERATOR_TOKEN``) may, as flags decide what a tenant is offered."""
    if not _is_operator(request, credentials):
        await actor(request, credentials)  # 401 for a caller who is nobody at all
        raise PermissionDenied(
            "Only the platform operator can change feature flags "
            "(the operator token, or pacetrack tenant features)."
        )
    current = container(request)

    def change() -> TenantFeaturesOut:
        with current.uow() as work:
            return tenant_features.set_features(work, body, updated_by=OPERATOR)

    return await run_in_threadpool(change)
