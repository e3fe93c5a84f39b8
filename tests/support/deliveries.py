"""Webhook deliveries queued straight into the outbox, for crash tests and benchmarks."""

from __future__ import annotations

import json
import uuid

from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.tables import Tenant
from pacetrack.services import webhooks
from pacetrack.services.tenants import create_tenant


def queue_deliveries(
    container: Container, receiver_url: str, count: int, *, rate_limit_per_second: float = 1000
) -> list[uuid.UUID]:
    """A new tenant allowed to reach loopback, one endpoint at ``receiver_url``/<slug>, and
    ``count`` deliveries to it whose bodies are numbered ``{"data": {"n": 0..count-1}}``;
    returns the job ids, which are the deliveries' ``webhook-id``."""
    with container.uow() as uow:
        slug = f"hooks-{uuid.uuid4().hex[:8]}"
        tenant = create_tenant(uow, name=slug, slug=slug)
    with container.uow() as uow:
        row = uow.session.get(Tenant, tenant.id)
        assert row is not None
        row.webhook_allow_list = ["127.0.0.0/8"]
        endpoint = webhooks.new_endpoint(
            uow.session,
            tenant_id=tenant.id,
            url=f"{receiver_url}/{slug}",
            now=uow.clock.now(),
            owner_account_id=None,
            rate_limit_per_second=rate_limit_per_second,
        )
        ids = [
            outbox.enqueue(
                uow.session,
                tenant_id=tenant.id,
                kind=webhooks.WEBHOOK_JOB,
                payload=webhooks.delivery_payload(
                    endpoint_id=endpoint.id,
                    run_id=None,
                    body=json.dumps({"type": "bench", "data": {"n": n}}),
                    headers={},
                ),
                now=uow.clock.now(),
            )
            for n in range(count)
        ]
        uow.commit()
    return ids
