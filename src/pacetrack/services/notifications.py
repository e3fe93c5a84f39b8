"""Notifications: firing them (worker side), the inbox, preferences and history.

A fired notification rule arrives as a ``notification.fire`` outbox job. Its
handler, in one transaction, resolves the recipients as they are now, renders
the text once, stores the history row (``notification_log``, keyed by the job
id so a repeated job does nothing), one in-app row per recipient and one
``notification.email`` job per email recipient, and marks the job done. In-app
delivery is therefore exactly once; email is at least once (a worker killed
between handing the message to the SMTP server and recording it sends again).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pacetrack.adapters.smtp import OutgoingMail
from pacetrack.adapters.templating import render
from pacetrack.db import bulk, changes, outbox
from pacetrack.db.tables import (
    Account,
    AccountGroup,
    AccountGroupMember,
    AccountRole,
    Item,
    ItemStepHistory,
    PipelineInstance,
    Role,
    Step,
    Tenant,
)
from pacetrack.db.tables_delivery import (
    Notification,
    NotificationDelivery,
    NotificationLog,
    NotificationPreference,
    Outbox,
)
from pacetrack.engine.ids import as_uuid
from pacetrack.engine.retry_policy import DONE, Outcome
from pacetrack.services import access
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput, NotFound
from pacetrack.services.unit_of_work import UnitOfWork

EMAIL_JOB = "notification.email"
DIGEST_JOB = "notification.digest"
DIGEST_LOCAL_TIME = time(8, 0)
"""Daily digests go out at 08:00 in the tenant's time zone."""

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

# --- templates --------------------------------------------------------------------------------

_FOOTER = "\n\nOpen the item: {{item.url}}"

BUILT_IN_TEMPLATES: Mapping[str, tuple[str, str]] = {
    "default": (
        "{{item.name}}: {{step.name}}",
        "Notification {{rule_id}} ({{trigger}}) for {{item.name}} in {{step.name}}"
        " of {{pipeline.name}}." + _FOOTER,
    ),
    "item_entered_step": (
        "{{item.name}} entered {{step.name}}",
        "{{item.name}} entered {{step.name}} of {{pipeline.name}}." + _FOOTER,
    ),
    "item_left_step": (
        "{{item.name}} left {{step.name}}",
        "{{item.name}} left {{step.name}} of {{pipeline.name}}." + _FOOTER,
    ),
    "field_changed": (
        "{{item.name}}: {{changes | map(attribute='field') | join(', ')}} changed",
        "{% for change in changes %}{{change.field}}: {{change.old}} -> {{change.new}}\n"
        "{% endfor %}" + _FOOTER,
    ),
    "big_deal": (
        "Large deal in {{step.name}}: {{item.name}}",
        "{{item.name}} ({{field.deal_value}}) entered {{step.name}}." + _FOOTER,
    ),
    "negotiation_stalled": (
        "Negotiation stalled: {{item.name}}",
        "{{item.name}} has been in {{step.name}} for {{days_in_step}} days, past its target"
        " of {{target_duration_days}} days." + _FOOTER,
    ),
    "at_risk": (
        "At risk: {{item.name}} in {{step.name}}",
        "{{item.name}} has been in {{step.name}} for {{days_in_step}} days (target"
        " {{target_duration_days}})." + _FOOTER,
    ),
    "offer_expiring": (
        "Offer about to expire: {{item.name}}",
        "The offer to {{item.name}} expires on {{field.offer_expires_on}}." + _FOOTER,
    ),
    "daily_post_op_assessment": (
        "Daily post-op assessment: {{item.name}}",
        "Day {{days_in_step}} in {{step.name}}: please assess {{item.name}}." + _FOOTER,
    ),
    "item_assigned": (
        "Assigned to you: {{item.name}}",
        "{{actor.email}} assigned {{item.name}} ({{step.name}}, {{pipeline.name}}) to you."
        + _FOOTER,
    ),
    "approval_requested": (
        "Approval needed: {{item.name}}",
        "{{actor.name}} asks you to approve {{item.name}} leaving {{step.name}}"
        " ({{pipeline.name}}).{% if context.comment %}\n\n“{{context.comment}}”{% endif %}"
        "\n\nApprove or reject it on the item's page or in Approvals." + _FOOTER,
    ),
    "approval_decided": (
        "{{context.outcome}}: {{item.name}}",
        "{{actor.name}} {{context.verb}} your request to move {{item.name}} on from"
        " {{step.name}}.{% if context.comment %}\n\n“{{context.comment}}”{% endif %}" + _FOOTER,
    ),
    "assignment_unresolved": (
        "Nobody could be assigned: {{item.name}}",
        "{{item.name}} entered {{step.name}} but its {{context.rule_type}} assignment found"
        " nobody: {{context.reason}}" + _FOOTER,
    ),
}
_TRIGGER_TEMPLATES = {
    "on_enter": "item_entered_step",
    "on_exit": "item_left_step",
    "on_field_change": "field_changed",
    "at_risk": "at_risk",
}


