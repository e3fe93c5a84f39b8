"""What a notification is about (trigger kinds), how it reaches people (channels), the
outcome recorded for each channel, and the jobs that deliver by email."""

from __future__ import annotations

from typing import Literal

from pacetrack.db.tables_delivery import NotificationPreference

EMAIL_JOB = "notification.email"
DIGEST_JOB = "notification.digest"

TriggerKind = Literal[
    "on_enter",
    "on_exit",
    "on_duration",
    "at_risk",
    "on_field_change",
    "assigned",
    "assignment_unresolved",
    "approval_requested",
    "approval_decided",
]
TRIGGER_KINDS: tuple[str, ...] = TriggerKind.__args__  # type: ignore[attr-defined]
CHANNELS = ("in_app", "email")

# Channel outcomes recorded in notification_delivery.status.
SENT = "sent"
PENDING = "pending"
FAILED = "failed"
NOT_SENT = "not_sent"
DIGEST = "digest"
OFF = "off"
NO_ACCESS = "no_access"


def channel_choices(preference: NotificationPreference | None) -> dict[str, dict[str, bool]]:
    """Every trigger kind's channel switches, defaults (all on) filled in."""
    stored = preference.channels if preference else {}
    return {
        kind: {channel: bool((stored.get(kind) or {}).get(channel, True)) for channel in CHANNELS}
        for kind in TRIGGER_KINDS
    }
