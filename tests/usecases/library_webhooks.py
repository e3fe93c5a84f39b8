"""Point a library step's webhook automations at a real loopback receiver, and verify deliveries.

The library templates name public receivers (``crm.example.com`` …). A journey
keeps each rule as the library ships it and only overrides the webhook
``target`` of that step (``/api/pipeline-instance/update-step-overrides``),
after allow-listing loopback for the tenant and registering the endpoint, so
the test knows the secret the deliveries are signed with.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from pacetrack.services.template_transfer import library_documents
from tests.support.webhook_receiver import ReceivedRequest, WebhookReceiver
from tests.usecases.conftest import Journey


def library_automations(library_key: str, step: str) -> list[dict[str, Any]]:
    """The automations of one step exactly as the library template ships them."""
    steps = library_documents()[library_key]["steps"]
    (found,) = [s for s in steps if s["name"] == step]
    return list(found.get("automations", []))


def route_webhooks_to(
    journey: Journey, receiver: WebhookReceiver, *, library_key: str, step: str, path: str
) -> str:
    """Sends the step's webhook automations to ``receiver`` at ``path``; returns the secret."""
    admin = journey.headers()
    url = receiver.url + path
    allowed = journey.client.post(
        "/api/webhook-allow-list/set", json={"entries": ["127.0.0.0/8"]}, headers=admin
    )
    assert allowed.status_code == 200, allowed.text
    endpoint = journey.client.post("/api/webhook-endpoint/create", json={"url": url}, headers=admin)
    assert endpoint.status_code == 201, endpoint.text
    rules = [
        {**rule, "action": {**rule["action"], "target": url}}
        if rule["action"]["type"] == "webhook"
        else rule
        for rule in library_automations(library_key, step)
    ]
    overridden = journey.client.post(
        "/api/pipeline-instance/update-step-overrides",
        json={"step_id": str(journey.steps[step]), "config_overrides": {"automations": rules}},
        headers=admin,
    )
    assert overridden.status_code == 200, overridden.text
    return str(endpoint.json()["secret"])


def signed_payload(secret: str, request: ReceivedRequest) -> dict[str, Any]:
    """The JSON body once its Standard Webhooks signature is checked with the endpoint secret.

    The worker signs with the simulated clock, days away from the real one, so
    the signature is recomputed by ``standardwebhooks`` for the timestamp the
    request carries instead of ``Webhook.verify`` (which also rejects
    timestamps more than five minutes from the real clock).
    """
    msg_id = request.header("webhook-id")
    timestamp = request.header("webhook-timestamp")
    signatures = (request.header("webhook-signature") or "").split()
    assert msg_id and timestamp and signatures, request.headers
    expected = Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(int(timestamp), UTC), request.body.decode()
    )
    assert expected in signatures
    assert request.header("X-PaceTrack-Signature") == request.header("webhook-signature")
    payload = json.loads(request.body)
    assert isinstance(payload, dict)
    return payload
