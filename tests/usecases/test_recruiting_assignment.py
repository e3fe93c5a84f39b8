"""Recruiting: entering Technical Screen assigns the engineering_interviewers group (all members).

Through the HTTP API: items are created and moved with the real move path, which
applies the step's assignment rules and its approval requirement.
"""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login, make_login
from tests.services.assignments_support import World


def test_candidate_routed_to_recruiters_then_all_engineering_interviewers(
    client: TestClient, container: Container, admin: Login
) -> None:
    world = World(container=container, tenant_id=admin.tenant_id)
    logins: dict[str, Login] = {}
    for name in ("recruiter_1", "recruiter_2", "hiring_manager", "eng_1", "eng_2", "eng_3"):
        logins[name] = make_login(container, slug="acme", username=name, roles=["member"])
        world.accounts[name] = logins[name].account_id
    world.add_person("eng_retired", active=False)
    world.add_group("recruiters", ["recruiter_1", "recruiter_2"])
    world.add_group("engineering_interviewers", ["eng_1", "eng_2", "eng_3", "eng_retired"])
    applied = world.add_step("Applied")
    phone = world.add_step(
        "Phone Screen", assignments=[{"type": "round_robin", "id": "recruiters"}]
    )
    technical = world.add_step(
        "Technical Screen",
        assignments=[{"type": "account_group", "id": "engineering_interviewers"}],
        metadata={
            "requires_approval": True,
            "approver": {"type": "user", "id": "hiring_manager"},
        },
    )
    onsite = world.add_step("Onsite")

    def move(item: dict, step_id: object, login: Login = admin) -> dict:
        response = client.post(
            "/api/item/move-to-step",
            json={"id": item["id"], "step_id": str(step_id), "expected_version": item["version"]},
            headers=login.headers,
        )
        assert response.status_code in (200, 422), response.text
        return response.json()

    def names(ids: list[str]) -> list[str]:
        return sorted(world.username(uuid.UUID(i)) for i in ids)

    candidates = []
    for name in ("Grace", "Linus"):
        created = client.post(
            "/api/item/create",
            json={
                "pipeline_instance_id": str(world.pipeline_id),
                "name": name,
                "step_id": str(applied),
            },
            headers=admin.headers,
        )
        assert created.status_code == 201, created.text
        candidates.append(created.json())

    screened = [move(c, phone) for c in candidates]
    at_phone = [names(s["assigned_account_ids"]) for s in screened]
    technical_items = [move(s, technical) for s in screened]
    at_technical = [names(t["assigned_account_ids"]) for t in technical_items]
    grace = technical_items[0]
    blocked = client.post(
        "/api/item/move-to-step",
        json={"id": grace["id"], "step_id": str(onsite)},
        headers=admin.headers,
    )
    request = client.post(
        "/api/approval/request", json={"item_id": grace["id"]}, headers=logins["eng_1"].headers
    )
    approved = client.post(
        "/api/approval/approve",
        json={"request_id": request.json()["id"], "comment": "strong hire signal"},
        headers=logins["hiring_manager"].headers,
    )
    moved = client.post(
        "/api/item/move-to-step",
        json={"id": grace["id"], "step_id": str(onsite)},
        headers=admin.headers,
    )

    assert at_phone == [["recruiter_1"], ["recruiter_2"]]
    assert at_technical == [["eng_1", "eng_2", "eng_3"]] * 2
    assert blocked.status_code == 422
    assert [v["rule_id"] for v in blocked.json()["violations"]] == ["approval_required"]
    assert "user “hiring_manager”" in blocked.json()["violations"][0]["message"]
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert moved.status_code == 200, moved.text
    # Onsite has no assignment rules: the interviewers stay on the candidate.
    assert names(moved.json()["assigned_account_ids"]) == ["eng_1", "eng_2", "eng_3"]