def _template_sources(rule: Mapping[str, Any], trigger: str) -> tuple[str, str, str | None]:
    """(subject source, body source, problem) for a rule: inline text over named over default."""
    name = rule.get("template")
    problem = None
    if name and name in BUILT_IN_TEMPLATES:
        subject, body = BUILT_IN_TEMPLATES[name]
    else:
        if name:
            problem = f"unknown template “{name}”; the default text was used"
        subject, body = BUILT_IN_TEMPLATES[_TRIGGER_TEMPLATES.get(trigger, "default")]
    return rule.get("subject") or subject, rule.get("body") or body, problem


def item_url(base_url: str, item_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/items/{item_id}"


Entity = TypeVar("Entity")


def _held(
    session: Session, entity: type[Entity], tenant_id: uuid.UUID, id: uuid.UUID | None
) -> Entity | None:
    """``session.get`` of a row keyed by (tenant, id), first from the rows the session
    holds: a batch loads them all at once, and ``get`` costs its options' processing
    each time (four look-ups per notification)."""
    if id is None:
        return None
    held = session.identity_map.get((entity, (tenant_id, id), None))
    if held is not None:
        return held
    return session.get(entity, (tenant_id, id))


def template_context(
    session: Session,
    *,
    item: Item,
    payload: Mapping[str, Any],
    base_url: str,
    now: datetime,
) -> dict[str, Any]:
    """The variables a notification template sees."""
    tenant_id = item.tenant_id
    step_id = as_uuid(payload.get("step_id")) or item.current_step_id
    step = _held(session, Step, tenant_id, step_id)
    pipeline = _held(session, PipelineInstance, tenant_id, item.pipeline_instance_id)
    actor = _held(session, Account, tenant_id, as_uuid(payload.get("actor_id")))
    history = _held(session, ItemStepHistory, tenant_id, as_uuid(payload.get("history_id")))
    entered_at = history.entered_at if history else (step.entered_at if step else None)
    extra = dict(payload.get("context") or {})
    return {
        "item": {
            "id": str(item.id),
            "name": item.name,
            "url": item_url(base_url, item.id),
            "status": item.status,
        },
        "field": dict(item.field_values or {}),
        "step": {"id": str(step.id) if step else "", "name": step.name if step else ""},
        "pipeline": {
            "id": str(item.pipeline_instance_id),
            "name": pipeline.name if pipeline else "",
        },
        "actor": {
            "email": actor.email if actor else "PaceTrack",
            "name": (actor.display_name or actor.username) if actor else "PaceTrack",
        },
        "trigger": payload.get("trigger", ""),
        "rule_id": payload.get("rule_id", ""),
        "days_in_step": (now - entered_at).days if entered_at else 0,
        "target_duration_days": extra.get("target_duration_days", ""),
        "changes": list(payload.get("changes") or []),
        "context": extra,
    }


def render_notification(
    rule: Mapping[str, Any], trigger: str, context: Mapping[str, Any]
) -> tuple[str, str, str | None]:
    """(subject, body, error); a failing template falls back to the default text."""
    subject_source, body_source, problem = _template_sources(rule, trigger)
    subject, body = render(subject_source, context), render(body_source, context)
    errors = [problem] if problem else []
    if not subject.ok:
        errors.append(f"subject: {subject.error}")
    if not body.ok:
        errors.append(f"body: {body.error}")
    if subject.ok and body.ok:
        return subject.text.strip(), body.text, "; ".join(errors) or None
    fallback_subject, fallback_body = BUILT_IN_TEMPLATES["default"]
    return (
        (subject.text if subject.ok else render(fallback_subject, context).text).strip(),
        body.text if body.ok else render(fallback_body, context).text,
        "; ".join(errors),
    )


# --- recipients -------------------------------------------------------------------------------


def resolve_recipients(
    session: Session, *, tenant_id: uuid.UUID, item: Item, recipients: Iterable[Mapping[str, Any]]
) -> list[Account]:
    """The active accounts of ``tenant_id`` the recipients name, each once, in order.

    ``user``, ``account_group`` and ``role`` take an id or a name (username,
    group name, role name); names and ids are looked up in the tenant only.
    """
    return recipients_of(
        session,
        tenant_id=tenant_id,
        owner_id=item.owner_account_id,
        assignee_ids=[a for a in map(as_uuid, item.assigned_account_ids or []) if a],
        recipients=recipients,
    )


def recipients_of(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    owner_id: uuid.UUID | None,
    assignee_ids: Iterable[uuid.UUID],
    recipients: Iterable[Mapping[str, Any]],
) -> list[Account]:
    """``resolve_recipients`` for an item with this owner and these assignees (which a
    simulation knows without a stored item)."""
    wanted: list[uuid.UUID] = []
    for recipient in recipients:
        kind, ref = recipient.get("type"), recipient.get("id")
        if kind == "owner":
            if owner_id:
                wanted.append(owner_id)
        elif kind == "assignees":
            wanted.extend(assignee_ids)
        elif kind == "user" and ref:
            account_id = as_uuid(ref) or session.scalar(
                select(Account.id).where(Account.tenant_id == tenant_id, Account.username == ref)
            )
            if account_id:
                wanted.append(account_id)
        elif kind == "account_group" and ref:
            group_id = as_uuid(ref) or session.scalar(
                select(AccountGroup.id).where(
                    AccountGroup.tenant_id == tenant_id, AccountGroup.name == ref
                )
            )
            wanted.extend(
                session.scalars(
                    select(AccountGroupMember.account_id)
                    .where(
                        AccountGroupMember.tenant_id == tenant_id,
                        AccountGroupMember.group_id == group_id,
                    )
                    .order_by(AccountGroupMember.added_at, AccountGroupMember.account_id)
                )
            )
        elif kind == "role" and ref:
            role_id = as_uuid(ref) or session.scalar(
                select(Role.id).where(Role.tenant_id == tenant_id, Role.name == ref)
            )
            wanted.extend(
                session.scalars(
                    select(AccountRole.account_id)
                    .where(AccountRole.tenant_id == tenant_id, AccountRole.role_id == role_id)
                    .order_by(AccountRole.account_id)
                )
            )
    unique = list(dict.fromkeys(wanted))
    if not unique:
        return []
    active = {
        account.id: account
        for account in session.scalars(
            select(Account).where(
                Account.tenant_id == tenant_id,
                Account.id.in_(unique),
                Account.is_active.is_(True),
            )
        )
    }
    return [active[account_id] for account_id in unique if account_id in active]


def who_may_hear(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, instance_id: uuid.UUID, accounts: list[Account]
) -> list[Account]:
    """Those of ``accounts`` who may see the pipeline: nobody hears about an item of a
    pipeline they may not see (its fields may be sensitive)."""
    allowed = access.accounts_who_can_see(
        uow,
        tenant_id=tenant_id,
        instance_id=instance_id,
        account_ids=[account.id for account in accounts],
    )
    return [account for account in accounts if account.id in allowed]


# --- preferences ------------------------------------------------------------------------------


def channel_choices(preference: NotificationPreference | None) -> dict[str, dict[str, bool]]:
    """Every trigger kind's channel switches, defaults (all on) filled in."""
    stored = preference.channels if preference else {}
    return {
        kind: {channel: bool((stored.get(kind) or {}).get(channel, True)) for channel in CHANNELS}
        for kind in TRIGGER_KINDS
    }


# --- the worker side --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRow:
    """A row to insert: its table and its column values."""

    table: Any
    values: dict[str, Any]


def insert_rows(session: Session, rows: Sequence[NewRow]) -> None:
    """Inserts rows with one insert per table, in the order each table first appears
    (a history row before the rows that refer to it)."""
    by_table: dict[tuple[Any, frozenset[str]], list[dict[str, Any]]] = {}
    for row in rows:
        by_table.setdefault((row.table, frozenset(row.values)), []).append(row.values)
    for (table, _keys), values in by_table.items():
        bulk.insert_many(session, table, values)
    # Written past the ORM, so the flush cannot see them: the recipients' unread counts
    # are announced here (live badges follow them).
    recipients = {
        (row.values["tenant_id"], row.values["account_id"])
        for row in rows
        if row.table is Notification.__table__
    }
    changes.record(
        session,
        [
            changes.notifications_changed(tenant_id=tenant_id, account_id=account_id)
            for tenant_id, account_id in sorted(recipients, key=str)
        ],
    )


def _key(value: object) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class BatchReads:
    """The reads of the notifications fired together, each made once: the jobs of
    one batch often name the same recipients, and nothing they read changes while
    the batch runs (it writes only notifications, their history and email jobs)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session
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
                self.session, tenant_id=tenant_id, item=item, recipients=recipients
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
            self._preferences[key] = {
                row.account_id: row
                for row in self.session.scalars(
                    select(NotificationPreference).where(
                        NotificationPreference.tenant_id == tenant_id,
                        NotificationPreference.account_id.in_([a.id for a in accounts]),
                    )
                )
            }
        return self._preferences[key]


def notification_rows(
    session: Session,
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
    (in-app notifications, channel outcomes, email jobs), for ``insert_rows``; nothing
    is added to the session."""
    rule = payload.get("rule") or {}
    trigger = str(payload.get("trigger", ""))
    item_id = as_uuid(payload.get("item_id"))
    item = _held(session, Item, tenant_id, item_id)
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
    log_row = NewRow(NotificationLog.__table__, log)
    rows: list[NewRow] = []
    if item is None:
        log["template_error"] = "the item no longer exists; nobody was notified"
        return log_row, rows
    named = reads.named(tenant_id, item, rule.get("recipients") or [])
    accounts = reads.hearing(tenant_id, item.pipeline_instance_id, named)
    allowed_ids = {account.id for account in accounts}
    context = template_context(session, item=item, payload=payload, base_url=base_url, now=now)
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
                NotificationDelivery.__table__,
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
                        Notification.__table__,
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
                        Outbox.__table__,
                        outbox.job_values(
                            tenant_id=tenant_id,
                            kind=EMAIL_JOB,
                            payload={"log_id": str(job_id), "account_id": str(account.id)},
                            now=now,
                        ),
                    )
                )
    return log_row, rows


