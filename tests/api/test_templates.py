"""/api/pipeline-template and /api/step-template: CRUD, ordering and checked config families."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Login

FIELDS = (
    {"name": "deal_value", "label": "Deal value", "field_type": "currency"},
    {"name": "decision_maker", "label": "Decision maker", "field_type": "text"},
    {"name": "discount_pct", "label": "Discount", "field_type": "number"},
    {"name": "commission", "label": "Commission", "field_type": "currency"},
    {"name": "close_date", "label": "Close date", "field_type": "date"},
    {"name": "tracking_number", "label": "Tracking", "field_type": "text"},
)


def post(client: TestClient, login: Login, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers=login.headers)
    assert response.status_code in (200, 201), response.text
    return response.json() if response.content else None


def define_fields(client: TestClient, login: Login) -> dict[str, str]:
    """The test fields, by name -> id."""
    return {
        spec["name"]: post(client, login, "/api/field-definition/create", dict(spec))["id"]
        for spec in FIELDS
    }


def make_template(client: TestClient, login: Login, name: str = "Sales", steps: int = 3) -> dict:
    template = post(client, login, "/api/pipeline-template/create", {"name": name})
    for index in range(steps):
        post(
            client,
            login,
            "/api/step-template/create",
            {
                "pipeline_template_id": template["id"],
                "name": f"Step {index + 1}",
                "target_duration_days": 10,
            },
        )
    return get_template(client, login, template["id"])


def get_template(client: TestClient, login: Login, template_id: str) -> dict:
    response = client.get(
        "/api/pipeline-template/get", params={"id": template_id}, headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def get_step(client: TestClient, login: Login, step_id: str) -> dict:
    response = client.get("/api/step-template/get", params={"id": step_id}, headers=login.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_template_is_created_read_renamed_and_listed_with_its_ordered_steps(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin)

    renamed = post(
        client,
        admin,
        "/api/pipeline-template/update",
        {"id": template["id"], "name": "B2B sales", "description": "Enterprise deals"},
    )
    listed = client.get("/api/pipeline-template/list", headers=admin.headers).json()

    assert [step["name"] for step in template["steps"]] == ["Step 1", "Step 2", "Step 3"]
    assert [step["order"] for step in template["steps"]] == [1, 2, 3]
    assert renamed["name"] == "B2B sales"
    assert renamed["description"] == "Enterprise deals"
    assert [t["name"] for t in listed] == ["B2B sales"]


def test_a_second_template_with_the_same_name_is_a_conflict(
    client: TestClient, admin: Login
) -> None:
    make_template(client, admin, steps=0)

    again = client.post(
        "/api/pipeline-template/create", json={"name": "Sales"}, headers=admin.headers
    )

    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


def test_reorder_takes_the_full_list_and_renumbers_the_steps(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin)
    ids = [step["id"] for step in template["steps"]]

    reordered = post(
        client,
        admin,
        "/api/step-template/reorder",
        {"pipeline_template_id": template["id"], "step_ids": list(reversed(ids))},
    )
    partial = client.post(
        "/api/step-template/reorder",
        json={"pipeline_template_id": template["id"], "step_ids": ids[:2]},
        headers=admin.headers,
    )
    twice = client.post(
        "/api/step-template/reorder",
        json={"pipeline_template_id": template["id"], "step_ids": [ids[0], *ids]},
        headers=admin.headers,
    )

    assert [step["name"] for step in reordered] == ["Step 3", "Step 2", "Step 1"]
    after = get_template(client, admin, template["id"])
    assert [step["name"] for step in after["steps"]] == ["Step 3", "Step 2", "Step 1"]
    assert [step["order"] for step in after["steps"]] == [1, 2, 3]
    # Leaving a step out conflicts with the template as it is; listing one twice is wrong
    # by itself (the schema says the items are unique).
    assert partial.status_code == 409
    assert partial.json()["errors"][0]["field"] == "step_ids"
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["field"] == "step_ids"


def test_step_properties_update_and_a_duplicate_step_name_is_refused(
    client: TestClient, admin: Login
) -> None:
    template = make_template(client, admin, steps=2)
    first, second = template["steps"]

    updated = post(
        client,
        admin,
        "/api/step-template/update",
        {"id": first["id"], "color": "#ff8800", "icon": "phone", "target_duration_days": 7},
    )
    clash = client.post(
        "/api/step-template/update",
        json={"id": second["id"], "name": first["name"]},
        headers=admin.headers,
    )

    assert (updated["color"], updated["icon"], updated["target_duration_days"]) == (
        "#ff8800",
        "phone",
        7,
    )
    assert clash.status_code == 409
    assert clash.json()["errors"][0]["field"] == "name"


def test_deleting_a_step_hides_it_from_its_template(client: TestClient, admin: Login) -> None:
    template = make_template(client, admin)

    deleted = client.post(
        "/api/step-template/delete", json={"id": template["steps"][1]["id"]}, headers=admin.headers
    )

    assert deleted.status_code == 204
    after = get_template(client, admin, template["id"])
    assert [step["name"] for step in after["steps"]] == ["Step 1", "Step 3"]


VALID: dict[str, Any] = {
    "field_configs": [
        {"field_definition_id": "deal_value", "is_visible": True, "is_required": True}
    ],
    "validations": [
        {
            "id": "min_deal_value",
            "type": "field_min_value",
            "field_id": "deal_value",
            "min_value": 5000,
            "error_message": "Deals under $5k should go to SMB pipeline",
        }
    ],
    "assignments": [{"type": "round_robin", "id": "sdr_team"}],
    "notifications": [
        {
            "id": "stalled_negotiation",
            "trigger": "at_risk",
            "threshold_days": 15,
            "recipients": [{"type": "owner"}, {"type": "user", "id": "sales_manager"}],
        }
    ],
    "automations": [
        {
            "id": "crm",
            "trigger": "on_enter",
            "action": {
                "type": "webhook",
                "target": "https://crm.example/opportunity",
                "data": {"deal_id": "{{item.id}}", "value": "{{field.deal_value}}"},
            },
        }
    ],
    "calculations": [
        {
            "id": "commission",
            "type": "custom",
            "expression": "deal_value * (1 - discount_pct / 100) * 0.1",
            "output_field_id": "commission",
        }
    ],
}

# family -> (bad config, JSON path named, message fragment)
REFUSED: list[tuple[str, str, Any, str, str]] = [
    (
        "field_configs",
        "unknown property",
        [{"field_definition_id": "deal_value", "colour": "red"}],
        "field_configs[0].colour",
        "unknown property",
    ),
    (
        "field_configs",
        "missing property",
        [{"is_visible": True}],
        "field_configs[0].field_definition_id",
        "required",
    ),
    (
        "field_configs",
        "unknown field",
        [{"field_definition_id": "deal_valu"}],
        "field_configs[0].field_definition_id",
        "did you mean `deal_value`",
    ),
    (
        "field_configs",
        "bad expression",
        [{"field_definition_id": "deal_value", "visible_when": "deal_valu > 3"}],
        "field_configs[0].visible_when",
        "deal_valu",
    ),
    (
        "validations",
        "unknown type",
        [{"id": "a", "type": "field_bogus", "field_id": "deal_value"}],
        "validations[0]",
        "unknown type",
    ),
    (
        "validations",
        "missing property",
        [{"id": "a", "type": "field_min_value", "field_id": "deal_value"}],
        "validations[0].min_value",
        "required",
    ),
    (
        "validations",
        "unknown field",
        [{"id": "a", "type": "field_min_value", "field_id": "deal_valu", "min_value": 1}],
        "validations[0].field_id",
        "did you mean `deal_value`",
    ),
    (
        "validations",
        "bad regex",
        [{"id": "a", "type": "field_pattern", "field_id": "tracking_number", "pattern": "([A-Z"}],
        "validations[0].pattern",
        "",
    ),
    (
        "assignments",
        "unknown type",
        [{"type": "robin", "id": "sdr_team"}],
        "assignments[0]",
        "unknown type",
    ),
    ("assignments", "missing property", [{"type": "user"}], "assignments[0].id", "required"),
    (
        "notifications",
        "unknown type",
        [{"id": "n", "trigger": "on_enter", "recipients": [{"type": "boss"}]}],
        "notifications[0].recipients[0].type",
        "",
    ),
    (
        "notifications",
        "missing property",
        [{"id": "n", "trigger": "on_duration", "recipients": [{"type": "owner"}]}],
        "notifications[0].duration_days",
        "duration_days",
    ),
    (
        "notifications",
        "unknown field",
        [
            {
                "id": "n",
                "trigger": "on_field_change",
                "field_id": "deal_valu",
                "recipients": [{"type": "owner"}],
            }
        ],
        "notifications[0].field_id",
        "did you mean `deal_value`",
    ),
    (
        "notifications",
        "bad regex",
        [
            {
                "id": "n",
                "trigger": "on_enter",
                "condition": 'matches(decision_maker, "([")',
                "recipients": [{"type": "owner"}],
            }
        ],
        "notifications[0].condition",
        "",
    ),
    (
        "automations",
        "unknown type",
        [{"id": "a", "trigger": "on_enter", "action": {"type": "teleport"}}],
        "automations[0].action.type",
        "unknown type",
    ),
    (
        "automations",
        "missing property",
        [{"id": "a", "trigger": "on_enter", "action": {"type": "update_field"}}],
        "automations[0].action.field_id",
        "required",
    ),
    (
        "automations",
        "unknown field",
        [
            {
                "id": "a",
                "trigger": "on_enter",
                "action": {"type": "update_field", "field_id": "deal_valu", "value": 1},
            }
        ],
        "automations[0].action.field_id",
        "did you mean `deal_value`",
    ),
    (
        "calculations",
        "unknown type",
        [{"id": "c", "type": "median", "output_field_id": "commission"}],
        "calculations[0]",
        "unknown type",
    ),
    (
        "calculations",
        "missing property",
        [
            {
                "id": "c",
                "type": "percentage",
                "output_field_id": "discount_pct",
                "numerator_field_id": "deal_value",
            }
        ],
        "calculations[0].denominator_field_id",
        "required",
    ),
    (
        "calculations",
        "unknown field",
        [
            {
                "id": "c",
                "type": "sum",
                "output_field_id": "commission",
                "field_ids": ["deal_valu"],
            }
        ],
        "calculations[0].field_ids[0]",
        "did you mean `deal_value`",
    ),
]


@pytest.mark.parametrize("family", sorted(VALID))
def test_each_family_update_stores_a_valid_config(
    client: TestClient, admin: Login, family: str
) -> None:
    define_fields(client, admin)
    step = make_template(client, admin, steps=1)["steps"][0]

    updated = post(
        client,
        admin,
        f"/api/step-template/update-{family.replace('_', '-')}",
        {"id": step["id"], family: VALID[family]},
    )

    assert len(updated[family]) == 1
    assert updated[family][0] == get_step(client, admin, step["id"])[family][0]
    assert updated["updated_at"] >= step["updated_at"]
    for key in ("id", "field_definition_id", "field_id", "type"):
        if key in VALID[family][0]:
            assert updated[family][0][key] == VALID[family][0][key]


@pytest.mark.parametrize(
    ("family", "case", "config", "path", "fragment"),
    REFUSED,
    ids=[f"{family}-{case}" for family, case, *_ in REFUSED],
)
def test_a_bad_family_update_is_refused_naming_the_path_and_changes_nothing(
    client: TestClient,
    admin: Login,
    family: str,
    case: str,
    config: Any,
    path: str,
    fragment: str,
) -> None:
    define_fields(client, admin)
    step = make_template(client, admin, steps=1)["steps"][0]
    route = f"/api/step-template/update-{family.replace('_', '-')}"
    post(client, admin, route, {"id": step["id"], family: VALID[family]})
    before = get_step(client, admin, step["id"])

    response = client.post(route, json={"id": step["id"], family: config}, headers=admin.headers)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert any(e["field"] == path and fragment in e["message"] for e in errors), errors
    assert get_step(client, admin, step["id"]) == before


def test_metadata_is_a_free_object_and_must_be_an_object(client: TestClient, admin: Login) -> None:
    step = make_template(client, admin, steps=1)["steps"][0]

    stored = post(
        client,
        admin,
        "/api/step-template/update-metadata",
        {"id": step["id"], "metadata": {"requires_approval": True, "sla": {"hours": 4}}},
    )
    refused = client.post(
        "/api/step-template/update-metadata",
        json={"id": step["id"], "metadata": [1, 2]},
        headers=admin.headers,
    )

    assert stored["metadata"] == {"requires_approval": True, "sla": {"hours": 4}}
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "metadata"
    assert get_step(client, admin, step["id"])["metadata"] == stored["metadata"]


@pytest.mark.parametrize(
    ("rule", "path", "fragment"),
    [
        (
            {"id": "min", "type": "field_min_value", "field_id": "deal_value", "min_value": "lots"},
            "metadata.entry_validations[0].min_value",
            "number",
        ),
        (
            {"id": "min", "type": "field_min_value", "field_id": "deal_valu", "min_value": 1},
            "metadata.entry_validations[0].field_id",
            "deal_value",
        ),
        (
            {"id": "bad", "type": "field_pattern", "field_id": "decision_maker", "pattern": "("},
            "metadata.entry_validations[0].pattern",
            "",
        ),
    ],
)
def test_a_broken_entry_rule_is_refused_naming_its_path_and_nothing_changes(
    client: TestClient, admin: Login, rule: dict[str, Any], path: str, fragment: str
) -> None:
    define_fields(client, admin)
    step = make_template(client, admin, steps=1)["steps"][0]
    before = get_step(client, admin, step["id"])

    refused = client.post(
        "/api/step-template/update-metadata",
        json={"id": step["id"], "metadata": {"is_final": True, "entry_validations": [rule]}},
        headers=admin.headers,
    )

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    errors = refused.json()["errors"]
    assert [error["field"] for error in errors] == [path], errors
    assert fragment in errors[0]["message"]
    assert get_step(client, admin, step["id"]) == before


def test_a_sound_entry_rule_is_stored_as_sent(client: TestClient, admin: Login) -> None:
    define_fields(client, admin)
    step = make_template(client, admin, steps=1)["steps"][0]
    rule = {"id": "min", "type": "field_min_value", "field_id": "deal_value", "min_value": 5000}

    stored = post(
        client,
        admin,
        "/api/step-template/update-metadata",
        {"id": step["id"], "metadata": {"entry_validations": [rule]}},
    )

    assert stored["metadata"] == {"entry_validations": [rule]}


def test_a_field_id_in_a_config_is_stored_as_the_field_name(
    client: TestClient, admin: Login
) -> None:
    ids = define_fields(client, admin)
    step = make_template(client, admin, steps=1)["steps"][0]

    updated = post(
        client,
        admin,
        "/api/step-template/update-validations",
        {
            "id": step["id"],
            "validations": [
                {
                    "id": "close_after_today",
                    "type": "field_comparison",
                    "field_id": ids["close_date"],
                    "operator": ">",
                    "compare_value": "today",
                }
            ],
        },
    )

    assert updated["validations"][0]["field_id"] == "close_date"


def test_at_risk_rules_need_the_step_target_duration(client: TestClient, admin: Login) -> None:
    template = post(client, admin, "/api/pipeline-template/create", {"name": "T"})
    step = post(
        client,
        admin,
        "/api/step-template/create",
        {"pipeline_template_id": template["id"], "name": "Open"},
    )

    response = client.post(
        "/api/step-template/update-notifications",
        json={"id": step["id"], "notifications": VALID["notifications"]},
        headers=admin.headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "notifications[0].trigger"


def test_create_takes_every_family_at_once_with_the_same_checks(
    client: TestClient, admin: Login
) -> None:
    define_fields(client, admin)
    template = post(client, admin, "/api/pipeline-template/create", {"name": "Sales"})
    body = {"pipeline_template_id": template["id"], "name": "Qualified", **VALID}
    body["target_duration_days"] = 10
    body["metadata"] = {"requires_approval": True}

    created = post(client, admin, "/api/step-template/create", body)
    bad = client.post(
        "/api/step-template/create",
        json={
            **body,
            "name": "Demo",
            "calculations": [
                {"id": "c", "type": "custom", "expression": "deal_valu * 2", "output_field_id": "x"}
            ],
        },
        headers=admin.headers,
    )

    assert all(len(created[family]) == 1 for family in VALID)
    assert created["metadata"] == {"requires_approval": True}
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"calculations[0].expression", "calculations[0].output_field_id"} <= fields
    after = get_template(client, admin, template["id"])
    assert [step["name"] for step in after["steps"]] == ["Qualified"]


def test_config_schema_publishes_every_family(client: TestClient, member: Login) -> None:
    response = client.get("/api/step-template/config-schema", headers=member.headers)

    assert response.status_code == 200
    schema = response.json()
    assert set(schema) == {
        "field_configs",
        "validations",
        "assignments",
        "notifications",
        "automations",
        "calculations",
        "metadata",
    }
    assert "field_min_value" in str(schema["validations"])


def test_members_read_templates_but_cannot_change_them(
    client: TestClient, admin: Login, member: Login
) -> None:
    define_fields(client, admin)
    template = make_template(client, admin, steps=1)
    step_id = template["steps"][0]["id"]

    writes = [
        ("/api/pipeline-template/create", {"name": "Mine"}),
        ("/api/pipeline-template/update", {"id": template["id"], "name": "Mine"}),
        ("/api/pipeline-template/delete", {"id": template["id"]}),
        ("/api/step-template/create", {"pipeline_template_id": template["id"], "name": "S"}),
        ("/api/step-template/update", {"id": step_id, "name": "S"}),
        ("/api/step-template/delete", {"id": step_id}),
        (
            "/api/step-template/reorder",
            {"pipeline_template_id": template["id"], "step_ids": [step_id]},
        ),
        ("/api/step-template/update-validations", {"id": step_id, "validations": []}),
        ("/api/step-template/update-metadata", {"id": step_id, "metadata": {}}),
    ]
    statuses = [
        client.post(path, json=body, headers=member.headers).status_code for path, body in writes
    ]
    read = client.get(
        "/api/pipeline-template/get", params={"id": template["id"]}, headers=member.headers
    )
    listed = client.get(
        "/api/step-template/list",
        params={"pipeline_template_id": template["id"]},
        headers=member.headers,
    )

    assert statuses == [403] * len(writes)
    assert read.status_code == 200
    assert [step["id"] for step in listed.json()] == [step_id]
    assert get_template(client, admin, template["id"]) == template


def test_another_tenants_template_and_steps_answer_404(
    client: TestClient, admin: Login, other_admin: Login
) -> None:
    template = make_template(client, admin, steps=1)
    step_id = template["steps"][0]["id"]

    reads = [
        client.get("/api/pipeline-template/get", params={"id": template["id"]}, headers=h)
        for h in [other_admin.headers]
    ] + [client.get("/api/step-template/get", params={"id": step_id}, headers=other_admin.headers)]
    writes = [
        client.post("/api/pipeline-template/delete", json={"id": template["id"]}, headers=h)
        for h in [other_admin.headers]
    ] + [
        client.post(
            "/api/step-template/update-metadata",
            json={"id": step_id, "metadata": {"x": 1}},
            headers=other_admin.headers,
        ),
        client.post(
            "/api/step-template/create",
            json={"pipeline_template_id": template["id"], "name": "X"},
            headers=other_admin.headers,
        ),
    ]
    other_list = client.get("/api/step-template/list", headers=other_admin.headers)

    assert [r.status_code for r in reads + writes] == [404] * 5
    assert other_list.json() == []
    assert get_template(client, admin, template["id"]) == template


def test_deleting_a_template_cascades_to_its_steps_unless_an_instance_runs_it(
    client: TestClient, admin: Login
) -> None:
    running = make_template(client, admin, name="Running", steps=2)
    idle = make_template(client, admin, name="Idle", steps=2)
    instance = post(
        client,
        admin,
        "/api/pipeline-instance/create",
        {"pipeline_template_id": running["id"], "name": "Q1 deals"},
    )

    refused = client.post(
        "/api/pipeline-template/delete", json={"id": running["id"]}, headers=admin.headers
    )
    # A step is deleted from the draft; the running pipeline keeps its copy until upgraded.
    step_deleted = client.post(
        "/api/step-template/delete", json={"id": running["steps"][0]["id"]}, headers=admin.headers
    )
    deleted = client.post(
        "/api/pipeline-template/delete", json={"id": idle["id"]}, headers=admin.headers
    )

    assert refused.status_code == 409
    assert "Q1 deals" in refused.json()["detail"]
    assert step_deleted.status_code == 204
    kept = client.get(
        "/api/pipeline-instance/get", params={"id": instance["id"]}, headers=admin.headers
    ).json()
    assert [step["name"] for step in kept["steps"]] == ["Step 1", "Step 2"]
    assert deleted.status_code == 204
    gone = client.get(
        "/api/step-template/get", params={"id": idle["steps"][0]["id"]}, headers=admin.headers
    )
    assert gone.status_code == 404
    listed = client.get("/api/pipeline-template/list", headers=admin.headers).json()
    assert [t["name"] for t in listed] == ["Running"]
    recreated = post(client, admin, "/api/pipeline-template/create", {"name": "Idle"})
    assert recreated["name"] == "Idle"


def test_export_and_import_endpoints_round_trip_a_template_between_tenants(
    client: TestClient, admin: Login, other_admin: Login, member: Login
) -> None:
    define_fields(client, admin)
    template = post(client, admin, "/api/pipeline-template/create", {"name": "Sales"})
    post(
        client,
        admin,
        "/api/step-template/create",
        {
            "pipeline_template_id": template["id"],
            "name": "Qualified",
            "target_duration_days": 10,
            "metadata": {"requires_approval": True},
            **VALID,
        },
    )

    first = post(client, admin, "/api/pipeline-template/export", {"id": template["id"]})
    by_member = client.post(
        "/api/pipeline-template/import",
        json={"document": first, "name": "Copy"},
        headers=member.headers,
    )
    imported = post(client, other_admin, "/api/pipeline-template/import", {"document": first})
    second = post(client, other_admin, "/api/pipeline-template/export", {"id": imported["id"]})
    duplicate = client.post(
        "/api/pipeline-template/import", json={"document": first}, headers=other_admin.headers
    )

    assert by_member.status_code == 403
    assert all(first["steps"][0][family] for family in [*VALID, "metadata"])
    assert {f["name"] for f in first["fields"]} == {
        "deal_value",
        "discount_pct",
        "commission",
    }
    assert second == first
    assert duplicate.status_code == 409
