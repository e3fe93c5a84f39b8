"""Per-tenant feature flags over HTTP: every save path refuses a disabled family (422 naming
it, nothing changed), capabilities answer 403, existing configs keep working and are listed,
and only the operator changes flags."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from pacetrack.services.template_transfer import FORMAT
from pacetrack.services.templates import LIST_FAMILIES
from pacetrack.web.app import create_app
from tests.api.test_items_moves import pipeline
from tests.api.test_templates import get_step, make_template, post
from tests.conftest import Login
from tests.services.moves_support import Pipeline
from tests.support.features import switch

__all__ = ["pipeline"]  # the fixture, shared with the move tests

OPERATOR_TOKEN = "operator-" + "x" * 40
FAMILIES = LIST_FAMILIES
# Any non-empty list uses a family; the flag is checked before the rules themselves.
SOME_RULES = [{"id": "rule_1"}]
DOCUMENT = {"format": FORMAT, "name": "Imported", "fields": []}


def problems(response: Any) -> list[tuple[str, str]]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [(error["field"], error["message"]) for error in response.json()["errors"]]


def refused(family: str) -> str:
    return f"the {family.replace('_', ' ')} family is not enabled for this organisation"


@pytest.fixture
def operator_client(container: Container) -> Iterator[TestClient]:
    container.settings = container.settings.model_copy(update={"operator_token": OPERATOR_TOKEN})
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("family", FAMILIES)
def test_every_save_path_refuses_a_disabled_family_by_name_and_changes_nothing(
    client: TestClient, container: Container, admin: Login, family: str
) -> None:
    template = make_template(client, admin, steps=1)
    step = template["steps"][0]
    instance = post(
        client,
        admin,
        "/api/pipeline-instance/create",
        {"pipeline_template_id": template["id"], "name": "Q1"},
    )
    switch(container, admin.tenant_slug, disable=[f"family.{family}"])

    update = client.post(
        f"/api/step-template/update-{family.replace('_', '-')}",
        json={"id": step["id"], family: SOME_RULES},
        headers=admin.headers,
    )
    create = client.post(
        "/api/step-template/create",
        json={"pipeline_template_id": template["id"], "name": "New", family: SOME_RULES},
        headers=admin.headers,
    )
    imported = client.post(
        "/api/pipeline-template/import",
        json={"document": {**DOCUMENT, "steps": [{"name": "Only", family: SOME_RULES}]}},
        headers=admin.headers,
    )
    override = client.post(
        "/api/pipeline-instance/update-step-overrides",
        json={"step_id": instance["steps"][0]["id"], "config_overrides": {family: SOME_RULES}},
        headers=admin.headers,
    )
    draft = client.post(
        "/api/step-template/simulate",
        json={"step_id": step["id"], family: SOME_RULES, "field_values": {}},
        headers=admin.headers,
    )

    assert update.status_code == 422 and problems(update) == [(family, refused(family))]
    assert create.status_code == 422 and problems(create) == [(family, refused(family))]
    assert imported.status_code == 422
    assert problems(imported) == [(f"steps[0].{family}", refused(family))]
    assert override.status_code == 422
    assert problems(override) == [(f"config_overrides.{family}", refused(family))]
    assert draft.status_code == 422 and problems(draft) == [(family, refused(family))]
    assert get_step(client, admin, step["id"])[family] == []
    names = [
        t["name"] for t in client.get("/api/pipeline-template/list", headers=admin.headers).json()
    ]
    assert names == ["Sales"]
    read = client.get(
        "/api/pipeline-instance/get", params={"id": instance["id"]}, headers=admin.headers
    )
    assert read.json()["steps"][0]["config_overrides"] == {}


def test_a_disabled_family_may_still_be_saved_empty_and_other_tenants_are_not_affected(
    client: TestClient, container: Container, admin: Login, other_admin: Login
) -> None:
    mine = make_template(client, admin, steps=1)["steps"][0]
    theirs = make_template(client, other_admin, steps=1)["steps"][0]
    switch(container, admin.tenant_slug, disable=["family.validations"])
    rule = [
        {
            "id": "needs_nothing",
            "type": "custom_expression",
            "expression": "true",
            "error_message": "x",
        }
    ]

    cleared = client.post(
        "/api/step-template/update-validations",
        json={"id": mine["id"], "validations": []},
        headers=admin.headers,
    )
    settings = client.post(
        "/api/step-template/update-metadata",
        json={"id": mine["id"], "metadata": {"color": "#112233"}},
        headers=admin.headers,
    )
    entry_rules = client.post(
        "/api/step-template/update-metadata",
        json={"id": mine["id"], "metadata": {"entry_validations": rule}},
        headers=admin.headers,
    )
    other = client.post(
        "/api/step-template/update-validations",
        json={"id": theirs["id"], "validations": rule},
        headers=other_admin.headers,
    )

    assert cleared.status_code == 200, cleared.text
    assert settings.status_code == 200, settings.text
    assert entry_rules.status_code == 422
    assert problems(entry_rules) == [("metadata.entry_validations", refused("validations"))]
    assert other.status_code == 200, other.text


def test_existing_configs_of_a_disabled_family_keep_working_and_are_reported(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    switch(container, admin.tenant_slug, disable=["family.validations"])
    created = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(pipeline.instance_id),
            "name": "Candidate",
            "field_values": {"score": 1},
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text

    move = client.post(
        "/api/item/move-to-step",
        json={"id": created.json()["id"], "step_id": str(pipeline.step("Onsite"))},
        headers=admin.headers,
    )
    listed = client.get("/api/tenant/features", headers=admin.headers)

    assert move.status_code == 422  # the saved rule still blocks the weak candidate
    assert "good_score" in move.text
    flags = {flag["name"]: flag for flag in listed.json()["features"]}
    validations = flags["family.validations"]
    assert (validations["enabled"], validations["is_default"]) == (False, False)
    assert validations["updated_by"] == "test"
    [use] = validations["in_use"]
    assert (use["step"], use["rules"], use["running"]) == ("Screen", 1, False)
    assert use["pipeline"].startswith("Pipeline ")
    assert use["words"].endswith("step “Screen”: 1 rule")
    assert flags["family.automations"] == {
        "name": "family.automations",
        "description": flags["family.automations"]["description"],
        "enabled": True,
        "is_default": True,
        "updated_at": None,
        "updated_by": None,
        "in_use": [],
    }


def test_capabilities_answer_403_when_disabled_and_work_when_enabled(
    client: TestClient, container: Container, admin: Login
) -> None:
    unknown = str(uuid.uuid4())
    requests = {
        "studio.simulation": ("/api/step-template/simulate", {"field_values": {}}),
        "items.bulk_actions": ("/api/item/bulk-move", {"item_ids": [unknown], "step_id": unknown}),
    }
    bulk_assign = {"items": [{"id": unknown}], "mode": "remove", "account_ids": []}

    before = {
        name: client.post(path, json=body, headers=admin.headers)
        for name, (path, body) in requests.items()
    }
    switch(container, admin.tenant_slug, disable=list(requests))
    after = {
        name: client.post(path, json=body, headers=admin.headers)
        for name, (path, body) in requests.items()
    }
    assign = client.post("/api/item/bulk-assign", json=bulk_assign, headers=admin.headers)
    switch(container, admin.tenant_slug, enable=list(requests))
    again = client.post(
        *requests["items.bulk_actions"][:1],
        json=requests["items.bulk_actions"][1],
        headers=admin.headers,
    )

    assert {name: r.status_code for name, r in before.items()} == dict.fromkeys(requests, 200)
    assert {name: r.status_code for name, r in after.items()} == dict.fromkeys(requests, 403)
    assert after["studio.simulation"].json()["detail"] == (
        "Simulating a step configuration in the studio is not enabled for this organisation."
    )
    assert after["items.bulk_actions"].json()["detail"] == (
        "Moving and assigning many items at once is not enabled for this organisation."
    )
    assert assign.status_code == 403
    assert again.status_code == 200
    assert again.json()["results"][0]["status"] == "not_found"


def test_admins_read_the_flags_members_may_not_and_only_the_operator_changes_them(
    operator_client: TestClient, admin: Login, member: Login
) -> None:
    change = {"tenant": admin.tenant_slug, "disable": ["family.automations"]}

    read = operator_client.get("/api/tenant/features", headers=admin.headers)
    member_read = operator_client.get("/api/tenant/features", headers=member.headers)
    by_admin = operator_client.post(
        "/api/tenant/update-features", json=change, headers=admin.headers
    )
    anonymous = operator_client.post("/api/tenant/update-features", json=change)
    wrong = operator_client.post(
        "/api/tenant/update-features", json=change, headers={"Authorization": "Bearer nope"}
    )
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    by_operator = operator_client.post("/api/tenant/update-features", json=change, headers=operator)
    after = operator_client.get("/api/tenant/features", headers=admin.headers)

    assert read.status_code == 200
    assert read.json()["tenant"] == admin.tenant_slug
    assert all(flag["enabled"] and flag["is_default"] for flag in read.json()["features"])
    assert member_read.status_code == 403
    assert by_admin.status_code == 403 and "operator" in by_admin.json()["detail"]
    assert (anonymous.status_code, wrong.status_code) == (401, 401)
    assert by_operator.status_code == 200, by_operator.text
    flags = {flag["name"]: flag for flag in after.json()["features"]}
    assert flags["family.automations"]["enabled"] is False
    assert flags["family.automations"]["updated_by"] == "operator token"


def test_unknown_flags_contradictions_and_unknown_tenants_are_refused_by_field(
    operator_client: TestClient, admin: Login
) -> None:
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}

    def change(body: dict[str, Any]) -> Any:
        return operator_client.post("/api/tenant/update-features", json=body, headers=operator)

    unknown = change({"tenant": admin.tenant_slug, "disable": ["family.metadata"]})
    both = change(
        {
            "tenant": admin.tenant_slug,
            "enable": ["studio.simulation"],
            "disable": ["studio.simulation"],
        }
    )
    nobody = change({"tenant": "no-such-tenant", "disable": ["studio.simulation"]})
    flags = operator_client.get("/api/tenant/features", headers=admin.headers).json()["features"]

    assert unknown.status_code == 422
    assert [field for field, _ in problems(unknown)] == ["disable[0]"]
    assert both.status_code == 422
    assert problems(both) == [("disable[0]", "“studio.simulation” is also in enable")]
    assert nobody.status_code == 404
    assert all(flag["enabled"] for flag in flags)


def test_without_an_operator_token_configured_no_bearer_changes_flags(
    client: TestClient, admin: Login
) -> None:
    change = {"tenant": admin.tenant_slug, "disable": ["family.automations"]}

    refused_admin = client.post("/api/tenant/update-features", json=change, headers=admin.headers)
    empty = client.post(
        "/api/tenant/update-features", json=change, headers={"Authorization": "Bearer "}
    )

    assert refused_admin.status_code == 403
    assert empty.status_code == 401


def test_a_whole_document_save_may_keep_a_disabled_family_as_it_is_stored(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    screen = str(pipeline.step("Screen"))
    rule = {"id": "better_score", "type": "field_min_value", "field_id": "score", "min_value": 4}
    post(
        client,
        admin,
        "/api/pipeline-instance/update-step-overrides",
        {"step_id": screen, "config_overrides": {"validations": [rule]}},
    )
    instance = client.get(
        "/api/pipeline-instance/get",
        params={"id": str(pipeline.instance_id)},
        headers=admin.headers,
    ).json()
    stored = next(s for s in instance["steps"] if s["id"] == screen)["config_overrides"]
    switch(container, admin.tenant_slug, disable=["family.validations"])

    def override(config: dict[str, Any]) -> Any:
        return client.post(
            "/api/pipeline-instance/update-step-overrides",
            json={"step_id": screen, "config_overrides": config},
            headers=admin.headers,
        )

    kept = override({**stored, "metadata": {"color": "#112233"}})
    changed = override({"validations": [rule, {**rule, "id": "another"}]})

    assert kept.status_code == 200, kept.text
    assert kept.json()["config_overrides"]["validations"] == stored["validations"]
    assert changed.status_code == 422
    assert problems(changed) == [("config_overrides.validations", refused("validations"))]
