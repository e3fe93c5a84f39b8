"""Worker handlers for automation runs (``automation.run``) and webhook deliveries."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from pacetrack.db.outbox import Job
from pacetrack.services import automations, webhooks
from pacetrack.services.side_effects import AUTOMATION_JOB

if TYPE_CHECKING:
    from pacetrack.worker.handlers import Handler, JobContext


def run_automation(job: Job, context: JobContext) -> None:
    automations.run_automation(
        context.container.uow,
        tenant_id=job.tenant_id,
        job_id=job.id,
        payload=job.payload,
        settle=context.settle,
        base_url=context.container.settings.base_url,
    )


def delivery_handler(
    *,
    timeout_seconds: float = webhooks.DEFAULT_TIMEOUT_SECONDS,
    rng: Callable[[], float] = random.random,
) -> Handler:
    """The ``webhook.deliver`` handler; tests shorten the timeout and fix the jitter."""

    def deliver(job: Job, context: JobContext) -> None:
        webhooks.perform_delivery(
            context.container.uow,
            tenant_id=job.tenant_id,
            delivery_id=job.id,
            payload=job.payload,
            job=context,
            rng=rng,
            timeout_seconds=timeout_seconds,
        )

    return deliver


def handlers() -> dict[str, Handler]:
    return {AUTOMATION_JOB: run_automation, webhooks.WEBHOOK_JOB: delivery_handler()}