def _delivery(
    session: Session, tenant_id: uuid.UUID, log_id: uuid.UUID, account_id: uuid.UUID
) -> NotificationDelivery | None:
    return session.scalars(
        select(NotificationDelivery).where(
            NotificationDelivery.tenant_id == tenant_id,
            NotificationDelivery.log_id == log_id,
            NotificationDelivery.account_id == account_id,
            NotificationDelivery.channel == "email",
        )
    ).first()


def prepare_email(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, job_id: uuid.UUID, payload: Mapping[str, Any]
) -> OutgoingMail | Outcome:
    """A ``notification.email`` job, step 1: the message to send, or Done when there is none.

    The SMTP conversation (step 2) happens outside any transaction, so a slow
    server never holds a database lock; ``record_email`` is step 3.
    """
    log_id, account_id = uuid.UUID(payload["log_id"]), uuid.UUID(payload["account_id"])
    delivery = _delivery(uow.session, tenant_id, log_id, account_id)
    log = uow.session.get(NotificationLog, (tenant_id, log_id))
    account = uow.session.get(Account, (tenant_id, account_id))
    if delivery is None or log is None or account is None or delivery.status == SENT:
        return DONE
    return OutgoingMail(
        to=account.email, subject=log.subject, body=log.body, idempotency_key=str(job_id)
    )


