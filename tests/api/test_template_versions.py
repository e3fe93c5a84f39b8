"""/api/pipeline-template/publish, versions, version, diff and rollback."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_templates import get_template, make_template, post
from tests.conftest import Login, make_login


def delete_step(client: TestClient, login: Login, step_id: str) -> None:
    response = client.post("/api/step-template/delete", json={"id": step_id}, headers=login.headers)
    assert response.status_code == 204, response.text


def publish(client: TestClient, login: Login, template_id: str, note: str = "") -> Any:
    return post(client, login, "/api/pipeline-template/publish", {"id": template_id, "note": note})


def versions(client: TestClient, login: Login, template_id: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/pipeline-template/versions", params={"id": template_id}, headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def read(client: TestClient, login: Login, operation: str, params: dict[str, Any]) -> Any:
    response = client.get(
        f"/api/pipeline-template/{operation}", params=params, headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def diff(client: TestClient, login: Login, template_id: str, before: int, after: int) -> Any:
    return read(client, login, "diff", {"id": template_id, "from": before, "to": after})


def test_publishing_numbers_versions_and_records_who_when_and_the_note(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=2)

    first = publish(client, admin, template["id"], "First cut")
    post(
        client,
        admin,
        "/api/step-template/update",
        {"id": template["steps"][0]["id"], "name": "Lead"},
    )
    second = publish(client, admin, template["id"], "Renamed the first step")
    listed = versions(client, admin, template["id"])
    one = client.get(
        "/api/pipeline-template/version",
        params={"id": template["id"], "number": 1},
        headers=admin.headers,
    ).json()

    assert (first["number"], second["number"]) == (1, 2)
    assert [v["number"] for v in listed] == [2, 1]
    assert [v["note"] for v in listed] == ["Renamed the first step", "First cut"]
    assert listed[0]["published_by"]["id"] == str(admin.account_id)
    assert listed[0]["published_by"]["display_name"]
    assert listed[0]["published_at"]
    assert listed[0]["snapshot"] is None
    assert [step["name"] for step in one["snapshot"]["steps"]] == ["Step 1", "Step 2"]
    assert [step["name"] for step in second["snapshot"]["steps"]] == ["Lead", "Step 2"]


def test_publishing_an_unchanged_template_is_refused_naming_the_id(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=1)
    publish(client, admin, template["id"])

    response = client.post(
        "/api/pipeline-template/publish", json={"id": template["id"]}, headers=admin.headers
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "id"
    assert "nothing changed since version 1" in response.text
    assert len(versions(client, admin, template["id"])) == 1


def test_a_pipeline_records_the_latest_version_publishing_the_first_when_there_is_none(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=1)
    start = {"pipeline_template_id": template["id"], "name": "Q1"}

    first = post(client, admin, "/api/pipeline-instance/create", start)
    post(
        client,
        admin,
        "/api/step-template/update",
        {"id": template["steps"][0]["id"], "name": "New"},
    )
    publish(client, admin, template["id"])
    second = post(client, admin, "/api/pipeline-instance/create", {**start, "name": "Q2"})

    assert first["template_version"] == 1
    assert second["template_version"] == 2
    assert versions(client, admin, template["id"])[-1]["note"].startswith("Published automatically")


def test_the_diff_names_added_removed_renamed_reordered_steps_and_rule_changes(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=3)
    one, two, three = (step["id"] for step in template["steps"])
    post(
        client, admin, "/api/step-template/update-metadata", {"id": one, "metadata": {"lane": "a"}}
    )
    publish(client, admin, template["id"])

    post(client, admin, "/api/step-template/update", {"id": one, "name": "Lead"})
    delete_step(client, admin, two)
    added = post(
        client,
        admin,
        "/api/step-template/create",
        {"pipeline_template_id": template["id"], "name": "Won"},
    )
    post(
        client,
        admin,
        "/api/step-template/reorder",
        {"pipeline_template_id": template["id"], "step_ids": [three, one, added["id"]]},
    )
    post(
        client, admin, "/api/step-template/update-metadata", {"id": one, "metadata": {"lane": "b"}}
    )
    publish(client, admin, template["id"])

    result = diff(client, admin, template["id"], 1, 2)

    changes = result["changes"]
    assert [step["name"] for step in changes["added"]] == ["Won"]
    assert [step["name"] for step in changes["removed"]] == ["Step 2"]
    assert changes["renamed"] == [{"id": one, "before": "Step 1", "after": "Lead"}]
    assert {step["name"] for step in changes["reordered"]} == {"Lead", "Step 3"}
    family = changes["changed"][0]["families"][0]
    assert family["family"] == "metadata"
    assert family["changes"] == [{"kind": "changed", "key": "lane", "before": "a", "after": "b"}]
    assert "Step “Step 1” renamed to “Lead”." in result["words"]
    assert "Step “Won” added at position 3." in result["words"]
    assert "Step “Step 2” removed." in result["words"]
    assert diff(client, admin, template["id"], 2, 2)["words"] == []


def test_rollback_restores_the_steps_and_publishes_them_as_a_new_version(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=2)
    one, two = (step["id"] for step in template["steps"])
    first = publish(client, admin, template["id"])
    delete_step(client, admin, two)
    post(client, admin, "/api/step-template/update", {"id": one, "name": "Lead", "color": "red"})
    post(
        client,
        admin,
        "/api/step-template/create",
        {"pipeline_template_id": template["id"], "name": "Extra"},
    )
    publish(client, admin, template["id"])

    restored = post(
        client,
        admin,
        "/api/pipeline-template/rollback",
        {"id": template["id"], "version": 1, "note": "Back to basics"},
    )

    assert restored["number"] == 3
    assert restored["note"] == "Restores version 1. Back to basics"
    assert restored["snapshot"] == first["snapshot"]
    now = get_template(client, admin, template["id"])
    assert [(s["id"], s["name"], s["color"]) for s in now["steps"]] == [
        (one, "Step 1", None),
        (two, "Step 2", None),
    ]


def test_rollback_drops_a_step_from_the_draft_while_a_running_pipeline_keeps_its_copy(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=1)
    publish(client, admin, template["id"])
    post(
        client,
        admin,
        "/api/step-template/create",
        {"pipeline_template_id": template["id"], "name": "Extra"},
    )
    publish(client, admin, template["id"])
    busy = post(
        client,
        admin,
        "/api/pipeline-instance/create",
        {"pipeline_template_id": template["id"], "name": "Busy"},
    )

    response = client.post(
        "/api/pipeline-template/rollback",
        json={"id": template["id"], "version": 1},
        headers=admin.headers,
    )

    assert response.status_code == 201, response.text
    assert response.json()["number"] == 3
    assert [s["name"] for s in get_template(client, admin, template["id"])["steps"]] == ["Step 1"]
    running = client.get(
        "/api/pipeline-instance/get", params={"id": busy["id"]}, headers=admin.headers
    ).json()
    assert running["template_version"] == 2
    assert [s["name"] for s in running["steps"]] == ["Step 1", "Extra"]


def test_members_may_not_publish_roll_back_or_read_versions(
    client: TestClient, admin: Login, member: Login
) -> None:
    template = make_template(client, admin, steps=1)
    publish(client, admin, template["id"])
    calls = [
        client.post(
            "/api/pipeline-template/publish", json={"id": template["id"]}, headers=member.headers
        ),
        client.post(
            "/api/pipeline-template/rollback",
            json={"id": template["id"], "version": 1},
            headers=member.headers,
        ),
        client.get(
            "/api/pipeline-template/versions", params={"id": template["id"]}, headers=member.headers
        ),
        client.get(
            "/api/pipeline-template/diff",
            params={"id": template["id"], "from": 1, "to": 1},
            headers=member.headers,
        ),
    ]

    assert [call.status_code for call in calls] == [403, 403, 403, 403]


def test_unknown_templates_and_versions_answer_404_and_bad_numbers_422(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=1)
    publish(client, admin, template["id"])
    unknown = "00000000-0000-4000-8000-000000000000"

    missing_template = client.post(
        "/api/pipeline-template/publish", json={"id": unknown}, headers=admin.headers
    )
    missing_version = client.post(
        "/api/pipeline-template/rollback",
        json={"id": template["id"], "version": 7},
        headers=admin.headers,
    )
    missing_to = client.get(
        "/api/pipeline-template/diff",
        params={"id": template["id"], "from": 1, "to": 9},
        headers=admin.headers,
    )
    bad_number = client.get(
        "/api/pipeline-template/version",
        params={"id": template["id"], "number": 0},
        headers=admin.headers,
    )

    assert missing_template.status_code == 404
    assert missing_version.status_code == 404
    assert missing_version.json()["errors"][0]["field"] == "version"
    assert missing_to.status_code == 404
    assert missing_to.json()["errors"][0]["field"] == "to"
    assert bad_number.status_code == 422
    assert "number" in bad_number.text


def draft(client: TestClient, login: Login, template_id: str) -> Any:
    return read(client, login, "draft", {"id": template_id})


def test_the_draft_says_what_publishing_would_add_and_agrees_with_publish(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=2)
    one = template["steps"][0]["id"]
    before_any = draft(client, admin, template["id"])
    publish(client, admin, template["id"])
    clean = draft(client, admin, template["id"])
    post(client, admin, "/api/step-template/update", {"id": one, "name": "Lead"})
    edited = draft(client, admin, template["id"])
    publish(client, admin, template["id"])

    assert before_any["latest_version"] is None and before_any["unpublished"] is True
    assert clean == {
        "pipeline_template_id": template["id"],
        "latest_version": 1,
        "unpublished": False,
        "words": [],
        "by_step": [],
        "changes": clean["changes"],
    }
    assert edited["latest_version"] == 1 and edited["unpublished"] is True
    assert edited["words"] == ["Step “Step 1” renamed to “Lead”."]
    assert edited["by_step"] == [
        {"id": one, "name": "Lead", "words": ["Renamed from “Step 1” to “Lead”."]}
    ]
    assert draft(client, admin, template["id"])["unpublished"] is False


def test_the_diff_groups_its_sentences_per_step_in_the_newer_order(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=3)
    one, two, three = (step["id"] for step in template["steps"])
    publish(client, admin, template["id"])
    post(client, admin, "/api/step-template/update", {"id": one, "target_duration_days": 3})
    post(client, admin, "/api/step-template/update-metadata", {"id": three, "metadata": {"a": 1}})
    delete_step(client, admin, two)
    post(client, admin, "/api/pipeline-template/update", {"id": template["id"], "name": "Deals"})
    publish(client, admin, template["id"])

    groups = diff(client, admin, template["id"], 1, 2)["by_step"]

    assert [(group["id"], group["name"]) for group in groups] == [
        (None, "Template"),
        (one, "Step 1"),
        (three, "Step 3"),
        (two, "Step 2"),
    ]
    assert groups[0]["words"] == ["Name changed from “Sales” to “Deals”."]
    assert groups[1]["words"] == ["Target duration days changed from 10 to 3."]
    assert groups[2]["words"] == ["Setting “a” added."]  # not moved among the kept steps
    assert groups[3]["words"] == ["Removed."]


def test_a_manager_reads_the_draft_and_a_member_may_not(
    client: TestClient, container: Any, admin: Login, member: Login
) -> None:
    template = make_template(client, admin, steps=1)
    manager = make_login(container, slug="acme", username="mia", roles=["manager"])

    assert draft(client, manager, template["id"])["latest_version"] is None
    refused = client.get(
        "/api/pipeline-template/draft", params={"id": template["id"]}, headers=member.headers
    )
    missing = client.get(
        "/api/pipeline-template/draft",
        params={"id": "00000000-0000-4000-8000-000000000000"},
        headers=admin.headers,
    )
    bad = client.get("/api/pipeline-template/draft", params={"id": "x"}, headers=admin.headers)
    assert (refused.status_code, missing.status_code, bad.status_code) == (403, 404, 422)
