"""Use case 1, Sales: entering Qualified sends the CRM "create opportunity" webhook, signed."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from tests.support.webhook_receiver import WebhookReceiver
from tests.usecases.conftest import Journey
from tests.usecases.library_webhooks import library_automations, route_webhooks_to


def test_the_library_qualified_step_creates_the_crm_opportunity_on_entry() -> None:
    (rule,) = library_automations("sales", "Qualified")
    assert (rule["id"], rule["trigger"], rule["action"]["type"]) == (
        "create_opportunity",
        "on_enter",
        "webhook",
    )
    assert rule["action"]["data"] == {"deal_id": "{{item.id}}", "value": "{{field.deal_value}}"}


def test_entering_qualified_sends_a_signed_create_opportunity_request(journey: Journey) -> None:
    # Signed with the worker's clock: keep it at the real time so the receiver's
    # five-minute freshness check in ``Webhook.verify`` applies unchanged.
    journey.clock.set(datetime.now(UTC).replace(microsecond=0))
    journey.start("sales")
    with WebhookReceiver() as receiver:
        secret = route_webhooks_to(
            journey, receiver, library_key="sales", step="Qualified", path="/opportunities"
        )
        deal = journey.created(
            "Initech", values={"deal_value": "12500.00", "decision_maker": "Bill Lumbergh"}
        )
        journey.created("Hooli", values={"deal_value": "80000.00", "decision_maker": "Gavin"})
        journey.moved(deal["id"], "Qualified", as_="sdr_1")
        assert receiver.requests == []  # the move records the run; the worker sends it

        journey.run_worker()
        (request,) = receiver.wait_for(1)
        journey.run_worker()  # a second pass sends nothing more
        assert len(receiver.requests) == 1

    assert (request.method, request.path) == ("POST", "/opportunities")
    verified = Webhook(secret).verify(request.body, dict(request.headers))
    assert verified["type"] == "create_opportunity"
    assert verified["data"] == {"deal_id": deal["id"], "value": "12500.00"}
    assert json.loads(request.body) == verified
    assert request.header("X-PaceTrack-Signature") == request.header("webhook-signature")
    log = journey.client.get(
        "/api/automation-log/list", params={"item_id": deal["id"]}, headers=journey.headers()
    )
    assert log.status_code == 200, log.text
    (run,) = log.json()["runs"]
    assert (run["automation_id"], run["trigger"], run["status"]) == (
        "create_opportunity",
        "on_enter",
        "succeeded",
    )
    assert [a["response_status"] for a in run["attempts"]] == [200]