def record_email(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    payload: Mapping[str, Any],
    status: str,
    reason: str | None,
) -> None:
    """A ``notification.email`` job, step 3: the channel's outcome (sent, failed, not sent)."""
    log_id, account_id = uuid.UUID(payload["log_id"]), uuid.UUID(payload["account_id"])
    delivery = _delivery(uow.session, tenant_id, log_id, account_id)
    if delivery is not None:
        delivery.status = status
        delivery.reason = reason
        delivery.attempts += 1
        delivery.updated_at = uow.clock.now()


def next_digest_at(now: datetime, time_zone: str) -> datetime:
    """The next 08:00 in the tenant's time zone after ``now``."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), DIGEST_LOCAL_TIME, tzinfo=zone)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), DIGEST_LOCAL_TIME, tzinfo=zone)
    return moment.astimezone(now.tzinfo)


def _schedule_digest(session: Session, preference: NotificationPreference, now: datetime) -> None:
    tenant = session.get(Tenant, preference.tenant_id)
    preference.digest_job_id = outbox.enqueue(
        session,
        tenant_id=preference.tenant_id,
        kind=DIGEST_JOB,
        payload={"account_id": str(preference.account_id)},
        now=now,
        available_at=next_digest_at(now, tenant.time_zone if tenant else "UTC"),
    )


@dataclass(frozen=True, kw_only=True)
class Digest:
    """A daily digest assembled for sending: the message and the deliveries it covers."""

    mail: OutgoingMail
    delivery_ids: tuple[uuid.UUID, ...]


def prepare_digest(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, job_id: uuid.UUID, payload: Mapping[str, Any]
) -> Digest | Outcome:
    """A ``notification.digest`` job, step 1: one email listing the queued notifications.

    A job of an older chain (the account turned the digest off and on again)
    just ends (Done).
    """
    account_id = uuid.UUID(payload["account_id"])
    session = uow.session
    preference = session.get(NotificationPreference, (tenant_id, account_id))
    account = session.get(Account, (tenant_id, account_id))
    if (
        preference is None
        or account is None
        or preference.email_digest != "daily"
        or preference.digest_job_id != job_id
    ):
        return DONE
    queued = session.execute(
        select(NotificationDelivery.id, NotificationLog.subject, NotificationLog.item_id)
        .join(
            NotificationLog,
            (NotificationLog.tenant_id == NotificationDelivery.tenant_id)
            & (NotificationLog.id == NotificationDelivery.log_id),
        )
        .where(
            NotificationDelivery.tenant_id == tenant_id,
            NotificationDelivery.account_id == account_id,
            NotificationDelivery.channel == "email",
            NotificationDelivery.status == DIGEST,
        )
        .order_by(NotificationLog.created_at)
    ).all()
    lines = [f"- {row.subject}" for row in queued]
    return Digest(
        mail=OutgoingMail(
            to=account.email,
            subject=f"PaceTrack daily digest: {len(queued)} notifications",
            body="Your notifications since the last digest:\n\n" + "\n".join(lines),
            idempotency_key=str(job_id),
        ),
        delivery_ids=tuple(row.id for row in queued),
    )


def record_digest(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    payload: Mapping[str, Any],
    digest: Digest,
    status: str,
    reason: str,
) -> Outcome:
    """A ``notification.digest`` job, step 3: the covered deliveries' status, the next day's job."""
    account_id = uuid.UUID(payload["account_id"])
    session = uow.session
    now = uow.clock.now()
    if digest.delivery_ids:
        session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.tenant_id == tenant_id,
                NotificationDelivery.id.in_(list(digest.delivery_ids)),
            )
            .values(status=status, reason=reason, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    preference = session.get(NotificationPreference, (tenant_id, account_id))
    if preference is not None:
        preference.digest_sent_through = now
        _schedule_digest(session, preference, now)
    return DONE


# --- the API side -----------------------------------------------------------------------------


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    item_id: uuid.UUID | None
    trigger: str
    subject: str
    body: str
    url: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    notifications: list[NotificationOut]
    total: int
    unread: int
    limit: int
    offset: int


class MarkRead(BaseModel):
    """Either ``ids`` (those notifications) or ``all: true`` (every unread one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["ids"],
                    "properties": {"ids": {"type": "array"}, "all": {"const": False}},
                },
                {
                    "required": ["all"],
                    "properties": {"all": {"const": True}, "ids": {"type": "null"}},
                },
            ]
        },
    )
    ids: list[uuid.UUID] | None = Field(default=None, max_length=1000)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> MarkRead:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either `ids` or `all: true`")
        return self


