"""/api/item/{create,get,update-fields,list}: canonical values, 422s that name the field, 409s."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login
from tests.services.moves_support import (
    FieldDef,
    Pipeline,
    StepDef,
    activity_kinds,
    build_pipeline,
    define_fields,
    history,
)

FIELDS = [
    FieldDef(name="deal_value", field_type="currency"),
    FieldDef(name="close_date", field_type="date"),
    FieldDef(name="lost_reason", field_type="dropdown", options=("price", "timing")),
    FieldDef(name="decision_maker", field_type="text"),
    FieldDef(name="champion", field_type="user"),
    FieldDef(name="dimensions", field_type="object"),
    FieldDef(name="material", field_type="object"),
    FieldDef(name="material_cost", field_type="currency"),
    FieldDef(name="actual_spend", field_type="currency"),
    FieldDef(name="actual_leads", field_type="number"),
    FieldDef(name="current_roi", field_type="number"),
]


@pytest.fixture
def pipeline(container: Container, admin: Login) -> Pipeline:
    define_fields(container, admin.tenant_id, FIELDS)
    return build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(
                name="Lead",
                config={
                    "field_configs": [
                        {"field_definition_id": "deal_value", "is_required": True},
                        {"field_definition_id": "close_date", "is_visible": False},
                    ]
                },
            ),
            StepDef(
                name="Material Procurement",
                config={
                    "calculations": [
                        {
                            "id": "material_cost",
                            "type": "custom",
                            "expression": "dimensions.sqft * material.cost_per_sqft",
                            "output_field_id": "material_cost",
                        },
                        {
                            "id": "roi",
                            "type": "custom",
                            "expression": (
                                "(actual_leads * 250 - actual_spend) / actual_spend * 100"
                            ),
                            "output_field_id": "current_roi",
                        },
                    ]
                },
            ),
        ],
    )


def create(client: TestClient, login: Login, pipeline: Pipeline, **body: object) -> dict:
    payload = {"pipeline_instance_id": str(pipeline.instance_id), "name": "Acme deal", **body}
    response = client.post("/api/item/create", json=payload, headers=login.headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_new_item_enters_the_first_step_owned_by_its_creator(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline, field_values={"deal_value": "4000"})

    assert item["current_step_id"] == str(pipeline.step("Lead"))
    assert item["owner_account_id"] == str(admin.account_id)
    assert item["version"] == 1
    assert item["field_values"] == {"deal_value": "4000.00"}
    assert history(container, admin.tenant_id, uuid.UUID(item["id"])) == [("Lead", False)]
    assert activity_kinds(container, admin.tenant_id, uuid.UUID(item["id"])) == ["item.created"]


def test_an_item_can_be_created_at_a_given_step(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    step = pipeline.step("Material Procurement")

    item = create(client, admin, pipeline, step_id=str(step))

    assert item["current_step_id"] == str(step)
    assert history(container, admin.tenant_id, uuid.UUID(item["id"])) == [
        ("Material Procurement", False)
    ]


def test_get_returns_the_item_with_its_steps_field_view(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline)

    response = client.get("/api/item/get", params={"id": item["id"]}, headers=admin.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["item"]["id"] == item["id"]
    assert body["step"]["name"] == "Lead"
    assert body["field_view"]["visible"] == ["deal_value"]
    assert body["field_view"]["required"] == ["deal_value"]


@pytest.mark.parametrize(
    ("values", "field", "fragment"),
    [
        ({"deal_value": "12.345"}, "field_values.deal_value", "decimal places"),
        ({"deal_value": "lots"}, "field_values.deal_value", "must be a number"),
        ({"close_date": "31/12/2026"}, "field_values.close_date", "YYYY-MM-DD"),
        ({"lost_reason": "weather"}, "field_values.lost_reason", "must be one of"),
        ({"colour": "red"}, "field_values.colour", "unknown field"),
        ({"champion": str(uuid.uuid4())}, "field_values.champion", "active account"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field_and_nothing_changes(
    client: TestClient,
    admin: Login,
    pipeline: Pipeline,
    values: dict,
    field: str,
    fragment: str,
) -> None:
    item = create(client, admin, pipeline, field_values={"deal_value": "100"})

    updated = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"decision_maker": "Kim", **values}},
        headers=admin.headers,
    )
    created = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(pipeline.instance_id),
            "name": "Bad",
            "field_values": values,
        },
        headers=admin.headers,
    )

    for response in (updated, created):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        errors = response.json()["errors"]
        assert any(e["field"] == field and fragment in e["message"] for e in errors), errors
    after = client.get("/api/item/get", params={"id": item["id"]}, headers=admin.headers).json()
    assert after["item"]["field_values"] == {"deal_value": "100.00"}
    assert after["item"]["version"] == 1
    listed = client.get(
        "/api/item/list",
        params={"pipeline_instance_id": str(pipeline.instance_id)},
        headers=admin.headers,
    )
    assert listed.json()["total"] == 1


def test_every_bad_value_of_a_request_is_reported_at_once(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline)

    response = client.post(
        "/api/item/update-fields",
        json={
            "id": item["id"],
            "field_values": {"deal_value": "x", "close_date": "soon", "nope": 1},
        },
        headers=admin.headers,
    )

    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "field_values.close_date",
        "field_values.deal_value",
        "field_values.nope",
    ]


def test_a_user_field_takes_an_active_account_of_the_tenant(
    client: TestClient, admin: Login, member: Login, other_admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline)

    ours = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"champion": str(member.account_id)}},
        headers=admin.headers,
    )
    theirs = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"champion": str(other_admin.account_id)}},
        headers=admin.headers,
    )

    assert ours.status_code == 200
    assert ours.json()["field_values"]["champion"] == str(member.account_id)
    assert theirs.status_code == 422
    assert theirs.json()["errors"][0]["field"] == "field_values.champion"


def test_update_bumps_the_version_and_a_stale_version_is_a_409(
    client: TestClient, container: Container, admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline)

    first = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"deal_value": 6000}, "expected_version": 1},
        headers=admin.headers,
    )
    stale = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"deal_value": 7000}, "expected_version": 1},
        headers=admin.headers,
    )

    assert first.status_code == 200
    assert first.json()["version"] == 2
    assert first.json()["field_values"]["deal_value"] == "6000.00"
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    after = client.get("/api/item/get", params={"id": item["id"]}, headers=admin.headers).json()
    assert after["item"]["field_values"]["deal_value"] == "6000.00"
    kinds = activity_kinds(container, admin.tenant_id, uuid.UUID(item["id"]))
    assert kinds.count("item.fields_changed") == 1


def test_calculations_run_after_an_update(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline, step_id=str(pipeline.step("Material Procurement")))

    response = client.post(
        "/api/item/update-fields",
        json={
            "id": item["id"],
            "field_values": {"dimensions": {"sqft": 120}, "material": {"cost_per_sqft": 4.5}},
        },
        headers=admin.headers,
    )

    assert response.status_code == 200
    assert response.json()["field_values"]["material_cost"] == "540.00"


def test_a_failing_calculation_is_recorded_on_the_item_not_a_crash(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline, step_id=str(pipeline.step("Material Procurement")))

    zero = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"actual_leads": 40, "actual_spend": 0}},
        headers=admin.headers,
    )
    fixed = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"actual_spend": 5000}},
        headers=admin.headers,
    )

    assert zero.status_code == 200
    assert "division by zero" in zero.json()["calculation_errors"]["roi"]["message"]
    assert "current_roi" not in zero.json()["field_values"]
    assert fixed.json()["field_values"]["current_roi"] == "100"
    assert "roi" not in fixed.json()["calculation_errors"]


def test_the_item_names_its_calculated_fields_with_formulas_and_errors_in_words(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline, step_id=str(pipeline.step("Material Procurement")))
    client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"actual_leads": 40, "actual_spend": 0}},
        headers=admin.headers,
    )

    detail = client.get("/api/item/get", params={"id": item["id"]}, headers=admin.headers)

    assert detail.status_code == 200
    assert detail.json()["calculated_fields"] == [
        {
            "field_id": "material_cost",
            "formula": "Dimensions.sqft * Material.cost_per_sqft",
            "error": "Left of * is empty where a number is needed.",
        },
        {
            "field_id": "current_roi",
            "formula": "(Actual leads * 250 - Actual spend) / Actual spend * 100",
            "error": "Cannot divide by zero.",
        },
    ]


def test_the_item_page_shows_a_failed_calculation_of_a_field_it_does_not_show_in_words(
    client: TestClient, admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline, step_id=str(pipeline.step("Material Procurement")))
    client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {"actual_leads": 40, "actual_spend": 0}},
        headers=admin.headers,
    )
    client.cookies.set("pacetrack_token", admin.token)

    page = client.get(f"/items/{item['id']}")

    assert page.status_code == 200
    html = page.text
    # The step shows no fields; its failed calculations are listed in words all the same.
    assert "Current roi could not be calculated: Cannot divide by zero." in html
    assert "Material cost could not be calculated: Left of * is empty" in html
    assert "{&#39;" not in html and "{'" not in html


def test_list_filters_and_pages_with_a_total(
    client: TestClient, admin: Login, member: Login, pipeline: Pipeline
) -> None:
    for number in range(5):
        create(client, admin, pipeline, name=f"Lead {number}")
    create(client, admin, pipeline, name="Made", step_id=str(pipeline.step("Material Procurement")))

    page = client.get(
        "/api/item/list",
        params={"step_id": str(pipeline.step("Lead")), "limit": 2, "offset": 2},
        headers=member.headers,
    )
    everything = client.get(
        "/api/item/list",
        params={"pipeline_instance_id": str(pipeline.instance_id), "status": "active"},
        headers=member.headers,
    )
    nobody = client.get(
        "/api/item/list", params={"assignee": str(member.account_id)}, headers=member.headers
    )

    assert page.status_code == 200
    assert page.json()["total"] == 5
    assert len(page.json()["items"]) == 2
    assert everything.json()["total"] == 6
    assert nobody.json()["total"] == 0


def test_another_tenants_item_and_pipeline_are_not_found(
    client: TestClient, admin: Login, other_admin: Login, pipeline: Pipeline
) -> None:
    item = create(client, admin, pipeline)

    read = client.get("/api/item/get", params={"id": item["id"]}, headers=other_admin.headers)
    write = client.post(
        "/api/item/update-fields",
        json={"id": item["id"], "field_values": {}},
        headers=other_admin.headers,
    )
    into = client.post(
        "/api/item/create",
        json={"pipeline_instance_id": str(pipeline.instance_id), "name": "x"},
        headers=other_admin.headers,
    )
    listed = client.get("/api/item/list", headers=other_admin.headers)

    assert read.status_code == 404
    assert write.status_code == 404
    assert into.status_code == 404
    assert listed.json()["total"] == 0
