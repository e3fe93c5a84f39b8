"""/api/template-library/{list,get,instantiate} on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from pacetrack.bootstrap import Container
from pacetrack.db.tables import FieldDefinition, PipelineTemplate, StepTemplate
from pacetrack.services.template_transfer import library_documents
from tests.api.studio_support import database_snapshot
from tests.conftest import Login, make_login


def count(container: Container, model: Any) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar_one())


def test_the_list_names_every_shipped_template_with_its_steps(
    client: TestClient, admin: Login
) -> None:
    response = client.get("/api/template-library/list", headers=admin.headers)
    assert response.status_code == 200, response.text
    listed = {entry["key"]: entry for entry in response.json()}
    assert set(listed) == set(library_documents())
    assert listed["sales"] == {
        "key": "sales",
        "name": "Sales pipeline",
        "description": "B2B deals from lead to close.",
        "step_count": 7,
        "step_names": [
            "Lead",
            "Qualified",
            "Demo",
            "Proposal",
            "Negotiation",
            "Closed Won",
            "Closed Lost",
        ],
    }


def test_a_preview_shows_the_fields_and_each_steps_rules(client: TestClient, member: Login) -> None:
    response = client.get(
        "/api/template-library/get", params={"key": "sales"}, headers=member.headers
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    assert "deal_value" in {field["name"] for field in preview["fields"]}
    steps = {step["name"]: step for step in preview["steps"]}
    qualified = steps["Qualified"]
    assert qualified["rule_ids"]["validations"] == ["min_deal_value"]
    assert qualified["rule_counts"]["automations"] == 1
    assert qualified["visible_fields"] == ["deal_value", "decision_maker", "company_size"]
    assert steps["Negotiation"]["rule_ids"]["notifications"] == ["stalled_negotiation", "big_deal"]
    assert steps["Closed Won"]["metadata"] == {"terminal": {"outcome": "won"}}


def test_an_unknown_key_is_404_naming_it(client: TestClient, admin: Login) -> None:
    response = client.get(
        "/api/template-library/get", params={"key": "cooking"}, headers=admin.headers
    )
    assert response.status_code == 404
    assert [e["field"] for e in response.json()["errors"]] == ["key"]
    response = client.post(
        "/api/template-library/instantiate", json={"key": "cooking"}, headers=admin.headers
    )
    assert response.status_code == 404
    assert [e["field"] for e in response.json()["errors"]] == ["key"]


def test_instantiating_creates_the_template_through_the_import_path(
    client: TestClient, container: Container, admin: Login
) -> None:
    response = client.post(
        "/api/template-library/instantiate", json={"key": "sales"}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "Sales pipeline"
    assert [step["name"] for step in created["steps"]][:2] == ["Lead", "Qualified"]
    qualified = created["steps"][1]
    assert qualified["validations"][0]["id"] == "min_deal_value"
    fields = client.get("/api/field-definition/list", headers=admin.headers).json()
    assert "deal_value" in {field["name"] for field in fields}

    renamed = client.post(
        "/api/template-library/instantiate",
        json={"key": "sales", "name": "Sales EMEA"},
        headers=admin.headers,
    )
    assert renamed.status_code == 201, renamed.text
    assert renamed.json()["name"] == "Sales EMEA"
    assert count(container, PipelineTemplate) == 2


def test_a_taken_name_is_409_naming_it_and_changes_nothing(
    client: TestClient, container: Container, admin: Login
) -> None:
    first = client.post(
        "/api/template-library/instantiate", json={"key": "sales"}, headers=admin.headers
    )
    assert first.status_code == 201
    before = database_snapshot(container)
    again = client.post(
        "/api/template-library/instantiate", json={"key": "sales"}, headers=admin.headers
    )
    assert again.status_code == 409
    assert [e["field"] for e in again.json()["errors"]] == ["name"]
    assert database_snapshot(container) == before


def test_a_field_that_clashes_with_the_tenants_is_409_and_changes_nothing(
    client: TestClient, container: Container, admin: Login
) -> None:
    made = client.post(
        "/api/field-definition/create",
        json={"name": "deal_value", "label": "Deal value", "field_type": "text"},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    before = database_snapshot(container)
    response = client.post(
        "/api/template-library/instantiate", json={"key": "sales"}, headers=admin.headers
    )
    assert response.status_code == 409, response.text
    [problem] = response.json()["errors"]
    assert problem["field"] == "key"
    assert "deal_value" in problem["message"]
    assert database_snapshot(container) == before


def test_only_admins_instantiate(client: TestClient, container: Container, admin: Login) -> None:
    manager = make_login(container, slug="acme", username="mia", roles=["manager"])
    for login in (manager, make_login(container, slug="acme", username="mo", roles=["member"])):
        response = client.post(
            "/api/template-library/instantiate", json={"key": "sales"}, headers=login.headers
        )
        assert response.status_code == 403
    assert count(container, StepTemplate) == 0
    assert count(container, FieldDefinition) == 0


def test_bad_input_is_422_naming_the_field(client: TestClient, admin: Login) -> None:
    response = client.post(
        "/api/template-library/instantiate",
        json={"key": "Sales!", "name": ""},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"key", "name"}
