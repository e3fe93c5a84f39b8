"""The handler registry: which handler performs each kind of outbox job.

The contract every handler follows is in ``worker.contract``. Notification
firing and automation runs are database jobs (performed in batches); email,
the daily digest and webhook deliveries are network jobs. Notification firing
also has a set-wise form (``SET_HANDLERS``) for the jobs of one batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pacetrack.adapters.smtp import MailError, OutgoingMail
from pacetrack.db.outbox import Job
from pacetrack.engine.retry_policy import DONE, Outcome
from pacetrack.services import notifications
from pacetrack.services.side_effects import NOTIFICATION_JOB
from pacetrack.worker import automation_handlers
from pacetrack.worker.contract import AnyHandler, BatchUnit, Clients, JobUnit, SetHandler

SMTP_ENDPOINT = "smtp"
"""Every email goes through the one SMTP server: one endpoint for the concurrency bound."""


def fire_notification(unit: JobUnit, job: Job) -> Outcome:
    """One ``notification.fire`` job: the set-wise form with a batch of one, so both
    paths decide recipients, channels and email jobs with the same code."""
    fire_notifications(unit, [job])
    return DONE


def fire_notifications(unit: BatchUnit, jobs: Sequence[Job]) -> None:
    notifications.fire_notifications(
        unit,
        jobs,
        base_url=unit.settings.base_url,
        email_enabled=unit.clients.mailer is not None,
        repeats_fail=unit.optimistic,
    )


@dataclass(frozen=True)
class MailResult:
    """What the SMTP server made of one message."""

    status: str
    reason: str | None = None
    error: str | None = None
    """Set when the server could not take the message: the attempt failed."""


async def _send_mail(mail: OutgoingMail, clients: Clients) -> MailResult:
    if clients.mailer is None:
        return MailResult(notifications.NOT_SENT, "no SMTP server is configured")
    try:
        # smtplib blocks; the mailer's one connection takes one message at a time.
        await asyncio.to_thread(clients.mailer.send, mail)
    except MailError as exc:
        return MailResult(notifications.FAILED, str(exc), error=f"MailError: {exc}")
    return MailResult(notifications.SENT)


class EmailDelivery:
    """``notification.email``: one message over SMTP, its outcome in the history."""

    def prepare(self, unit: JobUnit, job: Job) -> OutgoingMail | Outcome:
        return notifications.prepare_email(
            unit, tenant_id=job.tenant_id, job_id=job.id, payload=job.payload
        )

    def endpoint(self, job: Job) -> str:
        return SMTP_ENDPOINT

    async def send(self, prepared: OutgoingMail, clients: Clients) -> MailResult:
        return await _send_mail(prepared, clients)

    def record(
        self, unit: JobUnit, job: Job, prepared: OutgoingMail, result: MailResult
    ) -> Outcome:
        notifications.record_email(
            unit,
            tenant_id=job.tenant_id,
            payload=job.payload,
            status=result.status,
            reason=result.reason,
        )
        return DONE if result.error is None else unit.failed(result.error)


class DigestDelivery:
    """``notification.digest``: the daily digest email, then the next day's job."""

    def prepare(self, unit: JobUnit, job: Job) -> notifications.Digest | Outcome:
        return notifications.prepare_digest(
            unit, tenant_id=job.tenant_id, job_id=job.id, payload=job.payload
        )

    def endpoint(self, job: Job) -> str:
        return SMTP_ENDPOINT

    async def send(self, prepared: notifications.Digest, clients: Clients) -> MailResult:
        if not prepared.delivery_ids:
            return MailResult(notifications.SENT, "in the daily digest")
        result = await _send_mail(prepared.mail, clients)
        if result.status == notifications.SENT:
            return MailResult(notifications.SENT, "in the daily digest")
        return result

    def record(
        self, unit: JobUnit, job: Job, prepared: notifications.Digest, result: MailResult
    ) -> Outcome:
        if result.error is not None:
            # Nothing recorded: the queued notifications wait for the retry.
            return unit.failed(result.error)
        return notifications.record_digest(
            unit,
            tenant_id=job.tenant_id,
            payload=job.payload,
            digest=prepared,
            status=result.status,
            reason=result.reason or "",
        )


def default_handlers() -> dict[str, AnyHandler]:
    """The built-in kinds. Other areas add theirs (e.g. ``automation.run``) to this dict."""
    return {
        NOTIFICATION_JOB: fire_notification,
        notifications.EMAIL_JOB: EmailDelivery(),
        notifications.DIGEST_JOB: DigestDelivery(),
        **automation_handlers.handlers(),
    }


HANDLERS: Mapping[str, AnyHandler] = default_handlers()

SET_HANDLERS: Mapping[object, SetHandler] = {fire_notification: fire_notifications}
"""The set-wise form of a database job's handler, by that handler: a worker given
another handler for the kind (tests, other areas) performs its jobs one by one."""
