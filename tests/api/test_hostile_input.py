"""Hostile input is refused with a 422 naming the field, before any database work, and
changes nothing: unbounded numbers, NUL characters, lone surrogates, integers past
the database's range and deeply nested JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields

FIELDS = [
    FieldDef(name="actual_leads", field_type="number"),
    FieldDef(name="deal_value", field_type="currency"),
    FieldDef(name="notes", field_type="text"),
    FieldDef(name="dimensions", field_type="object"),
]


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    define_fields(container, admin.tenant_id, FIELDS)
    return build_pipeline(container, admin.tenant_id, [StepDef(name="Lead", config={})])


def refused_fields(response: object) -> list[str]:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    return [error["field"] for error in response.json()["errors"]]  # type: ignore[attr-defined]


def item_count(client: TestClient, login: Login, pipeline: Pipeline) -> int:
    response = client.get(
        "/api/item/list",
        params={"pipeline_instance_id": str(pipeline.instance_id)},
        headers=login.headers,
    )
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def post_raw(client: TestClient, path: str, body: str, login: Login) -> object:
    return client.post(
        path,
        content=body.encode("utf-8"),
        headers={**login.headers, "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actual_leads", "1e999999999"),
        ("actual_leads", "1e9999999"),
        ("actual_leads", "-1e308"),
        ("actual_leads", "1e-999999999"),
        ("deal_value", "9" * 40),
    ],
)
def test_an_unbounded_number_is_refused_on_create_and_update(
    client: TestClient, admin: Login, pipeline: Pipeline, field: str, value: str
) -> None:
    create = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(pipeline.instance_id),
            "name": "Deal",
            "field_values": {field: value},
        },
        headers=admin.headers,
    )
    assert refused_fields(create) == [f"field_values.{field}"]
    assert item_count(client, admin, pipeline) == 0

    item = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(pipeline.instance_id),
            "name": "Deal",
            "field_values": {field: "12"},
        },
        headers=admin.headers,
    ).json()
    update = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {field: value}},
        headers=admin.headers,
    )
    assert refused_fields(update) == [f"field_values.{field}"]
    after = client.get("/api/item/get", params={"id": item["id"]}, headers=admin.headers).json()[
        "item"
    ]
    assert after["version"] == item["version"]
    assert after["field_values"][field] == item["field_values"][field]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/item/create", {"name": "Deal\u0000"}, "name"),
        ("/api/item/create", {"field_values": {"notes": "a\u0000b"}}, "field_values.notes"),
        (
            "/api/item/create",
            {"field_values": {"dimensions": {"label": "x\u0000"}}},
            "field_values.dimensions.label",
        ),
    ],
)
def test_nul_characters_in_item_text_are_refused(
    client: TestClient,
    admin: Login,
    pipeline: Pipeline,
    path: str,
    body: dict[str, object],
    field: str,
) -> None:
    payload = {"pipeline_instance_id": str(pipeline.instance_id), "name": "Deal", **body}
    assert refused_fields(client.post(path, json=payload, headers=admin.headers)) == [field]
    assert item_count(client, admin, pipeline) == 0


def test_a_lone_surrogate_is_refused(client: TestClient, admin: Login, pipeline: Pipeline) -> None:
    body = (
        '{"pipeline_instance_id": "' + str(pipeline.instance_id) + '", "name": "Deal \\ud800", '
        '"field_values": {"notes": "ok"}}'
    )
    assert refused_fields(post_raw(client, "/api/item/create", body, admin)) == ["name"]
    nested = (
        '{"pipeline_instance_id": "' + str(pipeline.instance_id) + '", "name": "Deal", '
        '"field_values": {"dimensions": {"k": ["\\udfff"]}}}'
    )
    assert refused_fields(post_raw(client, "/api/item/create", nested, admin)) == [
        "field_values.dimensions.k[0]"
    ]
    assert item_count(client, admin, pipeline) == 0


def test_nul_characters_in_names_labels_and_emails_are_refused(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    before_fields = client.get("/api/field-definition/list", headers=admin.headers).json()
    before_templates = client.get("/api/pipeline-template/list", headers=admin.headers).json()
    before_accounts = client.get("/api/account/list", headers=admin.headers).json()

    cases = [
        ("/api/field-definition/create", {"name": "x", "label": "X\u0000", "field_type": "text"}),
        ("/api/pipeline-template/create", {"name": "Sales\u0000"}),
        (
            "/api/step-template/create",
            {"pipeline_template_id": str(pipeline.template_id), "name": "Won\u0000"},
        ),
        ("/api/account/create", {"email": "a\u0000@acme.example", "username": "a"}),
    ]
    for path, body in cases:
        response = client.post(path, json=body, headers=admin.headers)
        field = next(key for key, value in body.items() if "\u0000" in str(value))
        assert refused_fields(response) == [field], path

    assert client.get("/api/field-definition/list", headers=admin.headers).json() == before_fields
    assert (
        client.get("/api/pipeline-template/list", headers=admin.headers).json() == before_templates
    )
    assert client.get("/api/account/list", headers=admin.headers).json() == before_accounts


@pytest.mark.parametrize(
    "limit", ["-1e308", "1" * 400, "1e999999999", "0.00000000000000000001"], ids=str
)
def test_a_field_definition_limit_past_the_column_is_refused(
    client: TestClient, admin: Login, limit: str
) -> None:
    response = client.post(
        "/api/field-definition/create",
        json={"name": "budget", "label": "Budget", "field_type": "number", "min_value": limit},
        headers=admin.headers,
    )
    assert refused_fields(response) == ["min_value"]
    names = [
        f["name"] for f in client.get("/api/field-definition/list", headers=admin.headers).json()
    ]
    assert "budget" not in names


@pytest.mark.parametrize("path", ["/api/item/list", "/api/notification/list", "/api/audit/list"])
def test_an_offset_past_64_bits_is_refused(client: TestClient, admin: Login, path: str) -> None:
    response = client.get(path, params={"offset": str(2**64)}, headers=admin.headers)
    assert refused_fields(response) == ["offset"]


def test_a_step_order_past_the_column_is_refused(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    before = client.get(
        "/api/pipeline-template/get",
        params={"id": str(pipeline.template_id)},
        headers=admin.headers,
    ).json()
    response = client.post(
        "/api/step-template/create",
        json={"pipeline_template_id": str(pipeline.template_id), "name": "Won", "order": 2**64},
        headers=admin.headers,
    )
    assert refused_fields(response) == ["order"]
    after = client.get(
        "/api/pipeline-template/get",
        params={"id": str(pipeline.template_id)},
        headers=admin.headers,
    ).json()
    assert [s["name"] for s in after["steps"]] == [s["name"] for s in before["steps"]]


def test_an_expected_version_past_the_column_is_refused(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    item = client.post(
        "/api/item/create",
        json={"pipeline_instance_id": str(pipeline.instance_id), "name": "Deal"},
        headers=admin.headers,
    ).json()
    response = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"notes": "x"}, "expected_version": 2**64},
        headers=admin.headers,
    )
    assert refused_fields(response) == ["expected_version"]


def test_json_nested_past_the_bound_is_refused(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    nested: object = "leaf"
    for _ in range(40):
        nested = {"k": nested}
    response = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(pipeline.instance_id),
            "name": "Deal",
            "field_values": {"dimensions": nested},
        },
        headers=admin.headers,
    )
    (field,) = refused_fields(response)
    assert field.startswith("field_values.dimensions.k.k")
    assert item_count(client, admin, pipeline) == 0


def test_a_config_document_with_a_nul_is_refused_naming_its_place(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    step_id = pipeline.step_templates["Lead"]
    rules = [{"id": "r1", "type": "custom", "expression": "notes != '\u0000'", "message": "x"}]
    response = client.post(
        "/api/step-template/update-validations",
        json={"id": str(step_id), "validations": rules},
        headers=admin.headers,
    )
    assert refused_fields(response) == ["validations[0].expression"]
    step = client.get(
        "/api/step-template/get", params={"id": str(step_id)}, headers=admin.headers
    ).json()
    assert step["validations"] == []


def test_the_openapi_declares_every_error_as_a_problem(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        if path == "/healthz":
            continue
        for method, operation in item.items():
            for status in ("401", "403", "404", "409", "422"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
            if "requestBody" in operation:
                assert {"400", "413"} <= set(operation["responses"]), (method, path)


def test_every_request_string_in_the_openapi_is_bounded(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    unbounded: list[str] = []

    def visit(node: object, where: str) -> None:
        if isinstance(node, dict):
            plain = node.get("type") == "string" and not {"format", "enum"} & set(node)
            if plain and not {"maxLength", "pattern"} & set(node):
                unbounded.append(where)
            for key, value in node.items():
                visit(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{where}/{index}")

    components = schema["components"]["schemas"]
    requested = {
        ref.rsplit("/", 1)[-1]
        for item in schema["paths"].values()
        for operation in item.values()
        for ref in [
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema", {})
            .get("$ref", "")
        ]
        if ref
    }
    for name in sorted(requested):
        visit(components[name], name)
    assert unbounded == []


def test_every_integer_parameter_in_the_openapi_has_a_maximum(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    unbounded = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                spec = parameter.get("schema", {})
                for branch in spec.get("anyOf", [spec]):
                    if branch.get("type") == "integer" and "maximum" not in branch:
                        unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []
