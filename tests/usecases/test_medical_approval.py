"""Medical: discharge from Post-Op Recovery waits for a physician's approval.

Post-Op Recovery assigns every account with the ``physician`` role, requires
approval from the ``physicians`` group and voids an approval when the
medication dose changes afterwards. Everything goes through the HTTP API and the
real move and field-update paths.
"""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from pacetrack.bootstrap import Container
from tests.conftest import Login, make_login
from tests.services.assignments_support import World


def test_discharge_needs_a_physician_and_not_the_requesters_own_approval(
    client: TestClient, container: Container, admin: Login
) -> None:
    world = World(container=container, tenant_id=admin.tenant_id)
    people: dict[str, Login] = {}
    for name, roles in (
        ("nurse_1", ["member"]),
        ("physician_1", ["member", "physician"]),
        ("physician_2", ["member", "physician"]),
    ):
        people[name] = make_login(container, slug="acme", username=name, roles=roles)
        world.accounts[name] = people[name].account_id
    world.add_person("physician_retired", roles=["physician"], active=False)
    world.add_group("physicians", ["physician_1", "physician_2", "physician_retired"])
    created = client.post(
        "/api/field-definition/create",
        json={"name": "medication_dose_mg", "label": "Dose (mg)", "field_type": "number"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    surgery = world.add_step("Surgery")
    post_op = world.add_step(
        "Post-Op Recovery",
        assignments=[{"type": "role", "id": "physician"}],
        metadata={
            "requires_approval": True,
            "approver": {"type": "account_group", "id": "physicians"},
            "void_approval_on_change": ["medication_dose_mg"],
        },
    )
    discharged = world.add_step("Discharged")
    patient = client.post(
        "/api/item/create",
        json={
            "pipeline_instance_id": str(world.pipeline_id),
            "name": "Patient 7",
            "step_id": str(surgery),
        },
        headers=admin.headers,
    ).json()

    def move(step_id: uuid.UUID):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/item/move-to-step",
            json={"id": patient["id"], "step_id": str(step_id)},
            headers=people["nurse_1"].headers,
        )

    def post(path: str, body: dict, who: str):  # type: ignore[no-untyped-def]
        return client.post(path, json=body, headers=people[who].headers)

    entered = move(post_op)
    assigned = sorted(world.username(uuid.UUID(a)) for a in entered.json()["assigned_account_ids"])
    before_request = move(discharged)

    own = post("/api/approval/request", {"item_id": patient["id"]}, "physician_1").json()
    self_approval = post("/api/approval/approve", {"request_id": own["id"]}, "physician_1")
    nurse_approval = post("/api/approval/approve", {"request_id": own["id"]}, "nurse_1")
    rejection = post(
        "/api/approval/reject",
        {"request_id": own["id"], "comment": "Temperature 38.9°C; observe overnight"},
        "physician_2",
    )
    after_rejection = move(discharged)

    second = post(
        "/api/approval/request", {"item_id": patient["id"], "comment": "fever gone"}, "nurse_1"
    ).json()
    post("/api/approval/approve", {"request_id": second["id"]}, "physician_1")
    dose_changed = client.post(
        "/api/item/update-fields",
        json={"id": patient["id"], "field_values": {"medication_dose_mg": 40}},
        headers=people["nurse_1"].headers,
    )
    after_change = move(discharged)

    third = post("/api/approval/request", {"item_id": patient["id"]}, "nurse_1").json()
    pending_for_physician = client.get(
        "/api/approval/list-pending", headers=people["physician_2"].headers
    ).json()
    post("/api/approval/approve", {"request_id": third["id"]}, "physician_2")
    discharge = move(discharged)

    assert entered.status_code == 200, entered.text
    assert assigned == ["physician_1", "physician_2"]
    assert before_request.status_code == 422
    assert [v["rule_id"] for v in before_request.json()["violations"]] == ["approval_required"]
    assert self_approval.status_code == 403
    assert "your own" in self_approval.json()["detail"]
    assert nurse_approval.status_code == 403
    assert rejection.status_code == 200
    assert after_rejection.status_code == 422
    assert after_rejection.json()["violations"] == [
        {
            "rule_id": "approval_rejected",
            "field_id": None,
            "message": "Approval to leave Post-Op Recovery was rejected: "
            "Temperature 38.9°C; observe overnight",
        }
    ]
    assert dose_changed.status_code == 200, dose_changed.text
    assert after_change.status_code == 422
    assert [v["rule_id"] for v in after_change.json()["violations"]] == ["approval_required"]
    assert [p["id"] for p in pending_for_physician] == [third["id"]]
    assert discharge.status_code == 200, discharge.text
    assert discharge.json()["current_step_id"] == str(discharged)
