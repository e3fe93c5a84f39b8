"""validation-status answers what the move will decide: leaving the step, then entering the
next one (or the one asked for), with the target's entry requirements and transition rules."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login
from tests.services.moves_support import FieldDef, Pipeline, StepDef, build_pipeline, define_fields

SMB_MESSAGE = "Deals under $5k should go to SMB pipeline"


@pytest.fixture
def sales(container: Container, admin: Login) -> Pipeline:
    """As the library's Sales template: Qualified refuses entry to deals under $5,000."""
    define_fields(
        container,
        admin.tenant_id,
        [
            FieldDef(name="deal_value", field_type="currency"),
            FieldDef(name="decision_maker", field_type="text"),
        ],
    )
    entry = {
        "entry_required_fields": ["decision_maker"],
        "entry_validations": [
            {
                "id": "min_deal_value",
                "type": "field_min_value",
                "field_id": "deal_value",
                "min_value": 5000,
                "error_message": SMB_MESSAGE,
            }
        ],
    }
    return build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(name="Lead", config={"metadata": {"allow_skip": False}}),
            StepDef(name="Qualified", config={"metadata": entry}),
            StepDef(name="Demo"),
        ],
        name="Sales",
    )


def new_deal(
    client: TestClient, admin: Login, sales: Pipeline, step: str | None = None, **values: Any
) -> str:
    body: dict[str, Any] = {
        "pipeline_instance_id": str(sales.instance_id),
        "name": "Initech",
        "field_values": values,
    }
    if step is not None:
        body["step_id"] = str(sales.step(step))
    created = client.post("/api/item/create", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def status_of(client: TestClient, admin: Login, item: str, **params: str) -> dict[str, Any]:
    response = client.get(
        "/api/item/validation-status", params={"id": item, **params}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_4000_deal_is_not_ready_for_qualified_and_the_move_is_refused_alike(
    client: TestClient, admin: Login, sales: Pipeline
) -> None:
    item = new_deal(client, admin, sales, deal_value=4000)

    status = status_of(client, admin, item)
    refused = client.post(
        "/api/item/move-to-step",
        json={"id": item, "step_id": str(sales.step("Qualified"))},
        headers=admin.headers,
    )

    assert (status["target_step_name"], status["ready"]) == ("Qualified", False)
    unmet = [(r["rule_id"], r["message"]) for r in status["requirements"] if not r["met"]]
    assert unmet == [
        ("entry_required:decision_maker", "Decision maker is required to enter Qualified"),
        ("min_deal_value", SMB_MESSAGE),
    ]
    assert refused.status_code == 422
    assert [(v["rule_id"], v["message"]) for v in refused.json()["violations"]] == unmet


def test_once_the_deal_meets_them_it_is_ready_and_moves(
    client: TestClient, admin: Login, sales: Pipeline
) -> None:
    item = new_deal(client, admin, sales, deal_value=6000, decision_maker="Bill Lumbergh")

    status = status_of(client, admin, item)
    moved = client.post(
        "/api/item/move-to-step",
        json={"id": item, "step_id": str(sales.step("Qualified"))},
        headers=admin.headers,
    )

    assert status["ready"] is True
    assert [(r["rule_id"], r["met"]) for r in status["requirements"]] == [
        ("entry_required:decision_maker", True),
        ("min_deal_value", True),
    ]
    assert moved.status_code == 200, moved.text


def test_a_chosen_target_is_checked_with_the_transition_rules(
    client: TestClient, admin: Login, sales: Pipeline
) -> None:
    item = new_deal(client, admin, sales, deal_value=6000, decision_maker="Bill Lumbergh")

    status = status_of(client, admin, item, step_id=str(sales.step("Demo")))

    assert (status["target_step_name"], status["ready"]) == ("Demo", False)
    assert [r["rule_id"] for r in status["requirements"] if not r["met"]] == ["transition:skip"]


def test_the_last_step_has_no_target_and_an_unknown_one_is_a_404(
    client: TestClient, admin: Login, sales: Pipeline
) -> None:
    item = new_deal(client, admin, sales)
    last = new_deal(client, admin, sales, step="Demo")

    unknown = client.get(
        "/api/item/validation-status",
        params={"id": item, "step_id": "00000000-0000-0000-0000-000000000001"},
        headers=admin.headers,
    )
    at_the_end = status_of(client, admin, last)

    assert unknown.status_code == 404
    assert [e["field"] for e in unknown.json()["errors"]] == ["step_id"]
    assert (at_the_end["step_name"], at_the_end["target_step_id"]) == ("Demo", None)
    assert (at_the_end["requirements"], at_the_end["ready"]) == ([], True)
