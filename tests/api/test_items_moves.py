"""/api/item/{move-to-step,bulk-move,validation-status,history,activity} over HTTP."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    define_fields(container, admin.tenant_id, [FieldDef(name="score", field_type="number")])
    rule = {"id": "good_score", "type": "field_min_value", "field_id": "score", "min_value": 3}
    return build_pipeline(
        container,
        admin.tenant_id,
        [StepDef(name="Screen", config={"validations": [rule]}), StepDef(name="Onsite")],
    )


def create(client: TestClient, login: Login, pipeline: Pipeline, score: int) -> str:
    response = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(pipeline.instance_id),
            "name": "Candidate",
            "field_values": {"score": score},
        },
        headers=login.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_a_stale_version_answers_409_problem_json(
    client: TestClient, member: Login, pipeline: Pipeline
) -> None:
    item_id = create(client, member, pipeline, 4)
    body = {"id": item_id, "step_id": str(pipeline.step("Onsite")), "expected_version": 2}

    response = client.post("/api/item/move-to-step", json=body, headers=member.headers)

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"].startswith("The item changed since you read it (version 1")
    assert problem["errors"] == [
        {"field": "expected_version", "message": "is 2, but the item is at version 1 now"}
    ]


def test_bulk_move_answers_moved_blocked_and_not_found_per_item(
    client: TestClient, member: Login, pipeline: Pipeline
) -> None:
    good = create(client, member, pipeline, 5)
    weak = create(client, member, pipeline, 1)
    unknown = str(uuid.uuid4())

    response = client.post(
        "/api/item/bulk-move",
        json={"item_ids": [good, weak, unknown], "step_id": str(pipeline.step("Onsite"))},
        headers=member.headers,
    )

    assert response.status_code == 200
    results = {r["id"]: r for r in response.json()["results"]}
    assert results[good]["status"] == "moved"
    assert results[weak]["status"] == "blocked"
    assert results[weak]["violations"][0]["rule_id"] == "good_score"
    assert results[unknown]["status"] == "not_found"


def test_bulk_move_takes_at_most_1000_items(
    client: TestClient, member: Login, pipeline: Pipeline
) -> None:
    response = client.post(
        "/api/item/bulk-move",
        json={
            "item_ids": [str(uuid.uuid4()) for _ in range(1001)],
            "step_id": str(pipeline.step("Onsite")),
        },
        headers=member.headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "item_ids"


def test_validation_status_history_and_activity_are_tenant_scoped(
    client: TestClient, admin: Login, other_admin: Login, pipeline: Pipeline
) -> None:
    item_id = create(client, admin, pipeline, 1)

    ours = client.get("/api/item/validation-status", params={"id": item_id}, headers=admin.headers)
    for path in ("validation-status", "history", "activity"):
        theirs = client.get(
            f"/api/item/{path}", params={"id": item_id}, headers=other_admin.headers
        )
        assert theirs.status_code == 404, path
    moved = client.post(
        "/api/item/move-to-step",
        json={"id": item_id, "step_id": str(pipeline.step("Onsite"))},
        headers=other_admin.headers,
    )

    assert ours.status_code == 200
    assert ours.json()["ready"] is False
    assert ours.json()["requirements"] == [
        {
            "rule_id": "good_score",
            "field_id": "score",
            "met": False,
            "message": "Score must be at least 3",
        }
    ]
    assert moved.status_code == 404


def test_a_malformed_move_request_names_the_field(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    response = client.post(
        "/api/item/move-to-step", json={"id": "nope", "step_id": 5}, headers=admin.headers
    )

    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"id", "step_id"}


def test_a_field_definition_change_applies_to_the_next_move(
    client: TestClient, container: Container, admin: Login, member: Login
) -> None:
    notes = client.post(
        "/api/field-definition/create",
        json={"name": "notes", "label": "Notes", "field_type": "text"},
        headers=admin.headers,
    )
    assert notes.status_code == 201, notes.text
    shown = {"field_configs": [{"field_definition_id": "notes", "is_visible": True}]}
    pipeline = build_pipeline(
        container, admin.tenant_id, [StepDef(name="Draft", config=shown), StepDef(name="Done")]
    )
    created = client.post(
        "/api/item/create",
        json={"pipeline_instance_id": str(pipeline.instance_id), "name": "Note"},
        headers=member.headers,
    )
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    done, draft = str(pipeline.step("Done")), str(pipeline.step("Draft"))
    for step_id in (done, draft):
        moved = client.post(
            "/api/item/move-to-step",
            json={"id": item_id, "step_id": step_id},
            headers=member.headers,
        )
        assert moved.status_code == 200, moved.text

    changed = client.post(
        "/api/field-definition/update",
        json={"id": notes.json()["id"], "is_required": True},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    blocked = client.post(
        "/api/item/move-to-step", json={"id": item_id, "step_id": done}, headers=member.headers
    )

    assert blocked.status_code == 422, blocked.text
    assert [v["field_id"] for v in blocked.json()["violations"]] == ["notes"]
