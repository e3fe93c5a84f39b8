"""A fresh tenant with the demo people, groups and roles, for the end-to-end use-case journeys.

The people come from ``pacetrack.cli.demo`` (usernames, groups, roles); each gets
a bearer token instead of a password so seeding stays fast. A journey imports
one library template through the HTTP API, starts a pipeline from it and then
drives items with the tokens of the people the use case names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.cli.demo import ADMIN_USERNAME, GROUPS, USERNAMES, roles_of
from pacetrack.services.context import ADMIN, MEMBER, system_actor
from pacetrack.services.people import account_groups
from pacetrack.services.people.account_groups import GroupCreate
from pacetrack.services.template_transfer import library_documents
from pacetrack.services.tenants import AccountSpec, create_account_with_token, create_tenant
from pacetrack.worker import Worker

SLUG = "usecase"


@dataclass
class Journey:
    """The demo people of one tenant and the pipeline a use case runs on."""

    client: TestClient
    container: Container
    clock: FrozenClock
    tenant_id: uuid.UUID
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    steps: dict[str, uuid.UUID] = field(default_factory=dict)
    instance_id: uuid.UUID | None = None
    instances: dict[str, uuid.UUID] = field(default_factory=dict)

    def headers(self, username: str = ADMIN_USERNAME) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def username(self, account_id: str | uuid.UUID) -> str:
        wanted = uuid.UUID(str(account_id))
        return next(name for name, known in self.ids.items() if known == wanted)

    def usernames(self, account_ids: list[str]) -> list[str]:
        return sorted(self.username(account_id) for account_id in account_ids)

    # --- building the pipeline ------------------------------------------------------------

    def start(self, library_key: str, *, instance_name: str | None = None) -> uuid.UUID:
        """Imports a library template over HTTP and starts a pipeline instance from it."""
        imported = self.client.post(
            "/api/pipeline-template/import",
            json={"document": library_documents()[library_key]},
            headers=self.headers(),
        )
        assert imported.status_code == 201, imported.text
        template = imported.json()
        created = self.client.post(
            "/api/pipeline-instance/create",
            json={
                "pipeline_template_id": template["id"],
                "name": instance_name or template["name"],
            },
            headers=self.headers(),
        )
        assert created.status_code == 201, created.text
        instance = created.json()
        instance_id = uuid.UUID(instance["id"])
        self.instances[library_key] = instance_id
        if self.instance_id is None:
            self.instance_id = instance_id
            self.steps = {step["name"]: uuid.UUID(step["id"]) for step in instance["steps"]}
        return instance_id

    # --- items over HTTP ------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        as_: str = ADMIN_USERNAME,
        step: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> Any:
        body: dict[str, Any] = {
            "pipeline_instance_id": str(self.instance_id),
            "name": name,
            "field_values": values or {},
        }
        if step is not None:
            body["step_id"] = str(self.steps[step])
        return self.client.post("/api/item/create", json=body, headers=self.headers(as_))

    def created(self, name: str, **kwargs: Any) -> dict[str, Any]:
        response = self.create(name, **kwargs)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def move(self, item_id: str, step: str, *, as_: str = ADMIN_USERNAME) -> Any:
        return self.client.post(
            "/api/item/move-to-step",
            json={"id": item_id, "step_id": str(self.steps[step])},
            headers=self.headers(as_),
        )

    def moved(self, item_id: str, step: str, *, as_: str = ADMIN_USERNAME) -> dict[str, Any]:
        response = self.move(item_id, step, as_=as_)
        assert response.status_code == 200, response.text
        assert response.json()["current_step_id"] == str(self.steps[step])
        return dict(response.json())

    def update(self, item_id: str, values: dict[str, Any], *, as_: str = ADMIN_USERNAME) -> Any:
        return self.client.post(
            "/api/item/update-fields",
            json={"id": item_id, "field_values": values},
            headers=self.headers(as_),
        )

    def updated(
        self, item_id: str, values: dict[str, Any], *, as_: str = ADMIN_USERNAME
    ) -> dict[str, Any]:
        response = self.update(item_id, values, as_=as_)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def get(self, item_id: str, *, as_: str = ADMIN_USERNAME) -> Any:
        return self.client.get("/api/item/get", params={"id": item_id}, headers=self.headers(as_))

    def view(self, item_id: str) -> tuple[set[str], set[str]]:
        """The (visible, required) fields of the item at its current step."""
        response = self.get(item_id)
        assert response.status_code == 200, response.text
        view = response.json()["field_view"]
        return set(view["visible"]), set(view["required"])

    def history(self, item_id: str) -> list[str]:
        response = self.client.get(
            "/api/item/history", params={"id": item_id}, headers=self.headers()
        )
        assert response.status_code == 200, response.text
        return [entry["step_name"] for entry in response.json()["entries"]]

    # --- time, the worker and notifications -----------------------------------------------

    def run_worker(self) -> None:
        Worker(self.container, mailer=None).drain()

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.run_worker()

    def inbox(
        self, username: str, item_id: str | None = None, *, trigger: str | None = None
    ) -> list[dict[str, Any]]:
        response = self.client.get(
            "/api/notification/list", params={"limit": 200}, headers=self.headers(username)
        )
        assert response.status_code == 200, response.text
        # The API lists newest first; journeys read them in the order they arrived.
        found = sorted(response.json()["notifications"], key=lambda n: str(n["created_at"]))
        return [
            n
            for n in found
            if (item_id is None or n["item_id"] == item_id)
            and (trigger is None or n["trigger"] == trigger)
        ]


def seed_people(container: Container, client: TestClient, clock: FrozenClock) -> Journey:
    """A tenant with the demo accounts (each with a token), groups and roles."""
    container.caches.clear()
    with container.uow() as uow:
        tenant = create_tenant(uow, name="Use cases", slug=SLUG)
    journey = Journey(client=client, container=container, clock=clock, tenant_id=tenant.id)
    wanted = {ADMIN_USERNAME: [ADMIN, MEMBER]} | {name: roles_of(name) for name in USERNAMES}
    for username, roles in wanted.items():
        with container.uow() as uow:
            account, token = create_account_with_token(
                uow,
                tenant_slug=SLUG,
                spec=AccountSpec(
                    email=f"{username}@{SLUG}.example",
                    username=username,
                    display_name=username.replace("_", " ").title(),
                    roles=roles,
                ),
                token_ttl=None,
            )
        journey.ids[username] = account.id
        journey.tokens[username] = token.token
    system = system_actor(tenant.id)
    for name, prefix in GROUPS.items():
        members = [journey.ids[u] for u in USERNAMES if u.startswith(prefix)]
        with container.uow() as uow:
            account_groups.create_group(uow, system, GroupCreate(name=name, member_ids=members))
    return journey


@pytest.fixture
def journey(container: Container, client: TestClient, clock: FrozenClock) -> Iterator[Journey]:
    yield seed_people(container, client, clock)
    container.caches.clear()
