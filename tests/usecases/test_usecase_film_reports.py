"""Use case 6, Film: the daily production report (a webhook and an email to the producer).

Both rules of Principal Photography are ``on_duration`` after one day,
repeating every day. The webhook goes to a real loopback receiver and the
email through the worker's SMTP mailer to a real aiosmtpd server on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from pacetrack.adapters.smtp import SmtpConfig, SmtpMailer
from pacetrack.worker import Worker
from tests.support.webhook_receiver import WebhookReceiver
from tests.usecases.conftest import SLUG, Journey
from tests.usecases.library_webhooks import library_automations, route_webhooks_to, signed_payload
from tests.worker.conftest import Inbox, free_port

STEP = "Principal Photography"
PATH = "/production-reports"
SUBJECT = "Daily production report: Night Train"


@pytest.fixture
def mail() -> Iterator[tuple[Inbox, SmtpMailer]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, SmtpMailer(SmtpConfig(host="127.0.0.1", port=port, tls="none"))
    finally:
        controller.stop()


def _advance(journey: Journey, mailer: SmtpMailer, delta: timedelta) -> None:
    journey.clock.advance(delta)
    Worker(journey.container, mailer=mailer).drain()


def _reports(inbox: Inbox) -> list[Message]:
    return [m for m in inbox.messages if m["Subject"] == SUBJECT]


def _text(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def test_the_library_principal_photography_step_reports_daily_by_webhook_and_email() -> None:
    rules = {rule["id"]: rule for rule in library_automations("film", STEP)}
    assert set(rules) == {"daily_production_report", "daily_production_report_email"}
    for rule in rules.values():
        assert rule["trigger"] == "on_duration"
        assert (rule["duration_days"], rule["repeat_every_days"]) == (1, 1)
    assert rules["daily_production_report"]["action"]["type"] == "webhook"
    email = rules["daily_production_report_email"]["action"]
    assert email["type"] == "notify"
    assert email["recipients"] == [{"type": "user", "id": "producer"}]
    assert email["channels"] == ["email"]


def test_a_production_report_per_day_in_principal_photography(
    journey: Journey, mail: tuple[Inbox, SmtpMailer]
) -> None:
    inbox, mailer = mail
    journey.start("film")
    with WebhookReceiver() as receiver:
        secret = route_webhooks_to(journey, receiver, library_key="film", step=STEP, path=PATH)
        film = journey.created(
            "Night Train",
            as_="producer",
            step="Pre-Production",
            values={
                "budget_above_line": "1000000.00",
                "budget_below_line": "3000000.00",
                "shoot_start": "2026-03-02",
                "shoot_end": "2026-04-15",
            },
        )
        journey.moved(film["id"], STEP, as_="producer")
        journey.updated(film["id"], {"scenes_total": 120, "scenes_shot": 30}, as_="line_producer")
        _advance(journey, mailer, timedelta(hours=23, minutes=59))
        assert receiver.requests == [] and _reports(inbox) == []

        _advance(journey, mailer, timedelta(minutes=1))
        assert len(receiver.wait_for(1)) == 1
        assert len(_reports(inbox)) == 1
        journey.updated(film["id"], {"scenes_shot": 60}, as_="line_producer")
        _advance(journey, mailer, timedelta(days=1))
        assert len(receiver.wait_for(2)) == 2
        assert len(_reports(inbox)) == 2
        _advance(journey, mailer, timedelta(days=1))
        three = receiver.wait_for(3)
        assert len(three) == 3
        assert len(_reports(inbox)) == 3

        journey.moved(film["id"], "Post-Production", as_="producer")
        for _ in range(2):
            _advance(journey, mailer, timedelta(days=1))
        assert receiver.requests == three

    payloads = [signed_payload(secret, request) for request in three]
    assert {p["type"] for p in payloads} == {"daily_production_report"}
    assert [p["data"] for p in payloads] == [
        {"production_id": film["id"], "scenes_shot": "30", "percent_shot": "25"},
        {"production_id": film["id"], "scenes_shot": "60", "percent_shot": "50"},
        {"production_id": film["id"], "scenes_shot": "60", "percent_shot": "50"},
    ]
    assert len({request.header("webhook-id") for request in three}) == 3

    reports = _reports(inbox)
    assert [m["To"] for m in reports] == [f"producer@{SLUG}.example"] * 3
    assert [_text(m).strip() for m in reports] == [
        "30 of 120 scenes shot (25%).",
        "60 of 120 scenes shot (50%).",
        "60 of 120 scenes shot (50%).",
    ]
    # Email only: the rule does not put the report in the producer's in-app inbox.
    assert journey.inbox("producer", film["id"]) == []
