"""/api/item/{reopen,archive,unarchive,delete}, the list's status filter, and terminal steps
checked at save, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields

PROBLEM = "application/problem+json"


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    define_fields(container, admin.tenant_id, [FieldDef(name="offer", field_type="currency")])
    return build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(name="Screen"),
            StepDef(name="Offer", config={"metadata": {"entry_required_fields": ["offer"]}}),
            StepDef(name="Hired", config={"metadata": {"terminal": {"outcome": "hired"}}}),
        ],
    )


def post(client: TestClient, login: Login, path: str, **body: Any) -> httpx.Response:
    return client.post(f"/api/item/{path}", json=body, headers=login.headers)


def hired(client: TestClient, login: Login, pipeline: Pipeline) -> dict[str, Any]:
    created = post(
        client, login, "create", pipeline_instance_id=str(pipeline.instance_id), name="Grace"
    ).json()
    moved = post(
        client, login, "move-to-step", id=created["id"], step_id=str(pipeline.step("Hired"))
    )
    assert moved.status_code == 200, moved.text
    answer = client.get("/api/item/get", params={"id": created["id"]}, headers=login.headers)
    item: dict[str, Any] = answer.json()["item"]
    return item


def listed(client: TestClient, login: Login, **params: str) -> list[str]:
    response = client.get("/api/item/list", params=params, headers=login.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_moving_into_a_terminal_step_completes_the_item_and_lists_follow_its_status(
    client: TestClient, member: Login, pipeline: Pipeline
) -> None:
    item = hired(client, member, pipeline)

    assert (item["status"], item["outcome"]) == ("completed", "hired")
    assert item["completed_at"] is not None
    assert listed(client, member) == []
    assert listed(client, member, status="completed") == [item["id"]]
    refused = post(
        client, member, "move-to-step", id=item["id"], step_id=str(pipeline.step("Screen"))
    )
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert "reopen it" in refused.json()["detail"]


def test_reopen_answers_422_with_the_entry_rules_then_moves_the_item_back(
    client: TestClient, member: Login, pipeline: Pipeline
) -> None:
    item = hired(client, member, pipeline)
    offer = str(pipeline.step("Offer"))

    blocked = post(
        client, member, "reopen", id=item["id"], step_id=offer, expected_version=item["version"]
    )
    assert blocked.status_code == 422
    assert [e["field"] for e in blocked.json()["errors"]] == ["offer"]
    stale = post(client, member, "reopen", id=item["id"], step_id=offer, expected_version=1)
    assert stale.status_code == 409

    reopened = post(
        client,
        member,
        "reopen",
        id=item["id"],
        step_id=str(pipeline.step("Screen")),
        expected_version=item["version"],
    )
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert (body["status"], body["outcome"], body["current_step_id"]) == (
        "active",
        None,
        str(pipeline.step("Screen")),
    )
    kinds = [
        row["kind"]
        for row in client.get(
            "/api/item/activity", params={"id": item["id"]}, headers=member.headers
        ).json()
    ]
    assert kinds[-2:] == ["item.moved", "item.reopened"]


def test_reopen_into_a_step_of_another_pipeline_is_422_naming_step_id(
    client: TestClient, container: Container, admin: Login, member: Login, pipeline: Pipeline
) -> None:
    item = hired(client, member, pipeline)
    other = build_pipeline(container, admin.tenant_id, [StepDef(name="Elsewhere")])

    response = post(client, member, "reopen", id=item["id"], step_id=str(other.step("Elsewhere")))

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "step_id"


def test_archive_unarchive_and_the_archived_list(
    client: TestClient, member: Login, pipeline: Pipeline
) -> None:
    item = hired(client, member, pipeline)

    archived = post(client, member, "archive", id=item["id"], expected_version=item["version"])
    assert archived.status_code == 200, archived.text
    assert archived.json()["status"] == "archived"
    assert listed(client, member, status="archived") == [item["id"]]
    assert listed(client, member, status="completed") == []
    again = post(client, member, "archive", id=item["id"])
    assert again.status_code == 409
    stale = post(client, member, "unarchive", id=item["id"], expected_version=item["version"])
    assert stale.status_code == 409

    restored = post(
        client, member, "unarchive", id=item["id"], expected_version=archived.json()["version"]
    )
    assert restored.status_code == 200
    assert restored.json()["status"] == "completed"


def test_delete_is_for_admins_and_then_every_read_is_404(
    client: TestClient, admin: Login, member: Login, pipeline: Pipeline
) -> None:
    item = hired(client, member, pipeline)

    forbidden = post(client, member, "delete", id=item["id"])
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith(PROBLEM)
    stale = post(client, admin, "delete", id=item["id"], expected_version=item["version"] + 1)
    assert stale.status_code == 409

    deleted = post(client, admin, "delete", id=item["id"], expected_version=item["version"])
    assert deleted.status_code == 204
    for path in ("get", "history", "activity", "validation-status"):
        response = client.get(f"/api/item/{path}", params={"id": item["id"]}, headers=admin.headers)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith(PROBLEM)
    for status in ("active", "completed", "archived"):
        assert listed(client, admin, status=status) == []
    assert post(client, admin, "delete", id=item["id"]).status_code == 404
    assert post(client, admin, "unarchive", id=item["id"]).status_code == 404


def test_an_unknown_status_filter_is_422_naming_status(
    client: TestClient, member: Login, pipeline: Pipeline
) -> None:
    response = client.get("/api/item/list", params={"status": "deleted"}, headers=member.headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


@pytest.mark.parametrize(
    ("terminal", "field", "message"),
    [
        ({"outcome": "triumph"}, "metadata.terminal.outcome", "must be one of won, lost, done"),
        ({}, "metadata.terminal.outcome", "must be one of"),
        ("won", "metadata.terminal", "must be an object"),
        ({"outcome": "won", "colour": "red"}, "metadata.terminal.colour", "unknown setting"),
    ],
)
def test_a_bad_terminal_setting_is_refused_at_save_naming_its_path(
    client: TestClient, admin: Login, pipeline: Pipeline, terminal: Any, field: str, message: str
) -> None:
    step_id = str(pipeline.step_templates["Screen"])

    response = client.post(
        "/api/step-template/update-metadata",
        json={"id": step_id, "metadata": {"terminal": terminal}},
        headers=admin.headers,
    )

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors[0]["field"] == field
    assert message in errors[0]["message"]
    saved = client.get("/api/step-template/get", params={"id": step_id}, headers=admin.headers)
    assert "terminal" not in saved.json()["metadata"]


def test_a_terminal_setting_is_saved_and_cleared_with_null(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    step_id = str(pipeline.step_templates["Screen"])
    for terminal in ({"outcome": "rejected"}, None):
        response = client.post(
            "/api/step-template/update-metadata",
            json={"id": step_id, "metadata": {"terminal": terminal}},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["metadata"]["terminal"] == terminal


def test_export_carries_the_terminal_setting_and_import_checks_it(
    client: TestClient, admin: Login, other_admin: Login, pipeline: Pipeline
) -> None:
    exported = client.post(
        "/api/pipeline-template/export",
        json={"id": str(pipeline.template_id)},
        headers=admin.headers,
    ).json()
    hired_step = next(step for step in exported["steps"] if step["name"] == "Hired")
    assert hired_step["metadata"] == {"terminal": {"outcome": "hired"}}

    hired_step["metadata"] = {"terminal": {"outcome": "promoted"}}
    refused = client.post(
        "/api/pipeline-template/import", json={"document": exported}, headers=other_admin.headers
    )
    assert refused.status_code == 422
    index = exported["steps"].index(hired_step)
    assert [e["field"] for e in refused.json()["errors"]] == [
        f"steps[{index}].metadata.terminal.outcome"
    ]
    hired_step["metadata"] = {"terminal": {"outcome": "hired"}}
    imported = client.post(
        "/api/pipeline-template/import", json={"document": exported}, headers=other_admin.headers
    )
    assert imported.status_code == 201, imported.text
