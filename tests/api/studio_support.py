"""The Sales use case set up for the studio's API tests, and a snapshot of every table.

The tenant has the demo people, groups and roles (``tests.usecases.conftest.seed_people``);
the Sales library template is imported over HTTP and a pipeline is started from it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.models import metadata
from tests.usecases.conftest import Journey, seed_people


@dataclass
class SalesStudio:
    journey: Journey
    template_id: uuid.UUID
    step_templates: dict[str, uuid.UUID]

    @property
    def client(self) -> TestClient:
        return self.journey.client

    def post(self, path: str, body: dict[str, Any], *, as_: str = "admin") -> Any:
        return self.client.post(path, json=body, headers=self.journey.headers(as_))

    def get(self, path: str, *, as_: str = "admin", **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.journey.headers(as_))


@pytest.fixture
def sales_studio(container: Container, client: TestClient, clock: FrozenClock) -> SalesStudio:
    journey = seed_people(container, client, clock)
    journey.start("sales")
    listed = client.get("/api/pipeline-template/list", headers=journey.headers()).json()
    template_id = next(t["id"] for t in listed if t["name"] == "Sales pipeline")
    steps = client.get(
        "/api/step-template/list",
        params={"pipeline_template_id": template_id},
        headers=journey.headers(),
    ).json()
    return SalesStudio(
        journey=journey,
        template_id=uuid.UUID(template_id),
        step_templates={step["name"]: uuid.UUID(step["id"]) for step in steps},
    )


def database_snapshot(container: Container) -> dict[str, list[str]]:
    """Every row of every table (and, on PostgreSQL, every sequence's position), as text."""
    snapshot: dict[str, list[str]] = {}
    with container.engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(select(table)).all()
            snapshot[table.name] = sorted(repr(tuple(row)) for row in rows)
        if connection.dialect.name == "postgresql":
            sequences = connection.execute(
                text("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
            ).all()
            snapshot["(sequences)"] = [repr(tuple(row)) for row in sequences]
    return snapshot
