"""The tenant's own settings a tenant admin may change: the currency money is shown in."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from pacetrack.db.tables import Tenant
from pacetrack.engine.money import CURRENCIES, DEFAULT_CURRENCY
from pacetrack.services.context import Actor
from pacetrack.services.errors import NotFound
from pacetrack.services.unit_of_work import UnitOfWork


class TenantSettingsOut(BaseModel):
    name: str
    time_zone: str
    currency: str = Field(description="ISO 4217 code money is shown in")
    currency_name: str


def _known_currency(code: str) -> str:
    if code not in CURRENCIES:
        raise ValueError(f"“{code}” is not a currency code PaceTrack knows")
    return code


CurrencyCode = Annotated[
    str,
    AfterValidator(_known_currency),
    WithJsonSchema({"type": "string", "enum": sorted(CURRENCIES)}, mode="validation"),
]


class TenantSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: CurrencyCode | None = Field(
        default=None, description="ISO 4217 code, such as USD or EUR"
    )


def tenant_currency(uow: UnitOfWork, *, tenant_id: uuid.UUID) -> str:
    """The tenant's currency code (US dollars when none is set)."""
    code = uow.tenants.currency_code(tenant_id)
    return code if code in CURRENCIES else DEFAULT_CURRENCY


def _tenant(uow: UnitOfWork, actor: Actor) -> Tenant:
    tenant = uow.tenants.get(actor.tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found.")
    return tenant


def _out(tenant: Tenant) -> TenantSettingsOut:
    code = tenant.currency if tenant.currency in CURRENCIES else DEFAULT_CURRENCY
    return TenantSettingsOut(
        name=tenant.name,
        time_zone=tenant.time_zone,
        currency=code,
        currency_name=CURRENCIES[code].name,
    )


def get_settings(uow: UnitOfWork, actor: Actor) -> TenantSettingsOut:
    return _out(_tenant(uow, actor))


def update_settings(
    uow: UnitOfWork, actor: Actor, command: TenantSettingsUpdate
) -> TenantSettingsOut:
    actor.require_admin("change the organisation's settings")
    tenant = _tenant(uow, actor)
    if command.currency is not None:
        tenant.currency = command.currency
    uow.commit()
    return _out(tenant)
