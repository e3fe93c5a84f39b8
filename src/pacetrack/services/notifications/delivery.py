"""Email delivery: one ``notification.email`` job per message, and the daily digest
(one ``notification.digest`` job per account, each scheduling the next).

Each job is prepared in one transaction, sent over SMTP outside any (a slow server
never holds a database lock), and its outcome recorded in another.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pacetrack.adapters.smtp import OutgoingMail
from pacetrack.db.tables_delivery import NotificationPreference
from pacetrack.engine.retry_policy import DONE, Outcome
from pacetrack.services.notifications.channels import DIGEST, DIGEST_JOB, SENT
from pacetrack.services.unit_of_work import UnitOfWork

DIGEST_LOCAL_TIME = time(8, 0)
"""Daily digests go out at 08:00 in the tenant's time zone."""


def prepare_email(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, job_id: uuid.UUID, payload: Mapping[str, Any]
) -> OutgoingMail | Outcome:
    """A ``notification.email`` job, step 1: the message to send, or Done when there is none.

    The SMTP conversation (step 2) happens outside any transaction, so a slow
    server never holds a database lock; ``record_email`` is step 3.
    """
    log_id, account_id = uuid.UUID(payload["log_id"]), uuid.UUID(payload["account_id"])
    delivery = uow.notifications.email_outcome(tenant_id, log_id, account_id)
    log = uow.notifications.log(tenant_id, log_id)
    account = uow.recipients.account(tenant_id, account_id)
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
    delivery = uow.notifications.email_outcome(tenant_id, log_id, account_id)
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


def schedule_digest(uow: UnitOfWork, preference: NotificationPreference, now: datetime) -> None:
    """Queues the account's next digest (at the next 08:00 of its tenant) as the one job
    of its chain: a job of an older chain finds another id here and ends."""
    tenant = uow.tenants.get(preference.tenant_id)
    preference.digest_job_id = uow.outbox.enqueue(
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
    preference = uow.notifications.preference(tenant_id, account_id)
    account = uow.recipients.account(tenant_id, account_id)
    if (
        preference is None
        or account is None
        or preference.email_digest != "daily"
        or preference.digest_job_id != job_id
    ):
        return DONE
    queued = uow.notifications.queued_for_digest(tenant_id, account_id, status=DIGEST)
    lines = [f"- {entry.subject}" for entry in queued]
    return Digest(
        mail=OutgoingMail(
            to=account.email,
            subject=f"PaceTrack daily digest: {len(queued)} notifications",
            body="Your notifications since the last digest:\n\n" + "\n".join(lines),
            idempotency_key=str(job_id),
        ),
        delivery_ids=tuple(entry.delivery_id for entry in queued),
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
    now = uow.clock.now()
    uow.notifications.set_outcomes(
        tenant_id, digest.delivery_ids, status=status, reason=reason, at=now
    )
    preference = uow.notifications.preference(tenant_id, account_id)
    if preference is not None:
        preference.digest_sent_through = now
        schedule_digest(uow, preference, now)
    return DONE
