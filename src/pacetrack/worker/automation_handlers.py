"""Worker handlers for automation runs (``automation.run``) and webhook deliveries."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pacetrack.db.outbox import Job
from pacetrack.engine.delivery_policy import RandomSource
from pacetrack.engine.retry_policy import Outcome
from pacetrack.services import automations, webhooks
from pacetrack.services.side_effects import AUTOMATION_JOB
from pacetrack.worker.contract import AnyHandler, Clients, JobUnit


def run_automation(unit: JobUnit, job: Job) -> Outcome:
    return automations.run_automation(
        unit,
        tenant_id=job.tenant_id,
        job_id=job.id,
        payload=job.payload,
        base_url=unit.settings.base_url,
    )


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery:
    """``webhook.deliver``; tests shorten the timeout and fix the jitter. The OAuth
    tokens of the endpoints come from the worker's ``Clients`` (the Container's caches)."""

    timeout_seconds: float = webhooks.DEFAULT_TIMEOUT_SECONDS
    rng: RandomSource = field(default=random.random)

    def prepare(self, unit: JobUnit, job: Job) -> webhooks.PreparedDelivery | Outcome:
        return webhooks.prepare_delivery(
            unit,
            tenant_id=job.tenant_id,
            delivery_id=job.id,
            payload=job.payload,
            timeout_seconds=self.timeout_seconds,
            together=[
                other.id
                for other in unit.together
                if other.kind == job.kind and other.tenant_id == job.tenant_id
            ],
        )

    def endpoint(self, job: Job) -> str:
        return f"webhook:{job.tenant_id}:{job.payload.get('endpoint_id')}"

    async def send(
        self, prepared: webhooks.PreparedDelivery, clients: Clients
    ) -> webhooks.SendResult:
        if clients.http is None:
            raise RuntimeError("the worker has no HTTP client")
        return await webhooks.send_prepared(clients.http, clients.tokens, prepared)

    def record(
        self,
        unit: JobUnit,
        job: Job,
        prepared: webhooks.PreparedDelivery,
        result: webhooks.SendResult,
    ) -> Outcome:
        return webhooks.record_delivery(
            unit,
            tenant_id=job.tenant_id,
            delivery_id=job.id,
            payload=job.payload,
            prepared=prepared,
            result=result,
            rng=self.rng,
        )


def delivery_handler(
    *,
    timeout_seconds: float = webhooks.DEFAULT_TIMEOUT_SECONDS,
    rng: RandomSource = random.random,
) -> WebhookDelivery:
    """The ``webhook.deliver`` handler; tests shorten the timeout and fix the jitter."""
    return WebhookDelivery(timeout_seconds=timeout_seconds, rng=rng)


def handlers() -> dict[str, AnyHandler]:
    return {AUTOMATION_JOB: run_automation, webhooks.WEBHOOK_JOB: delivery_handler()}
