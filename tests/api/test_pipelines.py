"""/api/pipeline-instance: instances copy their template's steps; step overrides are checked."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_templates import define_fields, get_template, make_template, post
from tests.conftest import Login


def start(client: TestClient, login: Login, template_id: str, name: str = "Q1") -> dict:
    return post(
        client,
        login,
        "/api/pipeline-instance/create",
        {"pipeline_template_id": template_id, "name": name},
    )


def test_creating_an_instance_copies_the_live_steps_in_order(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=3)
    client.post(
        "/api/step-template/delete", json={"id": template["steps"][1]["id"]}, headers=admin.headers
    )

    created = start(client, admin, template["id"])
    fetched = client.get(
        "/api/pipeline-instance/get", params={"id": created["id"]}, headers=admin.headers
    ).json()
    listed = client.get(
        "/api/pipeline-instance/list",
        params={"pipeline_template_id": template["id"]},
        headers=admin.headers,
    ).json()

    assert created["owner_account_id"] == str(admin.account_id)
    assert created["status"] == "active"
    steps = fetched["steps"]
    assert [s["name"] for s in steps] == ["Step 1", "Step 3"]
    assert [s["step_template_id"] for s in steps] == [
        template["steps"][0]["id"],
        template["steps"][2]["id"],
    ]
    assert all(s["config_overrides"] == {} and s["status"] == "not_started" for s in steps)
    assert [i["id"] for i in listed] == [created["id"]]


def test_an_instance_needs_a_template_with_steps_and_a_known_owner(
    client: TestClient, admin: Login, other_admin: Login
) -> None:
    empty = make_template(client, admin, name="Empty", steps=0)
    full = make_template(client, admin, name="Full", steps=1)

    no_steps = client.post(
        "/api/pipeline-instance/create",
        json={"pipeline_template_id": empty["id"], "name": "x"},
        headers=admin.headers,
    )
    foreign_owner = client.post(
        "/api/pipeline-instance/create",
        json={
            "pipeline_template_id": full["id"],
            "name": "x",
            "owner_account_id": str(other_admin.account_id),
        },
        headers=admin.headers,
    )
    foreign_template = client.post(
        "/api/pipeline-instance/create",
        json={"pipeline_template_id": full["id"], "name": "x"},
        headers=other_admin.headers,
    )

    assert no_steps.status_code == 409
    assert no_steps.json()["errors"][0]["field"] == "pipeline_template_id"
    assert foreign_owner.status_code == 404
    assert foreign_owner.json()["errors"][0]["field"] == "owner_account_id"
    assert foreign_template.status_code == 404
    assert client.get("/api/pipeline-instance/list", headers=admin.headers).json() == []


def test_members_cannot_start_pipelines_or_override_steps(
    client: TestClient, admin: Login, member: Login
) -> None:
    template = make_template(client, admin, steps=1)
    instance = start(client, admin, template["id"])

    create = client.post(
        "/api/pipeline-instance/create",
        json={"pipeline_template_id": template["id"], "name": "mine"},
        headers=member.headers,
    )
    override = client.post(
        "/api/pipeline-instance/update-step-overrides",
        json={"step_id": instance["steps"][0]["id"], "config_overrides": {"metadata": {"a": 1}}},
        headers=member.headers,
    )
    read = client.get(
        "/api/pipeline-instance/get", params={"id": instance["id"]}, headers=member.headers
    )

    assert (create.status_code, override.status_code, read.status_code) == (403, 403, 200)
    assert read.json()["steps"][0]["config_overrides"] == {}


def test_step_overrides_are_checked_like_template_configs(client: TestClient, admin: Login) -> None:
    define_fields(client, admin)
    template = make_template(client, admin, steps=1)
    step_id = start(client, admin, template["id"])["steps"][0]["id"]
    route = "/api/pipeline-instance/update-step-overrides"

    stored = post(
        client,
        admin,
        route,
        {
            "step_id": step_id,
            "config_overrides": {
                "validations": [
                    {
                        "id": "min_deal_value",
                        "type": "field_min_value",
                        "field_id": "deal_value",
                        "min_value": 10000,
                    }
                ],
                "metadata": {"requires_approval": True},
                "target_duration_days": 5,
            },
        },
    )
    refused = {
        name: client.post(
            route, json={"step_id": step_id, "config_overrides": overrides}, headers=admin.headers
        )
        for name, overrides in {
            "unknown field": {
                "validations": [
                    {"id": "v", "type": "field_required", "field_id": "deal_valu"},
                ]
            },
            "missing property": {
                "validations": [{"id": "v", "type": "field_min_value", "field_id": "deal_value"}]
            },
            "bad regex": {
                "validations": [
                    {
                        "id": "v",
                        "type": "field_pattern",
                        "field_id": "tracking_number",
                        "pattern": "(",
                    }
                ]
            },
            "unknown family": {"colours": []},
            "at risk without target": {
                "target_duration_days": None,
                "notifications": [
                    {"id": "n", "trigger": "at_risk", "recipients": [{"type": "owner"}]}
                ],
            },
        }.items()
    }

    assert stored["config_overrides"]["validations"][0]["min_value"] == "10000"
    assert stored["config_overrides"]["target_duration_days"] == 5
    paths = {
        name: [e["field"] for e in response.json()["errors"]] for name, response in refused.items()
    }
    assert all(response.status_code == 422 for response in refused.values()), paths
    assert paths == {
        "unknown field": ["config_overrides.validations[0].field_id"],
        "missing property": ["config_overrides.validations[0].min_value"],
        "bad regex": ["config_overrides.validations[0].pattern"],
        "unknown family": ["config_overrides.colours"],
        "at risk without target": ["config_overrides.notifications[0].trigger"],
    }
    assert "did you mean `deal_value`" in refused["unknown field"].json()["errors"][0]["message"]
    instance_steps = client.get(
        "/api/pipeline-instance/get",
        params={"id": stored["pipeline_instance_id"]},
        headers=admin.headers,
    ).json()["steps"]
    assert instance_steps[0]["config_overrides"] == stored["config_overrides"]
    assert get_template(client, admin, template["id"])["steps"][0]["validations"] == []


def test_another_tenants_instances_and_steps_answer_404(
    client: TestClient, admin: Login, other_admin: Login
) -> None:
    template = make_template(client, admin, steps=1)
    instance = start(client, admin, template["id"])

    read = client.get(
        "/api/pipeline-instance/get", params={"id": instance["id"]}, headers=other_admin.headers
    )
    override = client.post(
        "/api/pipeline-instance/update-step-overrides",
        json={"step_id": instance["steps"][0]["id"], "config_overrides": {}},
        headers=other_admin.headers,
    )
    listed = client.get("/api/pipeline-instance/list", headers=other_admin.headers)

    assert (read.status_code, override.status_code) == (404, 404)
    assert listed.json() == []
