"""A refused request says what is wrong in PaceTrack's words, never in Pydantic's."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields

LIBRARY_WORDING = ("Input should", "String should", "Field required", "Value error", "List should")


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    define_fields(container, admin.tenant_id, [FieldDef(name="deal_value", field_type="currency")])
    return build_pipeline(container, admin.tenant_id, [StepDef(name="Lead", config={})])


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/api/account/create", {"username": "x"}, "email", "is required"),
        ("/api/account/create", {"email": 5, "username": "x"}, "email", "must be text"),
        (
            "/api/account/create",
            {"email": "a@b.example", "username": "x" * 65},
            "username",
            "must be at most 64 characters",
        ),
        ("/api/role/create", {"name": ""}, "name", "must not be empty"),
        (
            "/api/field-definition/create",
            {"name": "n", "label": "N", "field_type": "colour"},
            "field_type",
            "must be one of text, long_text",
        ),
        (
            "/api/field-definition/create",
            {"name": "n", "label": "N", "field_type": "number", "precision": 11},
            "precision",
            "must be at most 10",
        ),
        (
            "/api/item/bulk-assign",
            {"mode": "add", "account_ids": ["nope"], "items": []},
            "account_ids[0]",
            "must be an id (a UUID)",
        ),
        ("/api/notification/mark-read", {"all": "maybe"}, "all", "must be true or false"),
    ],
)
def test_request_refusals_are_worded_for_people(
    client: TestClient, admin: Login, path: str, body: dict[str, Any], field: str, message: str
) -> None:
    response = client.post(path, json=body, headers=admin.headers)

    assert response.status_code == 422, response.text
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert errors[field].startswith(message), errors
    assert not any(words in response.text for words in LIBRARY_WORDING), response.text


def test_a_configuration_document_is_refused_in_the_same_words(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    step_id = pipeline.step_templates["Lead"]
    rules: list[dict[str, Any]] = [
        {"id": "r1", "type": "field_min_value", "field_id": "deal_value", "min_value": "x"},
        {"id": "r2", "type": "field_required"},
        {"id": "r3", "type": "field_required", "field_id": "deal_value", "colour": 1},
    ]
    response = client.post(
        "/api/step-template/update-validations",
        json={"id": str(step_id), "validations": rules},
        headers=admin.headers,
    )

    assert response.status_code == 422, response.text
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert errors["validations[0].min_value"] == "must be a number"
    assert errors["validations[1].field_id"] == "is required"
    assert errors["validations[2].colour"] == "unknown property"
    assert not any(words in response.text for words in LIBRARY_WORDING), response.text


def test_a_stored_limit_reads_as_people_write_it(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    created = client.post(
        "/api/field-definition/create",
        json={"name": "headcount", "label": "Headcount", "field_type": "number", "min_value": "0"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text

    refused = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(pipeline.instance_id),
            "name": "Initech",
            "field_values": {"headcount": -1},
        },
        headers=admin.headers,
    )

    assert refused.status_code == 422
    errors = {error["field"]: error["message"] for error in refused.json()["errors"]}
    assert errors["field_values.headcount"] == "Headcount must be at least 0"
