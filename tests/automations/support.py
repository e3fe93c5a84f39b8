"""A tenant with pipelines, a loopback receiver it may reach, and an in-process worker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Tenant
from pacetrack.db.tables_automations import AutomationRun, DeliveryAttempt, WebhookEndpoint
from pacetrack.db.tables_delivery import Outbox
from pacetrack.services import webhooks
from pacetrack.worker import HANDLERS, Worker
from pacetrack.worker.automation_handlers import delivery_handler
from tests.conftest import Login
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields
from tests.support.webhook_receiver import WebhookReceiver

LOOPBACK = ["127.0.0.0/8"]


def allow(container: Container, tenant_id: uuid.UUID, entries: Sequence[str]) -> None:
    with container.uow() as uow:
        tenant = uow.session.get(Tenant, tenant_id)
        assert tenant is not None
        tenant.webhook_allow_list = list(entries)
        uow.commit()


def make_worker(container: Container, *, timeout_seconds: float = 1.0) -> Worker:
    handlers = dict(HANDLERS)
    handlers[webhooks.WEBHOOK_JOB] = delivery_handler(
        timeout_seconds=timeout_seconds, rng=lambda: 0.5
    )
    return Worker(container, handlers=handlers, mailer=None, rng=lambda: 0.5)


@dataclass
class Scene:
    """The acme tenant's admin, an API client, the receiver and a worker."""

    container: Container
    client: TestClient
    admin: Login
    receiver: WebhookReceiver
    clock: FrozenClock
    worker: Worker

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.admin.tenant_id

    def url(self, path: str = "/hook") -> str:
        return self.receiver.url + path

    def pipeline(
        self, steps: Sequence[StepDef], *, name: str = "Pipeline", fields: Sequence[FieldDef] = ()
    ) -> Pipeline:
        if fields:
            define_fields(self.container, self.tenant_id, fields)
        self.container.caches.clear()
        return build_pipeline(
            self.container, self.tenant_id, steps, name=name, owner_id=self.admin.account_id
        )

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, headers=self.admin.headers, **kwargs)
        assert response.status_code < 300, (response.status_code, response.text)
        return response.json() if response.content else None

    def create_item(self, pipeline: Pipeline, name: str, **values: Any) -> dict[str, Any]:
        return self.api(  # type: ignore[no-any-return]
            "POST",
            "/api/item/create",
            json={
                "pipeline_instance_id": str(pipeline.instance_id),
                "name": name,
                "field_values": values,
            },
        )

    def move(self, item_id: str, step_id: uuid.UUID) -> dict[str, Any]:
        return self.api(  # type: ignore[no-any-return]
            "POST", "/api/item/move-to-step", json={"id": item_id, "step_id": str(step_id)}
        )

    def endpoint(self, url: str, **extra: Any) -> dict[str, Any]:
        return self.api(  # type: ignore[no-any-return]
            "POST", "/api/webhook-endpoint/create", json={"url": url, **extra}
        )

    def drain(self) -> int:
        return self.worker.drain()

    def advance_to_next_delivery(self) -> None:
        """Moves the clock to the moment the earliest waiting job is due."""
        with self.container.uow() as uow:
            due = uow.session.scalar(
                select(Outbox.available_at)
                .where(Outbox.status == "pending")
                .order_by(Outbox.available_at)
                .limit(1)
            )
        assert due is not None, "nothing is waiting"
        if due > self.clock.now():
            self.clock.advance(due - self.clock.now())

    def runs(self, **where: Any) -> list[AutomationRun]:
        with self.container.uow() as uow:
            statement = select(AutomationRun).where(AutomationRun.tenant_id == self.tenant_id)
            for key, value in where.items():
                statement = statement.where(getattr(AutomationRun, key) == value)
            rows = list(uow.session.scalars(statement.order_by(AutomationRun.created_at)))
            uow.session.expunge_all()
            return rows

    def attempts(self, delivery_id: uuid.UUID) -> list[DeliveryAttempt]:
        with self.container.uow() as uow:
            rows = list(
                uow.session.scalars(
                    select(DeliveryAttempt)
                    .where(
                        DeliveryAttempt.tenant_id == self.tenant_id,
                        DeliveryAttempt.delivery_id == delivery_id,
                    )
                    .order_by(DeliveryAttempt.attempt)
                )
            )
            uow.session.expunge_all()
            return rows

    def endpoint_row(self, endpoint_id: str) -> WebhookEndpoint:
        with self.container.uow() as uow:
            row = uow.session.get(WebhookEndpoint, (self.tenant_id, uuid.UUID(endpoint_id)))
            assert row is not None
            uow.session.expunge_all()
            return row

    def job(self, job_id: uuid.UUID) -> Outbox:
        with self.container.uow() as uow:
            row = uow.session.get(Outbox, (self.tenant_id, job_id))
            assert row is not None
            uow.session.expunge_all()
            return row


def webhook_step(
    name: str, rule_id: str, target: str, data: Mapping[str, Any], **more: Any
) -> StepDef:
    return StepDef(
        name=name,
        config={
            "automations": [
                {
                    "id": rule_id,
                    "trigger": "on_enter",
                    "action": {"type": "webhook", "target": target, "data": dict(data)},
                    **more,
                }
            ]
        },
    )


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture(name="scene")
def scene_fixture(
    container: Container,
    client: TestClient,
    admin: Login,
    receiver: WebhookReceiver,
    clock: FrozenClock,
) -> Scene:
    """The acme tenant (loopback allow-listed), its admin, the receiver and a worker."""
    allow(container, admin.tenant_id, LOOPBACK)
    # Receivers (and the standardwebhooks verifier) compare webhook-timestamp with real time.
    clock.set(datetime.now(UTC).replace(microsecond=0))
    return Scene(
        container=container,
        client=client,
        admin=admin,
        receiver=receiver,
        clock=clock,
        worker=make_worker(container),
    )
