"""What happened to an item, in sentences for people: the item page's Activity.

Three stored histories make it: the activity log (moves, refused moves, field
changes, assignments, approvals), the notification log with each recipient's
channel outcomes, and the automation runs with their delivery attempts (for the
next retry). Entries come newest first.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from pacetrack.db.tables import Item
from pacetrack.db.tables_automations import (
    ATTEMPT_SUCCEEDED,
    RUN_FAILED,
    RUN_PENDING,
    RUN_SKIPPED,
    RUN_SUCCEEDED,
    AutomationRun,
    DeliveryAttempt,
)
from pacetrack.db.tables_delivery import NotificationDelivery, NotificationLog
from pacetrack.engine.words import counted
from pacetrack.services import access
from pacetrack.services.activity_words import Lookup, joined, sentence
from pacetrack.services.context import Actor
from pacetrack.services.errors import NotFound
from pacetrack.services.fields import load_field_specs
from pacetrack.services.unit_of_work import UnitOfWork

CHANNEL_WORDS = {"in_app": "in the app", "email": "by email"}
CHANNEL_NAMES = {"in_app": "In-app notification", "email": "Email"}
DELIVERED = frozenset({"sent", "pending", "digest"})
ACTION_WORDS = {
    "webhook": "webhook",
    "update_field": "field update",
    "notify": "notification",
    "create_item": "new item",
    "assign": "assignment",
    "move_to_step": "move",
}
AUTOMATION_LOG = "/api/automation-log/list?item_id={item_id}"
# Entries written in one transaction share their time; what follows from what comes later.
CONSEQUENCE = {
    "item.created": 0,
    "item.fields_changed": 1,
    "item.assigned": 3,
    "assignment.unresolved": 3,
    "notification.sent": 4,
    "automation.run": 4,
}


class TimelineEntry(BaseModel):
    at: datetime
    kind: str = Field(description="The activity kind, or notification.sent / automation.run")
    actor: str | None = Field(description="Who did it, by display name; None for the system")
    text: str
    details: list[str] = Field(default_factory=list)
    outcome: str = Field(description="info, ok, refused, failed or pending")
    next_attempt_at: datetime | None = None
    link: str | None = Field(default=None, description="Where the full record is")


def _lookup(uow: UnitOfWork, item: Item) -> Lookup:
    named = uow.timeline
    tenant = item.tenant_id
    accounts = {str(row.id): row.display_name or row.username for row in named.accounts(tenant)}
    steps = {
        str(row.id): row.name for row in named.steps_of_pipeline(tenant, item.pipeline_instance_id)
    }
    groups: dict[str, str] = {}
    for group in named.groups(tenant):
        groups[str(group.id)] = groups[group.name] = group.name
    roles: dict[str, str] = {}
    for role in named.roles(tenant):
        roles[str(role.id)] = roles[role.name] = role.name
    return Lookup(
        accounts=accounts,
        steps=steps,
        fields=load_field_specs(uow, tenant_id=tenant),
        groups=groups,
        roles=roles,
    )


def _activities(uow: UnitOfWork, item: Item, lookup: Lookup, limit: int) -> list[TimelineEntry]:
    rows = uow.activity.of_item(item.tenant_id, item.id, limit=limit)
    entries = []
    for row in rows:
        said = sentence(row.kind, dict(row.data or {}), lookup)
        entries.append(
            TimelineEntry(
                at=row.created_at,
                kind=row.kind,
                actor=lookup.person(row.actor_account_id) if row.actor_account_id else None,
                text=said.text,
                details=list(said.details),
                outcome=said.outcome,
            )
        )
    return entries


def _notification(
    log: NotificationLog, outcomes: Sequence[NotificationDelivery], lookup: Lookup
) -> TimelineEntry:
    reached: defaultdict[str, list[str]] = defaultdict(list)
    details: list[str] = []
    for row in outcomes:
        if row.status in DELIVERED:
            reached[str(row.account_id)].append(row.channel)
        if row.status != "sent":
            channel = CHANNEL_NAMES.get(row.channel, row.channel)
            state = {
                "pending": "waiting to be sent",
                "digest": "in the daily digest",
            }.get(row.status, "not sent")
            reason = f": {row.reason}" if row.reason and row.status != "digest" else ""
            details.append(f"{channel} to {lookup.person(row.account_id)} {state}{reason}.")
    if log.template_error:
        details.append(f"The message could not be written: {log.template_error}.")
    subject = f": “{log.subject}”" if log.subject else ""
    if reached:
        told = joined(
            [
                f"{lookup.person(account)} "
                + joined([CHANNEL_WORDS.get(c, c) for c in sorted(channels, reverse=True)])
                for account, channels in reached.items()
            ]
        )
        text, outcome = f"Notified {told}{subject}.", "ok"
    else:
        text, outcome = f"A notification reached nobody{subject}.", "failed"
    return TimelineEntry(
        at=log.created_at,
        kind="notification.sent",
        actor=None,
        text=text,
        details=details,
        outcome=outcome,
    )


def _notifications(uow: UnitOfWork, item: Item, lookup: Lookup, limit: int) -> list[TimelineEntry]:
    logs = uow.notifications.logs(item.tenant_id, item_id=item.id, limit=limit)
    outcomes: defaultdict[uuid.UUID, list[NotificationDelivery]] = defaultdict(list)
    for row in uow.notifications.outcomes_as_recorded(item.tenant_id, [log.id for log in logs]):
        outcomes[row.log_id].append(row)
    return [_notification(log, outcomes[log.id], lookup) for log in logs]


def _run(run: AutomationRun, last: DeliveryAttempt | None, link: str | None) -> TimelineEntry:
    name = f"“{run.automation_name}”" if run.automation_name else "An automation"
    action = ACTION_WORDS.get(run.action_type, run.action_type.replace("_", " "))
    label = f"Automation {name} ({action})" if run.automation_name else f"An automation ({action})"
    error = run.error or (last.error if last is not None else None)
    if last is not None and last.response_status is not None and last.outcome != ATTEMPT_SUCCEEDED:
        error = f"the receiver answered HTTP {last.response_status}"
    retry = last.next_attempt_at if last is not None and run.status == RUN_PENDING else None
    if run.status == RUN_SUCCEEDED:
        text = f"{label} ran."
    elif run.status == RUN_FAILED:
        text = f"{label} failed: {error or 'no reason was recorded'}."
    elif run.status == RUN_SKIPPED:
        text = f"{label} was skipped: {error or 'its conditions were not met'}."
    elif retry is not None:
        text = f"{label} failed and will try again: {error or 'no reason was recorded'}."
    else:
        text = f"{label} is waiting to run."
    tries = last.attempt if last is not None else 0
    details: list[str] = []
    if tries > 1:
        if run.status == RUN_SUCCEEDED:
            details.append(f"Delivered on attempt {tries}.")
        elif run.status == RUN_FAILED:
            details.append(f"Gave up after {counted(tries, 'attempt')}.")
        else:
            details.append(f"{counted(tries, 'attempt')} so far.")
    outcome = {RUN_SUCCEEDED: "ok", RUN_FAILED: "failed", RUN_SKIPPED: "info"}.get(
        run.status, "pending"
    )
    return TimelineEntry(
        at=run.created_at,
        kind="automation.run",
        actor=None,
        text=text,
        details=details,
        outcome=outcome,
        next_attempt_at=retry,
        link=link,
    )


def _runs(uow: UnitOfWork, actor: Actor, item: Item, limit: int) -> list[TimelineEntry]:
    runs = uow.timeline.runs_of_item(item.tenant_id, item.id, limit=limit)
    deliveries = [run.delivery_id for run in runs if run.delivery_id is not None]
    last = uow.timeline.last_attempts(item.tenant_id, deliveries)
    # The automation log is for admins; others see the outcome without the link.
    link = AUTOMATION_LOG.format(item_id=item.id) if actor.is_admin else None
    return [_run(run, last.get(run.delivery_id) if run.delivery_id else None, link) for run in runs]


def item_timeline(
    uow: UnitOfWork, actor: Actor, item_id: uuid.UUID, *, limit: int = 200
) -> list[TimelineEntry]:
    """The item's activity, notifications and automation runs in sentences, newest first."""
    item = uow.items.get(actor.tenant_id, item_id)
    if item is None:
        raise NotFound("Item not found.")
    access.ensure_can_see_item(uow, actor, item)
    lookup = _lookup(uow, item)
    entries = [
        *_activities(uow, item, lookup, limit),
        *_notifications(uow, item, lookup, limit),
        *_runs(uow, actor, item, limit),
    ]
    entries.sort(key=lambda entry: (entry.at, CONSEQUENCE.get(entry.kind, 2)), reverse=True)
    return entries[:limit]