class MarkReadOut(BaseModel):
    updated: int


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


class ChannelOutcome(BaseModel):
    account_id: uuid.UUID
    channel: str
    status: str
    reason: str | None
    attempts: int
    updated_at: datetime


class HistoryEntry(BaseModel):
    id: uuid.UUID
    item_id: uuid.UUID | None
    step_id: uuid.UUID | None
    rule_id: str
    trigger: str
    template: str | None
    subject: str
    template_error: str | None
    recipients: list[uuid.UUID]
    outcomes: list[ChannelOutcome]
    triggered_at: datetime
    created_at: datetime


def _own_account(actor: Actor) -> uuid.UUID:
    if actor.account_id is None:
        raise InvalidInput.one("account", "notifications belong to an account")
    return actor.account_id


def list_notifications(
    uow: UnitOfWork, actor: Actor, *, unread: bool = False, limit: int = 50, offset: int = 0
) -> NotificationPage:
    account_id = _own_account(actor)
    base = select(Notification).where(
        Notification.tenant_id == actor.tenant_id, Notification.account_id == account_id
    )
    unread_filter = Notification.read_at.is_(None)
    session = uow.session
    count = select(func.count()).select_from(base.subquery())
    unread_count = select(func.count()).select_from(base.where(unread_filter).subquery())
    listed = base.where(unread_filter) if unread else base
    rows = session.scalars(
        listed.order_by(Notification.created_at.desc(), Notification.id).limit(limit).offset(offset)
    ).all()
    return NotificationPage(
        notifications=[NotificationOut.model_validate(row) for row in rows],
        total=int(session.scalar(count) or 0),
        unread=int(session.scalar(unread_count) or 0),
        limit=limit,
        offset=offset,
    )


