"""Use case 3, Manufacturing: entering Material Procurement sends the "update inventory" webhook."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from tests.support.webhook_receiver import WebhookReceiver
from tests.usecases.conftest import Journey
from tests.usecases.library_webhooks import library_automations, route_webhooks_to


def test_the_library_material_procurement_step_updates_inventory_on_entry() -> None:
    (rule,) = library_automations("manufacturing", "Material Procurement")
    assert (rule["id"], rule["trigger"], rule["action"]["type"]) == (
        "update_inventory",
        "on_enter",
        "webhook",
    )
    assert rule["action"]["data"] == {
        "order_id": "{{item.id}}",
        "sqft": "{{field.dimensions.sqft}}",
        "cost_per_sqft": "{{field.material.cost_per_sqft}}",
        "material_cost": "{{field.material_cost}}",
    }


def test_entering_material_procurement_sends_a_signed_update_inventory_request(
    journey: Journey,
) -> None:
    # Signed with the worker's clock: keep it at the real time for ``Webhook.verify``.
    journey.clock.set(datetime.now(UTC).replace(microsecond=0))
    journey.start("manufacturing")
    with WebhookReceiver() as receiver:
        secret = route_webhooks_to(
            journey,
            receiver,
            library_key="manufacturing",
            step="Material Procurement",
            path="/reservations",
        )
        order = journey.created(
            "Kitchen counters",
            values={"dimensions": {"sqft": 120}, "units": 4, "material": {"cost_per_sqft": 4.5}},
        )
        journey.created("Office desks", values={"dimensions": {"sqft": 40}, "units": 10})
        procured = journey.moved(order["id"], "Material Procurement")
        assert journey.usernames(procured["assigned_account_ids"]) == ["procurement_specialist"]
        assert receiver.requests == []  # the move records the run; the worker sends it

        journey.run_worker()
        (request,) = receiver.wait_for(1)
        journey.run_worker()  # a second pass sends nothing more
        assert len(receiver.requests) == 1

    assert (request.method, request.path) == ("POST", "/reservations")
    verified = Webhook(secret).verify(request.body, dict(request.headers))
    assert verified["type"] == "update_inventory"
    # 120 sqft at 4.5: the calculation runs on entry, before the request is rendered.
    assert verified["data"] == {
        "order_id": order["id"],
        "sqft": "120",
        "cost_per_sqft": "4.5",
        "material_cost": "540.00",
    }
    log = journey.client.get(
        "/api/automation-log/list", params={"item_id": order["id"]}, headers=journey.headers()
    )
    assert log.status_code == 200, log.text
    (run,) = log.json()["runs"]
    assert (run["automation_id"], run["trigger"], run["status"]) == (
        "update_inventory",
        "on_enter",
        "succeeded",
    )
    assert [a["response_status"] for a in run["attempts"]] == [200]
