"""Manufacturing: a failed inspection routes to Rework through the automation, once.

Rework's own automations then run from the worker: the item is assigned and
its quality status reset (update_field), the owner is told (notify), and
after two days in Rework a timed ``move_to_step`` sends it back to inspection
through the normal move path.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.automations.support import Scene, receiver_fixture, scene_fixture
from tests.services.moves_support import FieldDef, StepDef, history

__all__ = ["receiver_fixture", "scene_fixture"]

FIELDS = [
    FieldDef(name="quality_status", field_type="dropdown", options=("pending", "pass", "fail")),
    FieldDef(name="defect_notes", field_type="long_text"),
]


def test_a_failed_inspection_goes_to_rework_and_back(scene: Scene) -> None:
    pipeline = scene.pipeline(
        [
            StepDef(name="Production"),
            StepDef(
                name="Quality Inspection",
                config={
                    "automations": [
                        {
                            "id": "send_to_rework",
                            "trigger": "on_field_change",
                            "field_id": "quality_status",
                            "to_value": "fail",
                            "action": {"type": "move_to_step", "step": "Rework"},
                        }
                    ]
                },
            ),
            StepDef(
                name="Rework",
                config={
                    "automations": [
                        {
                            "id": "assign_rework",
                            "trigger": "on_enter",
                            "action": {
                                "type": "assign",
                                "assignment": {"type": "user", "id": "ada"},
                                "mode": "add",
                            },
                        },
                        {
                            "id": "reset_quality",
                            "trigger": "on_enter",
                            "action": {
                                "type": "update_field",
                                "field_id": "quality_status",
                                "value": "pending",
                            },
                        },
                        {
                            "id": "tell_owner",
                            "trigger": "on_enter",
                            "action": {
                                "type": "notify",
                                "recipients": [{"type": "owner"}],
                                "subject": "Rework: {{item.name}} ({{field.defect_notes}})",
                                "channels": ["in_app"],
                            },
                        },
                        {
                            "id": "back_to_inspection",
                            "trigger": "on_duration",
                            "duration_days": 2,
                            "action": {"type": "move_to_step", "step": "Quality Inspection"},
                        },
                    ]
                },
            ),
            StepDef(name="Shipping"),
        ],
        name="Manufacturing",
        fields=FIELDS,
    )
    order = scene.create_item(pipeline, "Order 7")
    scene.move(order["id"], pipeline.step("Quality Inspection"))
    scene.api(
        "POST",
        "/api/item/update-fields",
        json={
            "id": order["id"],
            "field_values": {"quality_status": "fail", "defect_notes": "dent"},
        },
    )
    scene.drain()

    assert [
        name for name, _ in history(scene.container, scene.tenant_id, uuid.UUID(order["id"]))
    ] == [
        "Production",
        "Quality Inspection",
        "Rework",
    ]
    runs = {run.automation_id: run for run in scene.runs()}
    assert runs["send_to_rework"].status == "succeeded"
    assert runs["send_to_rework"].result["moved_to"] == "Rework"
    detail = scene.api("GET", "/api/item/get", params={"id": order["id"]})["item"]
    assert detail["assigned_account_ids"] == [str(scene.admin.account_id)]
    assert detail["field_values"]["quality_status"] == "pending"
    for rule in ("assign_rework", "reset_quality", "tell_owner"):
        assert runs[rule].status == "succeeded", (rule, runs[rule].error)
    inbox = scene.api("GET", "/api/notification/list")
    assert "Rework: Order 7 (dent)" in [n["subject"] for n in inbox["notifications"]]

    scene.clock.advance(timedelta(days=2))
    scene.drain()
    assert [name for name, _ in history(scene.container, scene.tenant_id, uuid.UUID(order["id"]))][
        -1
    ] == ("Quality Inspection")
    [back] = scene.runs(automation_id="back_to_inspection")
    assert (back.status, back.trigger) == ("succeeded", "on_duration")
