"""/api/item/change-owner over HTTP: the change, its log entry, and clear 4xx refusals."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from pacetrack.db.tables import Item
from tests.conftest import Login, make_login
from tests.services.assignments_support import World


@pytest.fixture
def world(container: Container, admin: Login) -> World:
    world = World(container=container, tenant_id=admin.tenant_id)
    world.accounts["ada"] = admin.account_id
    world.add_step("Lead")
    return world


def stored(world: World, item_id: uuid.UUID) -> Item:
    with world.container.uow() as uow:
        row = world.item(uow, item_id)
        uow.session.expunge(row)
        return row


def change(client: TestClient, login: Login, **body: object):  # type: ignore[no-untyped-def]
    payload = {
        key: str(value) if isinstance(value, uuid.UUID) else value for key, value in body.items()
    }
    return client.post("/api/item/change-owner", json=payload, headers=login.headers)


def test_the_owner_changes_once_is_logged_and_bumps_the_version(
    client: TestClient, world: World, admin: Login
) -> None:
    ana = world.add_person("ana")
    item = world.add_item("Deal", step="Lead", owner="ada")

    answer = change(client, admin, id=item, owner_account_id=ana, expected_version=1)
    again = change(client, admin, id=item, owner_account_id=ana)

    assert answer.status_code == 200
    assert answer.json() | {"id": None} == {
        "id": None,
        "version": 2,
        "owner_account_id": str(ana),
        "changed": True,
    }
    assert again.json()["changed"] is False and again.json()["version"] == 2
    assert stored(world, item).owner_account_id == ana
    logged = world.activities(item, "item.owner_changed")
    assert [entry.data for entry in logged] == [
        {"from_account_id": str(admin.account_id), "to_account_id": str(ana)}
    ]


def test_refusals_name_the_field_and_change_nothing(
    client: TestClient, world: World, admin: Login, container: Container
) -> None:
    world.add_person("gone", active=False)
    item = world.add_item("Deal", step="Lead", owner="ada")
    member = make_login(container, slug="acme", username="max", roles=["member"])

    unknown = change(client, admin, id=item, owner_account_id=uuid.uuid4())
    inactive = change(client, admin, id=item, owner_account_id=world.accounts["gone"])
    stale = change(client, admin, id=item, owner_account_id=member.account_id, expected_version=7)
    forbidden = change(client, member, id=item, owner_account_id=member.account_id)
    malformed = change(client, admin, id=item, owner_account_id="not-an-id")
    missing = change(client, admin, id=uuid.uuid4(), owner_account_id=member.account_id)

    assert unknown.status_code == 404
    assert unknown.json()["errors"] == [{"field": "owner_account_id", "message": "no such account"}]
    assert inactive.status_code == 409
    assert inactive.json()["errors"][0]["field"] == "owner_account_id"
    assert "inactive" in inactive.json()["errors"][0]["message"]
    assert stale.status_code == 409
    assert forbidden.status_code == 403
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "owner_account_id"
    assert missing.status_code == 404
    for answer in (unknown, inactive, stale, forbidden, malformed, missing):
        assert answer.headers["content-type"].startswith("application/problem+json")
    row = stored(world, item)
    assert (row.owner_account_id, row.version) == (admin.account_id, 1)
    assert not world.activities(item, "item.owner_changed")
