"""An account's notification preferences: each trigger kind's channels, and the daily
email digest."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables_delivery import NotificationPreference
from pacetrack.services.context import Actor
from pacetrack.services.notifications.channels import TriggerKind, channel_choices
from pacetrack.services.notifications.delivery import schedule_digest
from pacetrack.services.notifications.inbox import own_account
from pacetrack.services.unit_of_work import UnitOfWork


class ChannelSwitches(BaseModel):
    model_config = ConfigDict(extra="forbid")
    in_app: bool | None = None
    email: bool | None = None


class PreferencesIn(BaseModel):
    """Only what is given changes; channel switches default to on."""

    model_config = ConfigDict(extra="forbid")
    channels: dict[TriggerKind, ChannelSwitches] = Field(default_factory=dict)
    email_digest: Literal["off", "daily"] | None = None


class PreferencesOut(BaseModel):
    channels: dict[str, dict[str, bool]]
    email_digest: str


def _preferences_out(preference: NotificationPreference | None) -> PreferencesOut:
    return PreferencesOut(
        channels=channel_choices(preference),
        email_digest=preference.email_digest if preference else "off",
    )


def get_preferences(uow: UnitOfWork, actor: Actor) -> PreferencesOut:
    account_id = own_account(actor)
    return _preferences_out(uow.notifications.preference(actor.tenant_id, account_id))


def set_preferences(uow: UnitOfWork, actor: Actor, command: PreferencesIn) -> PreferencesOut:
    account_id = own_account(actor)
    now = uow.clock.now()
    preference = uow.notifications.preference(actor.tenant_id, account_id)
    if preference is None:
        preference = NotificationPreference(
            tenant_id=actor.tenant_id,
            account_id=account_id,
            channels={},
            email_digest="off",
            updated_at=now,
        )
        uow.notifications.add(preference)
    channels = {kind: dict(value) for kind, value in (preference.channels or {}).items()}
    for kind, switches in command.channels.items():
        for channel, value in switches.model_dump(exclude_none=True).items():
            channels.setdefault(kind, {})[channel] = value
    preference.channels = channels
    if command.email_digest is not None and command.email_digest != preference.email_digest:
        preference.email_digest = command.email_digest
        if command.email_digest == "daily":
            preference.digest_sent_through = now
            schedule_digest(uow, preference, now)
        else:
            preference.digest_job_id = None
    preference.updated_at = now
    uow.commit()
    return _preferences_out(preference)
