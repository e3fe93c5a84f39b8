"""/api/field-definition: create, list, get, update, delete; bad input is a clear 422."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Login


def create(client: TestClient, login: Login, **body: object) -> dict:
    response = client.post("/api/field-definition/create", json=body, headers=login.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_admin_defines_a_currency_field_and_reads_it_back(client: TestClient, admin: Login) -> None:
    created = create(
        client, admin, name="deal_value", label="Deal value", field_type="currency", min_value=0
    )

    fetched = client.get(
        "/api/field-definition/get", params={"id": created["id"]}, headers=admin.headers
    )
    listed = client.get("/api/field-definition/list", headers=admin.headers)

    assert fetched.status_code == 200
    assert fetched.json()["name"] == "deal_value"
    assert fetched.json()["field_type"] == "currency"
    assert [f["name"] for f in listed.json()] == ["deal_value"]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"name": "Deal Value", "label": "x", "field_type": "text"}, "name", "lower-case"),
        ({"name": "a", "label": "x", "field_type": "colour"}, "field_type", "must be one of"),
        ({"name": "a", "label": "x", "field_type": "dropdown"}, "options", "needs options"),
        ({"name": "a", "label": "x", "field_type": "text", "min_value": 1}, "min_value", "numeric"),
        ({"name": "a", "label": "x", "field_type": "text", "pattern": "(a"}, "pattern", "invalid"),
        (
            {"name": "a", "label": "x", "field_type": "number", "min_value": 5, "max_value": 1},
            "min_value",
            "max_value",
        ),
        ({"name": "a", "field_type": "text"}, "label", "required"),
        ({"name": "a", "label": "x", "field_type": "text", "colour": "red"}, "colour", "unknown"),
    ],
)
def test_a_bad_definition_is_refused_naming_the_field(
    client: TestClient, admin: Login, body: dict, field: str, fragment: str
) -> None:
    response = client.post("/api/field-definition/create", json=body, headers=admin.headers)

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert any(e["field"] == field and fragment in e["message"] for e in errors), errors
    assert client.get("/api/field-definition/list", headers=admin.headers).json() == []


def test_names_are_unique_and_immutable(client: TestClient, admin: Login) -> None:
    created = create(client, admin, name="stage_notes", label="Notes", field_type="long_text")

    duplicate = client.post(
        "/api/field-definition/create",
        json={"name": "stage_notes", "label": "Again", "field_type": "text"},
        headers=admin.headers,
    )
    rename = client.post(
        "/api/field-definition/update",
        json={"id": created["id"], "name": "notes"},
        headers=admin.headers,
    )
    relabel = client.post(
        "/api/field-definition/update",
        json={"id": created["id"], "label": "Stage notes"},
        headers=admin.headers,
    )

    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["field"] == "name"
    assert rename.status_code == 422
    assert relabel.status_code == 200
    assert relabel.json()["label"] == "Stage notes"


def test_delete_hides_the_field_and_frees_its_name(client: TestClient, admin: Login) -> None:
    created = create(client, admin, name="temp", label="Temp", field_type="text")

    deleted = client.post(
        "/api/field-definition/delete", json={"id": created["id"]}, headers=admin.headers
    )
    fetched = client.get(
        "/api/field-definition/get", params={"id": created["id"]}, headers=admin.headers
    )

    assert deleted.status_code == 204
    assert fetched.status_code == 404
    create(client, admin, name="temp", label="Temp again", field_type="number")


def test_members_cannot_define_fields(client: TestClient, member: Login) -> None:
    response = client.post(
        "/api/field-definition/create",
        json={"name": "x", "label": "x", "field_type": "text"},
        headers=member.headers,
    )

    assert response.status_code == 403


def test_requests_without_a_valid_token_are_refused(client: TestClient) -> None:
    missing = client.get("/api/field-definition/list")
    wrong = client.get("/api/field-definition/list", headers={"Authorization": "Bearer pt_nope"})

    assert missing.status_code == 401
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")


def test_login_returns_a_working_bearer_token(client: TestClient, admin: Login) -> None:
    response = client.post(
        "/api/auth/login",
        json={"tenant": "acme", "login": "ada", "password": "correct horse"},
    )
    bad = client.post(
        "/api/auth/login", json={"tenant": "acme", "login": "ada", "password": "wrong"}
    )

    assert response.status_code == 200
    token = response.json()["token"]
    listed = client.get("/api/field-definition/list", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    assert bad.status_code == 401
