"""Recruiting: Offer Extended sends a signed webhook; Hired creates the linked Onboarding item."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from pacetrack.db.tables import Item
from tests.automations.support import Scene, receiver_fixture, scene_fixture
from tests.services.moves_support import FieldDef, Pipeline, StepDef

__all__ = ["receiver_fixture", "scene_fixture"]


def _recruiting(scene: Scene) -> tuple[Pipeline, Pipeline]:
    onboarding = scene.pipeline(
        [StepDef(name="Preparation"), StepDef(name="First day")],
        name="Onboarding",
        fields=[FieldDef(name="start_date", field_type="date")],
    )
    recruiting = scene.pipeline(
        [
            StepDef(name="Applied"),
            StepDef(
                name="Offer Extended",
                config={
                    "automations": [
                        {
                            "id": "create_onboarding_ticket",
                            "name": "Create onboarding ticket",
                            "trigger": "on_enter",
                            "action": {
                                "type": "webhook",
                                "target": scene.url("/onboarding/create"),
                                "data": {
                                    "candidate_id": "{{item.id}}",
                                    "candidate": "{{item.name}}",
                                    "step": "{{step.name}}",
                                    "pipeline": "{{pipeline.name}}",
                                },
                            },
                        }
                    ]
                },
            ),
            StepDef(
                name="Hired",
                config={
                    "automations": [
                        {
                            "id": "start_onboarding",
                            "trigger": "on_enter",
                            "action": {
                                "type": "create_item",
                                "pipeline_instance_id": "Onboarding",
                                "name": "{{item.name}}",
                                "field_mapping": {"start_date": "{{field.start_date}}"},
                            },
                        }
                    ]
                },
            ),
        ],
        name="Recruiting",
    )
    return recruiting, onboarding


def test_entering_offer_extended_sends_a_signed_onboarding_ticket_webhook(scene: Scene) -> None:
    recruiting, _ = _recruiting(scene)
    endpoint = scene.endpoint(scene.url("/onboarding/create"))
    candidate = scene.create_item(recruiting, "Grace Hopper")
    scene.move(candidate["id"], recruiting.step("Offer Extended"))
    assert scene.receiver.requests == []  # recorded, not performed, by the move

    scene.drain()

    [request] = scene.receiver.wait_for(1)
    headers = {key: value for key, value in request.headers}
    verified = Webhook(endpoint["secret"]).verify(request.body, headers)
    assert verified["type"] == "create_onboarding_ticket"
    assert verified["data"] == {
        "candidate_id": candidate["id"],
        "candidate": "Grace Hopper",
        "step": "Offer Extended",
        "pipeline": "Recruiting",
    }
    assert request.header("X-PaceTrack-Signature") == request.header("webhook-signature")
    [run] = scene.runs(automation_id="create_onboarding_ticket")
    assert run.status == "succeeded"
    assert str(run.delivery_id) == request.header("webhook-id")
    [attempt] = scene.attempts(run.delivery_id)
    assert (attempt.attempt, attempt.response_status, attempt.outcome) == (1, 200, "succeeded")
    log = scene.api("GET", "/api/automation-log/list", params={"item_id": candidate["id"]})
    assert [r["automation_id"] for r in log["runs"]] == ["create_onboarding_ticket"]
    assert log["runs"][0]["attempts"][0]["response_status"] == 200


def test_a_target_url_without_an_endpoint_is_registered_and_signed(scene: Scene) -> None:
    recruiting, _ = _recruiting(scene)
    candidate = scene.create_item(recruiting, "Alan Turing")
    scene.move(candidate["id"], recruiting.step("Offer Extended"))
    scene.drain()

    [request] = scene.receiver.wait_for(1)
    [endpoint] = scene.api("GET", "/api/webhook-endpoint/list")
    assert endpoint["auto_registered"] is True
    assert endpoint["url"] == scene.url("/onboarding/create")
    assert "secret" not in endpoint
    secret = scene.endpoint_row(endpoint["id"]).secret
    assert endpoint["secret_hint"].endswith(secret.rstrip("=")[-4:])
    Webhook(secret).verify(request.body, dict(request.headers))


def test_hired_creates_the_linked_onboarding_item(scene: Scene) -> None:
    recruiting, onboarding = _recruiting(scene)
    candidate = scene.create_item(recruiting, "Ada Lovelace", start_date="2026-04-01")
    scene.move(candidate["id"], recruiting.step("Hired"))

    scene.drain()
    scene.drain()  # a second pass must not create a second item

    with scene.container.uow() as uow:
        created = uow.session.scalars(
            select(Item).where(
                Item.tenant_id == scene.tenant_id,
                Item.pipeline_instance_id == onboarding.instance_id,
            )
        ).all()
        uow.session.expunge_all()
    [ticket] = created
    assert ticket.name == "Ada Lovelace"
    assert ticket.field_values == {"start_date": "2026-04-01"}
    assert ticket.source_item_id == uuid.UUID(candidate["id"])
    assert ticket.current_step_id == onboarding.step("Preparation")
    [run] = scene.runs(automation_id="start_onboarding")
    assert run.status == "succeeded"
    assert run.result == {"created_item_id": str(ticket.id)}
    assert json.loads(json.dumps(run.rendered_request))["field_values"] == {
        "start_date": "2026-04-01"
    }