def mark_read(uow: UnitOfWork, actor: Actor, command: MarkRead) -> MarkReadOut:
    account_id = _own_account(actor)
    statement = update(Notification).where(
        Notification.tenant_id == actor.tenant_id,
        Notification.account_id == account_id,
        Notification.read_at.is_(None),
    )
    if command.ids is not None:
        statement = statement.where(Notification.id.in_(command.ids))
    result = uow.session.execute(
        statement.values(read_at=uow.clock.now()).execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        changes.record(
            uow.session,
            [changes.notifications_changed(tenant_id=actor.tenant_id, account_id=account_id)],
        )
    uow.commit()
    return MarkReadOut(updated=int(result.rowcount))  # type: ignore[attr-defined]


def _preferences_out(preference: NotificationPreference | None) -> PreferencesOut:
    return PreferencesOut(
        channels=channel_choices(preference),
        email_digest=preference.email_digest if preference else "off",
    )


def get_preferences(uow: UnitOfWork, actor: Actor) -> PreferencesOut:
    account_id = _own_account(actor)
    return _preferences_out(uow.session.get(NotificationPreference, (actor.tenant_id, account_id)))


def set_preferences(uow: UnitOfWork, actor: Actor, command: PreferencesIn) -> PreferencesOut:
    account_id = _own_account(actor)
    session = uow.session
    now = uow.clock.now()
    preference = session.get(NotificationPreference, (actor.tenant_id, account_id))
    if preference is None:
        preference = NotificationPreference(
            tenant_id=actor.tenant_id,
            account_id=account_id,
            channels={},
            email_digest="off",
            updated_at=now,
        )
        session.add(preference)
    channels = {kind: dict(value) for kind, value in (preference.channels or {}).items()}
    for kind, switches in command.channels.items():
        for channel, value in switches.model_dump(exclude_none=True).items():
            channels.setdefault(kind, {})[channel] = value
    preference.channels = channels
    if command.email_digest is not None and command.email_digest != preference.email_digest:
        preference.email_digest = command.email_digest
        if command.email_digest == "daily":
            preference.digest_sent_through = now
            _schedule_digest(session, preference, now)
        else:
            preference.digest_job_id = None
    preference.updated_at = now
    uow.commit()
    return _preferences_out(preference)


def history(
    uow: UnitOfWork, actor: Actor, *, item_id: uuid.UUID | None = None, limit: int = 100
) -> list[HistoryEntry]:
    """Every notification (of one item, when given) with its channel outcomes; admins only."""
    actor.require_admin("read the notification history")
    session = uow.session
    statement = select(NotificationLog).where(NotificationLog.tenant_id == actor.tenant_id)
    if item_id is not None:
        if session.get(Item, (actor.tenant_id, item_id)) is None:
            raise NotFound("The item does not exist.")
        statement = statement.where(NotificationLog.item_id == item_id)
    logs: Sequence[NotificationLog] = session.scalars(
        statement.order_by(NotificationLog.created_at.desc(), NotificationLog.id).limit(limit)
    ).all()
    outcomes: dict[uuid.UUID, list[ChannelOutcome]] = {log.id: [] for log in logs}
    if logs:
        for row in session.scalars(
            select(NotificationDelivery)
            .where(
                NotificationDelivery.tenant_id == actor.tenant_id,
                NotificationDelivery.log_id.in_(list(outcomes)),
            )
            .order_by(NotificationDelivery.account_id, NotificationDelivery.channel)
        ):
            outcomes[row.log_id].append(
                ChannelOutcome(
                    account_id=row.account_id,
                    channel=row.channel,
                    status=row.status,
                    reason=row.reason,
                    attempts=row.attempts,
                    updated_at=row.updated_at,
                )
            )
    return [
        HistoryEntry(
            id=log.id,
            item_id=log.item_id,
            step_id=log.step_id,
            rule_id=log.rule_id,
            trigger=log.trigger,
            template=log.template,
            subject=log.subject,
            template_error=log.template_error,
            recipients=[uuid.UUID(r) for r in log.recipients],
            outcomes=outcomes[log.id],
            triggered_at=log.triggered_at,
            created_at=log.created_at,
        )
        for log in logs
    ]
