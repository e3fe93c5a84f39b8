"""/api/pipeline-instance/upgrade and /api/pipeline-template/upgrade-instances."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.api.test_template_versions import delete_step, publish
from tests.api.test_templates import make_template, post
from tests.conftest import Login, make_login


def start(client: TestClient, admin: Login, template_id: str, name: str) -> dict[str, Any]:
    return post(
        client,
        admin,
        "/api/pipeline-instance/create",
        {"pipeline_template_id": template_id, "name": name},
    )


def add_item(client: TestClient, admin: Login, instance: dict[str, Any], step: int) -> str:
    item = post(
        client,
        admin,
        "/api/item/create",
        {"pipeline_instance_id": instance["id"], "name": f"Deal {step}"},
    )
    if step:
        post(
            client,
            admin,
            "/api/item/move-to-step",
            {"id": item["id"], "step_id": instance["steps"][step]["id"]},
        )
    return str(item["id"])


def upgrade(client: TestClient, login: Login, body: dict[str, Any]) -> Any:
    return client.post("/api/pipeline-instance/upgrade", json=body, headers=login.headers)


def test_an_upgrade_is_refused_until_the_removed_steps_items_are_mapped(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=3)
    first, second, third = template["steps"]
    instance = start(client, admin, template["id"], "East")
    item_id = add_item(client, admin, instance, 1)
    delete_step(client, admin, second["id"])
    post(
        client,
        admin,
        "/api/step-template/create",
        {"pipeline_template_id": template["id"], "name": "Review"},
    )
    publish(client, admin, template["id"])

    refused = upgrade(client, admin, {"id": instance["id"]})
    wrong = upgrade(
        client, admin, {"id": instance["id"], "step_mapping": {second["id"]: second["id"]}}
    )
    dry = upgrade(
        client,
        admin,
        {"id": instance["id"], "step_mapping": {second["id"]: third["id"]}, "dry_run": True},
    )
    done = upgrade(
        client, admin, {"id": instance["id"], "step_mapping": {second["id"]: third["id"]}}
    )
    again = upgrade(client, admin, {"id": instance["id"]})

    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [
        {
            "field": "step_mapping",
            "message": "“Step 2” has 1 item and is not in version 2: "
            "map it to a step of that version",
        }
    ]
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == f"step_mapping.{second['id']}"
    assert "“Step 2” is mapped to “Step 2”, which is not a step of version 2" in wrong.text
    assert dry.status_code == 200, dry.text
    assert done.status_code == 200, done.text
    body = done.json()
    assert {k: v for k, v in dry.json().items() if k not in ("dry_run", "words")} == {
        k: v for k, v in body.items() if k not in ("dry_run", "words")
    }
    assert (dry.json()["dry_run"], body["dry_run"]) == (True, False)
    assert body["from_version"] == 1 and body["to_version"] == 2
    assert body["steps_added"] == ["Review"]
    assert body["steps_removed"] == [
        {
            "step_template_id": second["id"],
            "name": "Step 2",
            "items": 1,
            "mapped_to": third["id"],
            "mapped_to_name": "Step 3",
        }
    ]
    assert body["items_moved"] == 1
    assert set(body["timers"]) == {"cancelled", "rearmed", "added"}
    assert "Step “Step 2” is removed; its 1 item moved to “Step 3”." in body["words"]
    item = client.get("/api/item/get", params={"id": item_id}, headers=admin.headers).json()
    steps = client.get(
        "/api/pipeline-instance/get", params={"id": instance["id"]}, headers=admin.headers
    ).json()["steps"]
    assert [step["name"] for step in steps] == ["Step 1", "Step 3", "Review"]
    assert item["item"]["current_step_id"] == steps[1]["id"]
    assert again.status_code == 409
    assert again.json()["errors"] == [
        {"field": "to_version", "message": "the pipeline already runs version 2"}
    ]
    assert first["id"] != third["id"]


def test_every_active_pipeline_of_a_template_is_upgraded_and_reported(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=2)
    east, west = (start(client, admin, template["id"], name) for name in ("East", "West"))
    post(
        client,
        admin,
        "/api/step-template/update",
        {"id": template["steps"][1]["id"], "name": "Closing"},
    )
    publish(client, admin, template["id"])

    response = client.post(
        "/api/pipeline-template/upgrade-instances",
        json={"id": template["id"]},
        headers=admin.headers,
    )

    assert response.status_code == 200, response.text
    reports = response.json()
    assert sorted(r["pipeline_instance_id"] for r in reports) == sorted([east["id"], west["id"]])
    assert all(
        r["steps_renamed"]
        == [
            {
                "step_template_id": template["steps"][1]["id"],
                "old_name": "Step 2",
                "new_name": "Closing",
            }
        ]
        for r in reports
    )


def test_bad_upgrade_requests_name_the_field_and_change_nothing(
    client: TestClient, admin: Login, container: Container
) -> None:
    template = make_template(client, admin, steps=2)
    instance = start(client, admin, template["id"], "East")
    manager = make_login(container, slug="acme", username="mia", roles=["manager"])

    forbidden = upgrade(client, manager, {"id": instance["id"]})
    unknown_version = upgrade(client, admin, {"id": instance["id"], "to_version": 7})
    unknown_instance = upgrade(client, admin, {"id": template["id"]})
    not_a_number = upgrade(client, admin, {"id": instance["id"], "to_version": "soon"})
    bad_key = upgrade(client, admin, {"id": instance["id"], "step_mapping": {"x": "y"}})

    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("application/problem+json")
    assert unknown_version.status_code == 404
    assert unknown_version.json()["errors"][0]["field"] == "to_version"
    assert unknown_instance.status_code == 404
    assert unknown_instance.json()["errors"][0]["field"] == "id"
    assert not_a_number.status_code == 422
    assert bad_key.status_code == 422
    for response in (unknown_version, unknown_instance, not_a_number, bad_key):
        assert response.json()["errors"], response.text
    assert (
        client.post(
            "/api/pipeline-template/upgrade-instances",
            json={"id": template["id"]},
            headers=manager.headers,
        ).status_code
        == 403
    )
