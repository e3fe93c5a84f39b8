"""Use case 2, Recruiting: the library template end to end over HTTP on the demo people."""

from __future__ import annotations

import json
from datetime import timedelta

from pacetrack.adapters.webhook_signing import sign
from pacetrack.services.template_transfer import library_documents
from tests.support.webhook_receiver import WebhookReceiver
from tests.usecases.conftest import Journey

TECH_MESSAGE = "Tech stack is required before interviews"
EXPIRED_MESSAGE = "The offer has expired"


def test_candidate_from_application_to_hire(journey: Journey) -> None:
    journey.start("recruiting")
    onboarding = journey.start("onboarding", instance_name="Onboarding")
    hm = "hiring_manager"
    grace = journey.created("Grace Hopper", as_=hm, values={"years_experience": 12})
    linus = journey.created("Linus T", as_=hm)

    # Phone Screen: round robin over the recruiters; tech stack hidden.
    screened = [journey.moved(c["id"], "Phone Screen", as_=hm) for c in (grace, linus)]
    assert [journey.usernames(s["assigned_account_ids"]) for s in screened] == [
        ["recruiter_1"],
        ["recruiter_2"],
    ]
    visible, _ = journey.view(grace["id"])
    assert "tech_stack" not in visible

    # Technical Screen: tech stack visible and required, every interviewer assigned.
    technical = journey.moved(grace["id"], "Technical Screen", as_="recruiter_1")
    assert journey.usernames(technical["assigned_account_ids"]) == ["eng_1", "eng_2", "eng_3"]
    visible, required = journey.view(grace["id"])
    assert "tech_stack" in visible and "tech_stack" in required
    journey.updated(grace["id"], {"tech_stack": ["python", "go"]}, as_="eng_1")

    # The hiring manager approves leaving Technical Screen.
    blocked = journey.move(grace["id"], "Onsite", as_="eng_1")
    assert blocked.status_code == 422
    assert [v["rule_id"] for v in blocked.json()["violations"]] == ["approval_required"]
    request = journey.client.post(
        "/api/approval/request", json={"item_id": grace["id"]}, headers=journey.headers("eng_1")
    )
    assert request.status_code == 201, request.text
    by_peer = journey.client.post(
        "/api/approval/approve",
        json={"request_id": request.json()["id"]},
        headers=journey.headers("eng_2"),
    )
    assert by_peer.status_code == 403
    approved = journey.client.post(
        "/api/approval/approve",
        json={"request_id": request.json()["id"]},
        headers=journey.headers(hm),
    )
    assert approved.status_code == 200, approved.text
    journey.moved(grace["id"], "Onsite", as_="eng_1")
    visible, required = journey.view(grace["id"])
    assert "tech_stack" in visible and "tech_stack" in required

    # Onsite: no interview without a tech stack.
    bare = journey.created("No Stack", as_=hm, step="Onsite")
    refused = journey.move(bare["id"], "Offer Extended", as_=hm)
    assert refused.status_code == 422
    assert {
        "rule_id": "tech_stack_required",
        "field_id": "tech_stack",
        "message": TECH_MESSAGE,
    } in refused.json()["violations"]

    # Offer Extended: salary and expiry required; an expired offer cannot go on.
    journey.moved(grace["id"], "Offer Extended", as_=hm)
    _, required = journey.view(grace["id"])
    assert {"salary_offer", "offer_expires_on", "tech_stack"} <= required
    journey.updated(grace["id"], {"salary_offer": 185000, "offer_expires_on": "2026-03-01"}, as_=hm)
    expired = journey.move(grace["id"], "Hired", as_=hm)
    assert expired.status_code == 422
    assert {
        "rule_id": "offer_not_expired",
        "field_id": "offer_expires_on",
        "message": EXPIRED_MESSAGE,
    } in expired.json()["violations"]
    journey.updated(grace["id"], {"offer_expires_on": "2026-03-20"}, as_=hm)

    # Five days after the offer the owner hears it is about to expire, once.
    journey.advance(timedelta(days=4, hours=23))
    assert journey.inbox(hm, grace["id"], trigger="on_duration") == []
    journey.advance(timedelta(hours=2))
    journey.advance(timedelta(days=3))
    assert [n["subject"] for n in journey.inbox(hm, grace["id"], trigger="on_duration")] == [
        "Offer about to expire: Grace Hopper"
    ]

    # Hired: start date required; the hire starts a linked item in Onboarding.
    journey.updated(grace["id"], {"start_date": "2026-04-01"}, as_=hm)
    journey.moved(grace["id"], "Hired", as_=hm)
    _, required = journey.view(grace["id"])
    assert "start_date" in required
    journey.run_worker()
    started = journey.client.get(
        "/api/item/list",
        params={"pipeline_instance_id": str(onboarding)},
        headers=journey.headers(),
    ).json()["items"]
    assert [(i["name"], i["field_values"], i["source_item_id"]) for i in started] == [
        ("Grace Hopper", {"start_date": "2026-04-01"}, grace["id"])
    ]
    assert journey.history(grace["id"]) == [
        "Applied",
        "Phone Screen",
        "Technical Screen",
        "Onsite",
        "Offer Extended",
        "Hired",
    ]


def test_offer_extended_sends_a_signed_onboarding_ticket_request(journey: Journey) -> None:
    journey.start("recruiting")
    admin = journey.headers()
    with WebhookReceiver() as receiver:
        url = receiver.url + "/onboarding/create"
        allowed = journey.client.post(
            "/api/webhook-allow-list/set", json={"entries": ["127.0.0.0/8"]}, headers=admin
        )
        assert allowed.status_code == 200, allowed.text
        endpoint = journey.client.post(
            "/api/webhook-endpoint/create", json={"url": url}, headers=admin
        )
        assert endpoint.status_code == 201, endpoint.text
        rule = next(
            a
            for a in library_documents()["recruiting"]["steps"][4]["automations"]
            if a["id"] == "create_onboarding_ticket"
        )
        overridden = journey.client.post(
            "/api/pipeline-instance/update-step-overrides",
            json={
                "step_id": str(journey.steps["Offer Extended"]),
                "config_overrides": {
                    "automations": [{**rule, "action": {**rule["action"], "target": url}}]
                },
            },
            headers=admin,
        )
        assert overridden.status_code == 200, overridden.text
        candidate = journey.created(
            "Ada Lovelace", step="Onsite", values={"tech_stack": ["python"]}
        )
        journey.moved(candidate["id"], "Offer Extended")
        journey.run_worker()
        (request,) = receiver.wait_for(1)

    body = json.loads(request.body)
    assert request.path == "/onboarding/create"
    assert body["type"] == "create_onboarding_ticket"
    assert body["data"] == {"candidate_id": candidate["id"]}
    msg_id, timestamp = request.header("webhook-id"), request.header("webhook-timestamp")
    assert msg_id and timestamp
    expected = sign(
        secret=endpoint.json()["secret"], msg_id=msg_id, timestamp=int(timestamp), body=request.body
    )
    assert expected in (request.header("webhook-signature") or "").split()
