"""Use case 3, Manufacturing: a fabrication order end to end over HTTP on the demo people."""

from __future__ import annotations

from datetime import timedelta

from tests.usecases.conftest import Journey

PENDING_MESSAGE = "Set the quality status to pass or fail before leaving inspection"
TRACKING_MESSAGE = "A tracking number is 10 to 20 capital letters or digits"


def test_fabrication_order_with_a_quality_loop(journey: Journey) -> None:
    journey.start("manufacturing")
    manager = "production_manager"
    order = journey.created(
        "Counter top",
        as_=manager,
        values={"dimensions": {"sqft": 120}, "units": 12, "material": {"cost_per_sqft": 4.5}},
    )
    assert order["current_step_id"] == str(journey.steps["Order Received"])
    _, required = journey.view(order["id"])
    assert {"dimensions", "units"} <= required

    # Material Procurement: the specialist, and material_cost = 120 sqft x 4.5 exactly.
    procured = journey.moved(order["id"], "Material Procurement", as_=manager)
    assert journey.usernames(procured["assigned_account_ids"]) == ["procurement_specialist"]
    assert procured["field_values"]["material_cost"] == "540.00"
    visible, _ = journey.view(order["id"])
    assert "defect_notes" not in visible

    # Production: hours = units x minutes per unit / 60.
    journey.moved(order["id"], "Production", as_=manager)
    produced = journey.updated(order["id"], {"minutes_per_unit": 25}, as_=manager)
    assert produced["field_values"]["production_hours"] == "5"

    # Quality Inspection: round robin over qa_team, defect notes visible, pending blocks.
    inspected = journey.moved(order["id"], "Quality Inspection", as_=manager)
    assert journey.usernames(inspected["assigned_account_ids"]) == ["qa_1"]
    visible, required = journey.view(order["id"])
    assert {"quality_status", "defect_notes"} <= visible
    assert "quality_status" in required
    journey.updated(order["id"], {"quality_status": "pending"}, as_="qa_1")
    refused = journey.move(order["id"], "Shipping", as_="qa_1")
    assert refused.status_code == 422
    assert refused.json()["violations"] == [
        {"rule_id": "quality_decided", "field_id": "quality_status", "message": PENDING_MESSAGE}
    ]

    # A fail sends the order to Rework and tells the production manager.
    failed = journey.updated(
        order["id"], {"quality_status": "fail", "defect_notes": "Chipped edge"}, as_="qa_1"
    )
    assert failed["current_step_id"] == str(journey.steps["Rework"])
    journey.run_worker()
    assert [n["subject"] for n in journey.inbox(manager, order["id"])] == [
        "Rework needed: Counter top"
    ]
    visible, required = journey.view(order["id"])
    assert "defect_notes" in visible and "defect_notes" in required

    # Rework: target 3 days; overdue tells the production manager once.
    journey.advance(timedelta(days=2, hours=23))
    assert len(journey.inbox(manager, order["id"])) == 1
    journey.advance(timedelta(hours=2))
    journey.advance(timedelta(days=2))
    assert [n["subject"] for n in journey.inbox(manager, order["id"])] == [
        "Rework needed: Counter top",
        "Rework overdue: Counter top",
    ]

    # Rework returns only to Quality Inspection.
    skipped = journey.move(order["id"], "Shipping", as_=manager)
    assert skipped.status_code == 422
    assert [v["rule_id"] for v in skipped.json()["violations"]] == ["transition:not_allowed"]
    journey.moved(order["id"], "Quality Inspection", as_=manager)
    journey.updated(order["id"], {"quality_status": "pass"}, as_="qa_2")

    # Shipping: a tracking number in the right shape.
    journey.moved(order["id"], "Shipping", as_=manager)
    visible, _ = journey.view(order["id"])
    assert "defect_notes" not in visible
    journey.updated(order["id"], {"tracking_number": "1z-short"}, as_=manager)
    bad = journey.move(order["id"], "Delivered", as_=manager)
    assert bad.status_code == 422
    assert bad.json()["violations"] == [
        {
            "rule_id": "tracking_number_format",
            "field_id": "tracking_number",
            "message": TRACKING_MESSAGE,
        }
    ]
    journey.updated(order["id"], {"tracking_number": "1Z999AA10123456784"}, as_=manager)
    journey.moved(order["id"], "Delivered", as_=manager)

    assert journey.history(order["id"]) == [
        "Order Received",
        "Material Procurement",
        "Production",
        "Quality Inspection",
        "Rework",
        "Quality Inspection",
        "Shipping",
        "Delivered",
    ]
