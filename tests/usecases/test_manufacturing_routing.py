"""Manufacturing use case over HTTP: a quality fail routes to Rework, and Rework loops back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from tests.conftest import Login
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields

FIELDS = [
    FieldDef(name="dimensions", field_type="object"),
    FieldDef(name="material", field_type="object"),
    FieldDef(name="material_cost", field_type="currency"),
    FieldDef(name="units", field_type="number"),
    FieldDef(name="minutes_per_unit", field_type="number"),
    FieldDef(name="production_hours", field_type="number"),
    FieldDef(name="quality_status", field_type="dropdown", options=("pending", "pass", "fail")),
    FieldDef(name="defect_notes", field_type="long_text"),
    FieldDef(name="tracking_number", field_type="text"),
]


@pytest.fixture
def manufacturing(container: Container, admin: Login) -> Pipeline:
    define_fields(container, admin.tenant_id, FIELDS)
    inspection = {
        "field_configs": [
            {"field_definition_id": "quality_status", "is_required": True},
            {"field_definition_id": "defect_notes"},
        ],
        "validations": [
            {
                "id": "inspected",
                "type": "custom_expression",
                "field_id": "quality_status",
                "expression": "quality_status != 'pending'",
                "error_message": "Inspection is not finished",
            }
        ],
        "automations": [
            {
                "id": "route_to_rework",
                "trigger": "on_field_change",
                "field_id": "quality_status",
                "to_value": "fail",
                "action": {"type": "move_to_step", "step": "Rework"},
            }
        ],
    }
    return build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(name="Order Received"),
            StepDef(
                name="Material Procurement",
                config={
                    "calculations": [
                        {
                            "id": "material_cost",
                            "type": "custom",
                            "expression": "dimensions.sqft * material.cost_per_sqft",
                            "output_field_id": "material_cost",
                        }
                    ]
                },
            ),
            StepDef(
                name="Production",
                config={
                    "calculations": [
                        {
                            "id": "production_hours",
                            "type": "custom",
                            "expression": "units * minutes_per_unit / 60",
                            "output_field_id": "production_hours",
                        }
                    ]
                },
            ),
            StepDef(name="Quality Inspection", config=inspection),
            StepDef(
                name="Rework",
                config={
                    "field_configs": [{"field_definition_id": "defect_notes"}],
                    "metadata": {"allowed_next_steps": ["Quality Inspection"]},
                },
                target_duration_days=3,
            ),
            StepDef(
                name="Shipping",
                config={
                    "field_configs": [
                        {"field_definition_id": "tracking_number", "is_required": True}
                    ],
                    "validations": [
                        {
                            "id": "tracking_format",
                            "type": "field_pattern",
                            "field_id": "tracking_number",
                            "pattern": "^[A-Z0-9]{10,20}$",
                        }
                    ],
                },
            ),
            StepDef(name="Delivered"),
        ],
        name="Manufacturing",
    )


def test_a_quality_fail_routes_to_rework_and_the_loop_back_is_in_history(
    client: TestClient, admin: Login, manufacturing: Pipeline, clock: FrozenClock
) -> None:
    headers = admin.headers
    item = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(manufacturing.instance_id),
            "name": "Counter top",
            "field_values": {"dimensions": {"sqft": 120}, "material": {"cost_per_sqft": 4.5}},
        },
        headers=headers,
    ).json()

    def move(step: str) -> dict:
        clock.advance(timedelta(hours=1))
        response = client.post(
            "/api/item/move-to-step",
            json={"id": item["id"], "step_id": str(manufacturing.step(step))},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def update(values: dict) -> dict:
        clock.advance(timedelta(hours=1))
        response = client.post(
            "/api/item/update-fields",
            json={"id": item["id"], "field_values": values},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return response.json()

    procured = move("Material Procurement")
    move("Production")
    move("Quality Inspection")
    pending = update({"quality_status": "pending"})
    failed = update({"quality_status": "fail", "defect_notes": "Chipped edge"})
    back = move("Quality Inspection")
    passed = update({"quality_status": "pass"})
    shipped = client.post(
        "/api/item/move-to-step",
        json={"id": item["id"], "step_id": str(manufacturing.step("Shipping"))},
        headers=headers,
    )

    assert procured["field_values"]["material_cost"] == "540.00"
    assert pending["current_step_id"] == str(manufacturing.step("Quality Inspection"))
    assert failed["current_step_id"] == str(manufacturing.step("Rework"))
    assert back["current_step_id"] == str(manufacturing.step("Quality Inspection"))
    assert passed["current_step_id"] == str(manufacturing.step("Quality Inspection"))
    assert shipped.status_code == 200
    history = client.get("/api/item/history", params={"id": item["id"]}, headers=headers).json()
    assert [e["step_name"] for e in history["entries"]] == [
        "Order Received",
        "Material Procurement",
        "Production",
        "Quality Inspection",
        "Rework",
        "Quality Inspection",
        "Shipping",
    ]
    assert [e["exited_at"] is None for e in history["entries"]] == [False] * 6 + [True]
    moved = [
        a["data"]
        for a in client.get("/api/item/activity", params={"id": item["id"]}, headers=headers).json()
        if a["kind"] == "item.moved"
    ]
    automatic = [(m["to_step"], m["automation_id"]) for m in moved if m["automatic"]]
    assert automatic == [("Rework", "route_to_rework")]


def test_rework_only_returns_to_quality_inspection(
    client: TestClient, admin: Login, manufacturing: Pipeline
) -> None:
    item = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(manufacturing.instance_id),
            "name": "Shelf",
            "step_id": str(manufacturing.step("Rework")),
        },
        headers=admin.headers,
    ).json()

    refused = client.post(
        "/api/item/move-to-step",
        json={"id": item["id"], "step_id": str(manufacturing.step("Shipping"))},
        headers=admin.headers,
    )

    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "step_id",
            "message": "From Rework the item can move only to: Quality Inspection.",
            "rule_id": "transition:not_allowed",
        }
    ]


def test_leaving_inspection_while_pending_is_refused(
    client: TestClient, admin: Login, manufacturing: Pipeline
) -> None:
    item = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(manufacturing.instance_id),
            "name": "Table",
            "step_id": str(manufacturing.step("Quality Inspection")),
            "field_values": {"quality_status": "pending"},
        },
        headers=admin.headers,
    ).json()

    refused = client.post(
        "/api/item/move-to-step",
        json={"id": item["id"], "step_id": str(manufacturing.step("Shipping"))},
        headers=admin.headers,
    )

    assert refused.status_code == 422
    assert {e["rule_id"] for e in refused.json()["errors"]} == {"inspected"}
