"""The handler registry: which function performs each kind of outbox job.

A handler is ``handler(job, context) -> None``. It performs the job and ends
it in the same transaction as its own writes, before committing, with one of
``context.settle(session)`` (done), ``context.retry_at(session, when, reason)``
(run again at a chosen time, e.g. a webhook's backoff or ``Retry-After``) or
``context.bury(session, reason)`` (dead until re-run). Each returns False when
the worker lost the job's lease; the handler must then not commit. A handler
that returns without settling has its job marked done by the worker. Raising
an exception fails the attempt: the job is retried with the worker's backoff,
and after ``worker_max_attempts`` it is dead.

Handlers must tolerate running more than once for the same job (the outbox
delivers at least once); the job id is the idempotency key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from pacetrack.adapters.smtp import SmtpMailer
from pacetrack.bootstrap import Container
from pacetrack.db.outbox import Job
from pacetrack.services import notifications
from pacetrack.services.side_effects import NOTIFICATION_JOB
from pacetrack.worker import automation_handlers


@dataclass(kw_only=True)
class JobContext:
    """What a handler gets besides its job: the wiring, and the job's settlement calls.

    ``settlement`` is the worker's outbox access for this job (the only code
    that changes the job's row); the three methods below apply it in the
    handler's transaction.
    """

    container: Container
    mailer: SmtpMailer | None
    settlement: JobOutbox
    settled: bool = False
    cancelled: threading.Event = field(default_factory=threading.Event)

    def settle(self, session: Session) -> bool:
        """Marks the job done in ``session``'s transaction; False when the lease is lost."""
        self.settled = self.settlement.complete(session)
        return self.settled

    def retry_at(self, session: Session, when: datetime, reason: str) -> bool:
        """Puts the job back to run at ``when``; False when the lease is lost."""
        self.settled = self.settlement.retry_at(session, when, reason)
        return self.settled

    def bury(self, session: Session, reason: str) -> bool:
        """Gives the job up (dead, visible until re-run); False when the lease is lost."""
        self.settled = self.settlement.bury(session, reason)
        return self.settled


@dataclass(frozen=True, kw_only=True)
class JobOutbox:
    """The outbox calls that settle one claimed job, bound to the worker holding it."""

    complete: Callable[[Session], bool]
    retry_at: Callable[[Session, datetime, str], bool]
    bury: Callable[[Session, str], bool]


Handler = Callable[[Job, JobContext], None]


def fire_notification(job: Job, context: JobContext) -> None:
    settings = context.container.settings
    with context.container.uow() as uow:
        notifications.fire_notification(
            uow,
            tenant_id=job.tenant_id,
            job_id=job.id,
            payload=job.payload,
            base_url=settings.base_url,
            email_enabled=context.mailer is not None,
            settle=context.settle,
        )


def deliver_email(job: Job, context: JobContext) -> None:
    notifications.deliver_email(
        context.container.uow,
        tenant_id=job.tenant_id,
        job_id=job.id,
        payload=job.payload,
        mailer=context.mailer,
        settle=context.settle,
    )


def send_digest(job: Job, context: JobContext) -> None:
    notifications.send_digest(
        context.container.uow,
        tenant_id=job.tenant_id,
        job_id=job.id,
        payload=job.payload,
        mailer=context.mailer,
        settle=context.settle,
    )


def default_handlers() -> dict[str, Handler]:
    """The built-in kinds. Other areas add theirs (e.g. ``automation.run``) to this dict."""
    return {
        NOTIFICATION_JOB: fire_notification,
        notifications.EMAIL_JOB: deliver_email,
        notifications.DIGEST_JOB: send_digest,
        **automation_handlers.handlers(),
    }


HANDLERS: Mapping[str, Handler] = default_handlers()
