"""/api/approval/* and /api/item/{assign,bulk-assign} over HTTP: results, 4xx problems, tenancy."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login, make_login
from tests.services.assignments_support import World


@pytest.fixture
def world(container: Container, admin: Login) -> World:
    world = World(container=container, tenant_id=admin.tenant_id)
    world.accounts["ada"] = admin.account_id
    return world


def person(world: World, username: str, roles: list[str] | None = None) -> Login:
    login = make_login(world.container, slug="acme", username=username, roles=roles or ["member"])
    world.accounts[username] = login.account_id
    return login


def problem_fields(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith("application/problem+json")
    return [error["field"] for error in response.json()["errors"]]


# --------------------------------------------------------------------------- approvals


def test_discharge_waits_for_a_physicians_approval_over_http(
    client: TestClient, world: World
) -> None:
    nurse = person(world, "nurse_1")
    physician = person(world, "physician_1")
    world.add_group("physicians", ["physician_1"])
    world.add_step(
        "Post-Op Recovery",
        metadata={
            "requires_approval": True,
            "approver": {"type": "account_group", "id": "physicians"},
        },
    )
    item = world.add_item("Patient", step="Post-Op Recovery")

    requested = client.post(
        "/api/approval/request",
        json={"item_id": str(item), "comment": "ready to go home"},
        headers=nurse.headers,
    )
    request_id = requested.json()["id"]
    nurse_pending = client.get("/api/approval/list-pending", headers=nurse.headers)
    physician_pending = client.get("/api/approval/list-pending", headers=physician.headers)
    nurse_approves = client.post(
        "/api/approval/approve", json={"request_id": request_id}, headers=nurse.headers
    )
    approved = client.post(
        "/api/approval/approve",
        json={"request_id": request_id, "comment": "vitals fine"},
        headers=physician.headers,
    )

    assert requested.status_code == 201, requested.text
    assert requested.json()["status"] == "pending"
    assert requested.json()["step_name"] == "Post-Op Recovery"
    assert nurse_pending.json() == []
    assert [p["id"] for p in physician_pending.json()] == [request_id]
    assert nurse_approves.status_code == 403
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["approvals"] == 1


def test_reject_needs_a_reason_and_blocks_with_it(client: TestClient, world: World) -> None:
    nurse = person(world, "nurse_1")
    manager = person(world, "manager_1", ["manager"])
    world.add_step("Post-Op Recovery", metadata={"requires_approval": True})
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = client.post(
        "/api/approval/request", json={"item_id": str(item)}, headers=nurse.headers
    ).json()["id"]

    without_reason = client.post(
        "/api/approval/reject", json={"request_id": request_id}, headers=manager.headers
    )
    blank_reason = client.post(
        "/api/approval/reject",
        json={"request_id": request_id, "comment": "  "},
        headers=manager.headers,
    )
    rejected = client.post(
        "/api/approval/reject",
        json={"request_id": request_id, "comment": "wound not healed"},
        headers=manager.headers,
    )
    again = client.post(
        "/api/approval/reject",
        json={"request_id": request_id, "comment": "twice"},
        headers=manager.headers,
    )

    assert without_reason.status_code == 422
    assert problem_fields(without_reason) == ["comment"]
    assert blank_reason.status_code == 422
    assert problem_fields(blank_reason) == ["comment"]
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_comment"] == "wound not healed"
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/api/approval/request", {}, 422, "item_id"),
        ("/api/approval/request", {"item_id": "not-a-uuid"}, 422, "item_id"),
        ("/api/approval/request", {"item_id": str(uuid.uuid4())}, 404, None),
        ("/api/approval/approve", {"request_id": str(uuid.uuid4())}, 404, None),
        ("/api/approval/approve", {"request_id": str(uuid.uuid4()), "x": 1}, 422, "x"),
    ],
)
def test_bad_approval_requests_are_clear_4xx(
    client: TestClient, admin: Login, path: str, body: dict, status: int, field: str | None
) -> None:
    response = client.post(path, json=body, headers=admin.headers)

    assert response.status_code == status, response.text
    if field is not None:
        assert field in problem_fields(response)


def test_another_tenants_approval_request_is_404(
    client: TestClient, world: World, other_admin: Login
) -> None:
    nurse = person(world, "nurse_1")
    world.add_step("Post-Op Recovery", metadata={"requires_approval": True})
    item = world.add_item("Patient", step="Post-Op Recovery")
    request_id = client.post(
        "/api/approval/request", json={"item_id": str(item)}, headers=nurse.headers
    ).json()["id"]

    foreign_request = client.post(
        "/api/approval/request", json={"item_id": str(item)}, headers=other_admin.headers
    )
    foreign_approve = client.post(
        "/api/approval/approve", json={"request_id": request_id}, headers=other_admin.headers
    )

    assert foreign_request.status_code == 404
    assert foreign_approve.status_code == 404
    assert client.get("/api/approval/list-pending", headers=other_admin.headers).json() == []


# --------------------------------------------------------------------------- assign


def test_assign_adds_removes_and_replaces_with_version_checks(
    client: TestClient, world: World, admin: Login
) -> None:
    for name in ("ann", "bob", "cat"):
        person(world, name)
    world.add_step("Start")
    item = world.add_item(step="Start")
    ids = world.accounts

    def assign(mode: str, names: list[str], version: int | None = None):  # type: ignore[no-untyped-def]
        body: dict = {"id": str(item), "mode": mode, "account_ids": [str(ids[n]) for n in names]}
        if version is not None:
            body["expected_version"] = version
        return client.post("/api/item/assign", json=body, headers=admin.headers)

    added = assign("add", ["ann", "bob"], version=1)
    stale = assign("add", ["cat"], version=1)
    removed = assign("remove", ["ann"], version=2)
    replaced = assign("replace", ["cat"])

    assert added.status_code == 200, added.text
    assert added.json()["version"] == 2
    assert stale.status_code == 409
    assert removed.json()["assigned_account_ids"] == [str(ids["bob"])]
    assert removed.json()["removed"] == [str(ids["ann"])]
    assert replaced.json()["version"] == 4
    assert world.assignees(item) == ["cat"]
    logged = world.activities(item, "item.assigned")
    assert [entry.data["mode"] for entry in logged] == ["add", "remove", "replace"]
    assert all(entry.actor_id == admin.account_id for entry in logged)


def test_assign_refuses_inactive_and_unknown_accounts_naming_them(
    client: TestClient, world: World, admin: Login, other_admin: Login
) -> None:
    person(world, "ann")
    world.add_person("gone", active=False)
    world.add_step("Start")
    item = world.add_item(step="Start")

    response = client.post(
        "/api/item/assign",
        json={
            "id": str(item),
            "mode": "add",
            "account_ids": [
                str(world.accounts["ann"]),
                str(world.accounts["gone"]),
                str(other_admin.account_id),
            ],
        },
        headers=admin.headers,
    )

    # An account that does not exist (here: one of another tenant) is a 404 naming it.
    assert response.status_code == 404
    assert problem_fields(response) == ["account_ids[1]", "account_ids[2]"]
    assert world.assignees(item) == []


def test_members_assign_only_items_they_own_or_work_on(
    client: TestClient, world: World, member: Login
) -> None:
    world.accounts["max"] = member.account_id
    world.add_step("Start")
    theirs = world.add_item(step="Start", owner="max")
    others = world.add_item(step="Start")
    body = {"mode": "add", "account_ids": [str(member.account_id)]}

    own = client.post("/api/item/assign", json={"id": str(theirs), **body}, headers=member.headers)
    foreign = client.post(
        "/api/item/assign", json={"id": str(others), **body}, headers=member.headers
    )
    bulk = client.post(
        "/api/item/bulk-assign",
        json={"items": [{"id": str(theirs)}], **body},
        headers=member.headers,
    )

    assert own.status_code == 200
    assert foreign.status_code == 403
    assert bulk.status_code == 403


def test_bulk_assign_answers_per_item(client: TestClient, world: World, admin: Login) -> None:
    person(world, "ann")
    world.add_step("Start")
    fine = [world.add_item(f"Fine {n}", step="Start") for n in range(3)]
    stale = world.add_item("Stale", step="Start")
    closed = world.add_item("Closed", step="Start", status="completed")
    missing = uuid.uuid4()

    response = client.post(
        "/api/item/bulk-assign",
        json={
            "mode": "add",
            "account_ids": [str(world.accounts["ann"])],
            "items": [
                *({"id": str(item)} for item in fine),
                {"id": str(stale), "expected_version": 7},
                {"id": str(closed)},
                {"id": str(missing)},
            ],
        },
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    results = {r["id"]: r["result"] for r in response.json()["results"]}
    assert [results[str(item)] for item in fine] == ["assigned"] * 3
    assert results[str(stale)] == "conflict"
    assert results[str(closed)] == "invalid"
    assert results[str(missing)] == "not_found"
    assert response.json()["counts"] == {
        "assigned": 3,
        "conflict": 1,
        "invalid": 1,
        "not_found": 1,
    }
    assert [world.assignees(item) for item in fine] == [["ann"]] * 3
    assert world.assignees(stale) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "add", "account_ids": [], "items": []}, "items"),
        ({"mode": "swap", "account_ids": [], "items": [{"id": str(uuid.uuid4())}]}, "mode"),
        (
            {"mode": "add", "account_ids": [], "items": [{"id": str(uuid.uuid4())}] * 1001},
            "items",
        ),
    ],
)
def test_bad_bulk_assign_requests_are_422_naming_the_field(
    client: TestClient, admin: Login, body: dict, field: str
) -> None:
    response = client.post("/api/item/bulk-assign", json=body, headers=admin.headers)

    assert response.status_code == 422
    assert field in problem_fields(response)


def test_a_bulk_assign_naming_an_unknown_account_is_a_404_naming_it(
    client: TestClient, admin: Login
) -> None:
    body = {
        "mode": "add",
        "account_ids": [str(uuid.uuid4())],
        "items": [{"id": str(uuid.uuid4())}],
    }
    response = client.post("/api/item/bulk-assign", json=body, headers=admin.headers)

    assert response.status_code == 404
    assert problem_fields(response) == ["account_ids[0]"]
