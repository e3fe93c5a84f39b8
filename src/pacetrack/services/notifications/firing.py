"""Firing ``notification.fire`` jobs: every job of one worker batch together.

The worker's one-job path calls this too, with a batch of one, so the rows a job
writes (``notification_rows``) never depend on the path. A few statements for the
whole group: one read of the history rows already written (a repeated job does
nothing; left out in the worker's optimistic transaction, see
``fire_notifications``), one read each of the items, steps, pipelines, actors and
step-history rows the jobs name (held by the transaction, so each job's own look-ups
find them there), the recipients, pipeline access and preferences read once for each
distinct set (``BatchReads``), then one insert of every history row and one per table
of the rows that refer to them (in-app notifications, channel outcomes, email jobs).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.db.repositories.notifications import Key, NewRow
from pacetrack.db.tables import Account, Item, ItemStepHistory, PipelineInstance, Step
from pacetrack.db.tables_delivery import (
    Notification,
    NotificationDelivery,
    NotificationLog,
    NotificationPreference,
    Outbox,
)
from pacetrack.engine.ids import as_uuid
from pacetrack.services.notifications.channels import (
    CHANNELS,
    DIGEST,
    EMAIL_JOB,
    NO_ACCESS,
    NOT_SENT,
    OFF,
    PENDING,
    SENT,
    channel_choices,
)
from pacetrack.services.notifications.recipients import resolve_recipients, who_may_hear
from pacetrack.services.notifications.templates import render_notification, template_context
from pacetrack.services.unit_of_work import UnitOfWork


def _key(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class BatchReads:
    """The reads of the notifications fired together, each made once: the jobs of
    one batch often name the same recipients, and nothing they read changes while
    the batch runs (it writes only notifications, their history and email jobs)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._named: dict[tuple[object, ...], list[Account]] = {}
        self._hearing: dict[tuple[object, ...], list[Account]] = {}
        self._preferences: dict[tuple[object, ...], dict[uuid.UUID, NotificationPreference]] = {}

    def named(
        self, tenant_id: uuid.UUID, item: Item, recipients: Sequence[Mapping[str, Any]]
    ) -> list[Account]:
        key = (
            tenant_id,
            item.owner_account_id,
            _key(item.assigned_account_ids or []),
            _key(recipients),
        )
        if key not in self._named:
            self._named[key] = resolve_recipients(
                self.uow, tenant_id=tenant_id, item=item, recipients=recipients
            )
        return self._named[key]

    def hearing(
        self, tenant_id: uuid.UUID, instance_id: uuid.UUID, named: list[Account]
    ) -> list[Account]:
        key = (tenant_id, instance_id, *(account.id for account in named))
        if key not in self._hearing:
            self._hearing[key] = who_may_hear(
                self.uow, tenant_id=tenant_id, instance_id=instance_id, accounts=named
            )
        return self._hearing[key]

    def preferences(
        self, tenant_id: uuid.UUID, accounts: list[Account]
    ) -> dict[uuid.UUID, NotificationPreference]:
        key = (tenant_id, *(account.id for account in accounts))
        if key not in self._preferences:
            self._preferences[key] = self.uow.notifications.preferences_of(
                tenant_id, [account.id for account in accounts]
            )
        return self._preferences[key]


