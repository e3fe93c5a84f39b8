"""Notifications: firing them (worker side), the inbox, preferences and history.

A fired notification rule arrives as a ``notification.fire`` outbox job. Its
handler, in one transaction, resolves the recipients as they are now
(``recipients``), renders the text once (``templates``), stores the history row
(``notification_log``, keyed by the job id so a repeated job does nothing), one
in-app row per recipient and one ``notification.email`` job per email recipient
(``firing``), and marks the job done. In-app delivery is therefore exactly once;
email is at least once (``delivery``: a worker killed between handing the message
to the SMTP server and recording it sends again). People read their notifications
in ``inbox`` and choose channels and the daily digest in ``preferences``; admins
read every firing in ``history``.
"""

from pacetrack.services.notifications.channels import (
    CHANNELS,
    DIGEST,
    DIGEST_JOB,
    EMAIL_JOB,
    FAILED,
    NO_ACCESS,
    NOT_SENT,
    OFF,
    PENDING,
    SENT,
    TRIGGER_KINDS,
    TriggerKind,
    channel_choices,
)
from pacetrack.services.notifications.delivery import (
    DIGEST_LOCAL_TIME,
    Digest,
    next_digest_at,
    prepare_digest,
    prepare_email,
    record_digest,
    record_email,
)
from pacetrack.services.notifications.firing import (
    BatchReads,
    fire_notifications,
    notification_rows,
)
from pacetrack.services.notifications.history import ChannelOutcome, HistoryEntry, history
from pacetrack.services.notifications.inbox import (
    MarkRead,
    MarkReadOut,
    NotificationOut,
    NotificationPage,
    list_notifications,
    mark_read,
)
from pacetrack.services.notifications.preferences import (
    ChannelSwitches,
    PreferencesIn,
    PreferencesOut,
    get_preferences,
    set_preferences,
)
from pacetrack.services.notifications.recipients import (
    recipients_of,
    resolve_recipients,
    who_may_hear,
)
from pacetrack.services.notifications.templates import (
    BUILT_IN_TEMPLATES,
    item_url,
    render_notification,
    template_context,
)

__all__ = [
    "BUILT_IN_TEMPLATES",
    "CHANNELS",
    "DIGEST",
    "DIGEST_JOB",
    "DIGEST_LOCAL_TIME",
    "EMAIL_JOB",
    "FAILED",
    "NOT_SENT",
    "NO_ACCESS",
    "OFF",
    "PENDING",
    "SENT",
    "TRIGGER_KINDS",
    "BatchReads",
    "ChannelOutcome",
    "ChannelSwitches",
    "Digest",
    "HistoryEntry",
    "MarkRead",
    "MarkReadOut",
    "NotificationOut",
    "NotificationPage",
    "PreferencesIn",
    "PreferencesOut",
    "TriggerKind",
    "channel_choices",
    "fire_notifications",
    "get_preferences",
    "history",
    "item_url",
    "list_notifications",
    "mark_read",
    "next_digest_at",
    "notification_rows",
    "prepare_digest",
    "prepare_email",
    "recipients_of",
    "record_digest",
    "record_email",
    "render_notification",
    "resolve_recipients",
    "set_preferences",
    "template_context",
    "who_may_hear",
]
