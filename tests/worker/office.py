"""A tenant whose people call the HTTP API with tokens, for notification tests on the real path.

Items are created, changed and moved through ``/api/item/*`` (so the move
service writes the history and records the side effects); the worker is driven
in-process with the injected clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.adapters.smtp import SmtpConfig, SmtpMailer
from pacetrack.bootstrap import Container
from pacetrack.services.tenants import AccountSpec, create_account_with_token, create_tenant
from pacetrack.worker import Worker
from tests.conftest import Login
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields

PEOPLE: dict[str, list[str]] = {
    "ada": ["admin"],
    "owner": ["member"],
    "vp_sales": ["manager"],
    "sales_manager": ["manager"],
    "physician_1": ["physician"],
    "physician_2": ["physician"],
}


@dataclass
class Office:
    client: TestClient
    container: Container
    clock: FrozenClock
    logins: dict[str, Login] = field(default_factory=dict)
    pipeline: Pipeline | None = None
    mailer: SmtpMailer | None = None

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.logins["ada"].tenant_id

    def id(self, username: str) -> uuid.UUID:
        return self.logins[username].account_id

    def headers(self, username: str = "ada") -> dict[str, str]:
        return self.logins[username].headers

    def use_smtp(self, port: int) -> None:
        self.mailer = SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, tls="none"))

    def build(self, steps: Sequence[StepDef]) -> Pipeline:
        self.pipeline = build_pipeline(self.container, self.tenant_id, steps, name="Pipeline")
        return self.pipeline

    def step(self, name: str) -> str:
        assert self.pipeline is not None
        return str(self.pipeline.step(name))

    # --- items over HTTP ------------------------------------------------------------------

    def create(self, name: str, *, owner: str = "owner", **values: Any) -> str:
        assert self.pipeline is not None
        response = self.client.post(
            "/api/item/create",
            json={
                "pipeline_instance_id": str(self.pipeline.instance_id),
                "name": name,
                "field_values": values,
                "owner_account_id": str(self.id(owner)),
            },
            headers=self.headers(),
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def move(self, item_id: str, step: str) -> None:
        response = self.client.post(
            "/api/item/move-to-step",
            json={"id": item_id, "step_id": self.step(step)},
            headers=self.headers(),
        )
        assert response.status_code == 200, response.text

    def update(self, item_id: str, **values: Any) -> None:
        response = self.client.post(
            "/api/item/update-fields",
            json={"id": item_id, "field_values": values},
            headers=self.headers(),
        )
        assert response.status_code == 200, response.text

    def assign(self, item_id: str, *usernames: str) -> None:
        response = self.client.post(
            "/api/item/assign",
            json={
                "id": item_id,
                "mode": "replace",
                "account_ids": [str(self.id(u)) for u in usernames],
            },
            headers=self.headers(),
        )
        assert response.status_code == 200, response.text

    # --- time, the worker and notifications -----------------------------------------------

    def work(self) -> None:
        Worker(self.container, mailer=self.mailer).drain()

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.work()

    def inbox(self, username: str, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get(
            "/api/notification/list",
            params={"limit": 200, **params},
            headers=self.headers(username),
        )
        assert response.status_code == 200, response.text
        return list(response.json()["notifications"])

    def preferences(self, username: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(
            "/api/notification/preferences", json=body, headers=self.headers(username)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def history(self, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get(
            "/api/notification/history", params=params, headers=self.headers()
        )
        assert response.status_code == 200, response.text
        return list(response.json())


def open_office(
    container: Container,
    client: TestClient,
    clock: FrozenClock,
    *,
    slug: str = "office",
    fields: Sequence[FieldDef] = (FieldDef(name="deal_value", field_type="currency"),),
) -> Office:
    container.caches.clear()
    office = Office(client=client, container=container, clock=clock)
    with container.uow() as uow:
        create_tenant(uow, name=slug.title(), slug=slug)
    for username, roles in PEOPLE.items():
        # A token and no password: hashing passwords would dominate the test time.
        with container.uow() as uow:
            account, token = create_account_with_token(
                uow,
                tenant_slug=slug,
                spec=AccountSpec(
                    email=f"{username}@{slug}.example", username=username, roles=roles
                ),
                token_ttl=None,
            )
        office.logins[username] = Login(
            tenant_id=token.tenant_id, tenant_slug=slug, account_id=account.id, token=token.token
        )
    define_fields(container, office.tenant_id, fields)
    return office
