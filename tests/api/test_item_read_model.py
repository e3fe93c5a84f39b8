"""What /api/item/get and /api/item/list tell a board or item page without further queries:
when the item entered its step, the steps its transition rules allow next, the time zone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Tenant
from tests.conftest import START
from tests.services.moves_support import StepDef
from tests.worker.office import Office, open_office

STEPS = ("Lead", "Qualified", "Demo", "Proposal", "Won")


@pytest.fixture
def office(container: Container, client: TestClient, clock: FrozenClock) -> Office:
    office = open_office(container, client, clock)
    with container.uow() as uow:
        tenant = uow.session.get(Tenant, office.tenant_id)
        assert tenant is not None
        tenant.time_zone = "America/New_York"
        uow.commit()
    office.build(
        [
            StepDef(name="Lead"),
            StepDef(
                name="Qualified", config={"metadata": {"allowed_next_steps": ["Proposal", "Won"]}}
            ),
            StepDef(
                name="Demo", config={"metadata": {"allow_backward": False, "allow_skip": False}}
            ),
            StepDef(name="Proposal"),
            StepDef(name="Won"),
        ]
    )
    return office


def detail(office: Office, item_id: str) -> dict:
    response = office.client.get("/api/item/get", params={"id": item_id}, headers=office.headers())
    assert response.status_code == 200, response.text
    return dict(response.json())


def allowed(office: Office, item_id: str) -> list[str]:
    return [step["name"] for step in detail(office, item_id)["allowed_next_steps"]]


def test_the_item_tells_when_it_entered_its_current_step(office: Office) -> None:
    item = office.create("Deal")
    entered = detail(office, item)["item"]["current_step_entered_at"]
    office.clock.advance(timedelta(days=2, hours=3))
    office.move(item, "Qualified")
    page = office.client.get(
        "/api/item/list",
        params={"pipeline_instance_id": str(office.pipeline.instance_id)},
        headers=office.headers(),
    ).json()

    moved_at = START + timedelta(days=2, hours=3)
    assert entered == START.isoformat().replace("+00:00", "Z")
    assert detail(office, item)["item"]["current_step_entered_at"] == moved_at.isoformat().replace(
        "+00:00", "Z"
    )
    assert [i["current_step_entered_at"] for i in page["items"]] == [
        moved_at.isoformat().replace("+00:00", "Z")
    ]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("Lead", ["Qualified", "Demo", "Proposal", "Won"]),
        ("Qualified", ["Proposal", "Won"]),
        ("Demo", ["Proposal"]),
    ],
)
def test_the_allowed_next_steps_are_exactly_those_a_move_accepts(
    office: Office, at: str, expected: list[str]
) -> None:
    def placed() -> str:
        item = office.create("Deal")
        if at != "Lead":
            office.move(item, at)
        return item

    offered = allowed(office, placed())
    refused = set()
    for name in STEPS:
        response = office.client.post(
            "/api/item/move-to-step",
            json={"id": placed(), "step_id": office.step(name)},
            headers=office.headers(),
        )
        if response.status_code == 422:
            assert all(
                v["rule_id"].startswith("transition:") for v in response.json()["violations"]
            )
            refused.add(name)
        else:
            assert response.status_code == 200, response.text

    assert offered == expected
    assert refused == set(STEPS) - set(expected)


def test_get_and_list_carry_the_tenants_time_zone(office: Office) -> None:
    item = office.create("Deal")
    page = office.client.get("/api/item/list", headers=office.headers()).json()

    assert detail(office, item)["time_zone"] == "America/New_York"
    assert page["time_zone"] == "America/New_York"