def notification_rows(
    uow: UnitOfWork,
    reads: BatchReads,
    *,
    tenant_id: uuid.UUID,
    job_id: uuid.UUID,
    payload: Mapping[str, Any],
    base_url: str,
    email_enabled: bool,
    now: datetime,
) -> tuple[NewRow, list[NewRow]]:
    """The history row of a ``notification.fire`` job, and the rows that refer to it
    (in-app notifications, channel outcomes, email jobs), for one insert per table;
    nothing is added to the transaction."""
    rule = payload.get("rule") or {}
    trigger = str(payload.get("trigger", ""))
    item_id = as_uuid(payload.get("item_id"))
    item = uow.notifications.held(Item, tenant_id, item_id)
    log: dict[str, Any] = dict(
        tenant_id=tenant_id,
        id=job_id,
        item_id=item_id,
        step_id=as_uuid(payload.get("step_id")),
        rule_id=str(payload.get("rule_id", "")),
        trigger=trigger,
        template=rule.get("template"),
        subject="",
        body="",
        recipients=[],
        template_error=None,
        triggered_at=datetime.fromisoformat(str(payload["triggered_at"])),
        created_at=now,
    )
    log_row = NewRow(NotificationLog, log)
    rows: list[NewRow] = []
    if item is None:
        log["template_error"] = "the item no longer exists; nobody was notified"
        return log_row, rows
    named = reads.named(tenant_id, item, rule.get("recipients") or [])
    accounts = reads.hearing(tenant_id, item.pipeline_instance_id, named)
    allowed_ids = {account.id for account in accounts}
    context = template_context(uow, item=item, payload=payload, base_url=base_url, now=now)
    log["subject"], log["body"], log["template_error"] = render_notification(rule, trigger, context)
    log["recipients"] = [str(account.id) for account in accounts]
    if not named:
        return log_row, rows
    preferences = reads.preferences(tenant_id, accounts)
    rule_channels = set(rule.get("channels") or CHANNELS)
    url = context["item"]["url"]

    def outcome(account: Account, channel: str, status: str, reason: str | None) -> None:
        rows.append(
            NewRow(
                NotificationDelivery,
                dict(
                    tenant_id=tenant_id,
                    id=uuid.uuid4(),
                    log_id=job_id,
                    account_id=account.id,
                    channel=channel,
                    status=status,
                    reason=reason,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                ),
            )
        )

    for account in named:
        if account.id not in allowed_ids:
            for channel in CHANNELS:
                if channel in rule_channels:
                    outcome(account, channel, NO_ACCESS, "may not see the item's pipeline")
    for account in accounts:
        preference = preferences.get(account.id)
        choices = channel_choices(preference).get(trigger, {"in_app": True, "email": True})
        if "in_app" in rule_channels:
            if choices["in_app"]:
                rows.append(
                    NewRow(
                        Notification,
                        dict(
                            tenant_id=tenant_id,
                            id=uuid.uuid4(),
                            account_id=account.id,
                            log_id=job_id,
                            item_id=item.id,
                            trigger=trigger,
                            subject=log["subject"],
                            body=log["body"],
                            url=url,
                            created_at=now,
                        ),
                    )
                )
                outcome(account, "in_app", SENT, None)
            else:
                outcome(account, "in_app", OFF, "turned off in the recipient's preferences")
        if "email" in rule_channels:
            if not choices["email"]:
                outcome(account, "email", OFF, "turned off in the recipient's preferences")
            elif preference is not None and preference.email_digest == "daily":
                outcome(account, "email", DIGEST, "queued for the daily digest")
            elif not email_enabled:
                outcome(account, "email", NOT_SENT, "no SMTP server is configured")
            else:
                outcome(account, "email", PENDING, None)
                rows.append(
                    NewRow(
                        Outbox,
                        outbox.job_values(
                            tenant_id=tenant_id,
                            kind=EMAIL_JOB,
                            payload={"log_id": str(job_id), "account_id": str(account.id)},
                            now=now,
                        ),
                    )
                )
    return log_row, rows


def _payload_keys(jobs: Sequence[Job], name: str) -> list[Key]:
    keys = []
    for job in jobs:
        value = as_uuid(job.payload.get(name))
        if value is not None:
            keys.append((job.tenant_id, value))
    return keys


def fire_notifications(
    uow: UnitOfWork,
    jobs: Sequence[Job],
    *,
    base_url: str,
    email_enabled: bool,
    repeats_fail: bool = False,
) -> None:
    """Performs ``notification.fire`` jobs together in the caller's transaction; each ends
    done (a job whose history row exists already writes nothing). Raises as soon as
    one job cannot be performed: the caller then performs them one by one.

    ``repeats_fail``: the history rows already written are not looked for, so a job
    performed again fails the insert of its history row (a duplicate key) instead; for
    a caller that then performs the jobs again the careful way. A history row commits
    together with its job's done state, so a due job that has one is rare (a job put
    back by hand), while the look-up costs a statement in every batch."""
    if not jobs:
        return
    rows_of = uow.notifications
    now = uow.clock.now()
    logged: set[Key] = (
        set() if repeats_fail else rows_of.logged([(job.tenant_id, job.id) for job in jobs])
    )
    fresh = [job for job in jobs if (job.tenant_id, job.id) not in logged]
    items = rows_of.load(Item, _payload_keys(fresh, "item_id"))
    step_keys = _payload_keys(fresh, "step_id")
    step_keys += [(item.tenant_id, item.current_step_id) for item in items if item.current_step_id]
    # Held until the rows are written, so each job's look-ups find them without a statement.
    loaded = [
        items,
        rows_of.load(Step, step_keys),
        rows_of.load(PipelineInstance, [(i.tenant_id, i.pipeline_instance_id) for i in items]),
        rows_of.load(Account, _payload_keys(fresh, "actor_id")),
        rows_of.load(ItemStepHistory, _payload_keys(fresh, "history_id")),
    ]
    reads = BatchReads(uow)
    logs, rows = [], []
    for job in fresh:
        log, referring = notification_rows(
            uow,
            reads,
            tenant_id=job.tenant_id,
            job_id=job.id,
            payload=job.payload,
            base_url=base_url,
            email_enabled=email_enabled,
            now=now,
        )
        logs.append(log)
        rows.extend(referring)
    rows_of.insert_fired([*logs, *rows])
    del loaded
