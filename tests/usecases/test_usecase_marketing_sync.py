"""Use case 4, Marketing: the daily "sync campaign performance" webhook while a campaign is live.

The rule is ``on_duration`` after one day, repeating every day. Time is the
journey's FrozenClock; ``advance`` moves it and runs the worker, which sends
the deliveries to a real loopback receiver.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.webhook_receiver import ReceivedRequest, WebhookReceiver
from tests.usecases.conftest import Journey
from tests.usecases.library_webhooks import library_automations, route_webhooks_to, signed_payload

SYNC = "sync_campaign_performance"
PATH = "/campaign-performance/sync"


def _live_campaign(journey: Journey, receiver: WebhookReceiver) -> tuple[str, dict[str, Any]]:
    """A campaign that has just entered Live Campaign, and the endpoint secret."""
    journey.start("marketing")
    secret = route_webhooks_to(
        journey, receiver, library_key="marketing", step="Live Campaign", path=PATH
    )
    campaign = journey.created(
        "Spring launch",
        as_="marketing_lead",
        step="Review",
        values={"budget": 10000, "launch_date": "2026-03-02", "end_date": "2026-05-31"},
    )
    journey.moved(campaign["id"], "Live Campaign", as_="marketing_lead")
    journey.run_worker()
    return secret, campaign


def _syncs(secret: str, requests: list[ReceivedRequest], campaign: dict[str, Any]) -> list[str]:
    """The webhook-ids of the sync requests, each checked for signature and content."""
    ids = []
    for request in requests:
        assert request.path == PATH
        payload = signed_payload(secret, request)
        assert payload["type"] == SYNC
        assert payload["data"] == {"campaign_id": campaign["id"]}
        ids.append(str(request.header("webhook-id")))
    return ids


def test_the_library_live_campaign_step_syncs_every_day() -> None:
    (rule,) = library_automations("marketing", "Live Campaign")
    assert (rule["id"], rule["trigger"], rule["action"]["type"]) == (SYNC, "on_duration", "webhook")
    assert (rule["duration_days"], rule["repeat_every_days"]) == (1, 1)
    assert rule.get("day_kind", "calendar") == "calendar"


def test_sync_fires_once_per_day_in_live_campaign_and_stops_when_it_leaves(
    journey: Journey,
) -> None:
    with WebhookReceiver() as receiver:
        secret, campaign = _live_campaign(journey, receiver)
        entered = journey.clock.now()
        assert receiver.requests == []

        journey.advance(timedelta(hours=23, minutes=59))
        assert receiver.requests == []
        journey.advance(timedelta(minutes=1))
        assert len(receiver.wait_for(1)) == 1
        journey.advance(timedelta(days=1))
        assert len(receiver.wait_for(2)) == 2
        journey.advance(timedelta(days=1))
        three = receiver.wait_for(3)
        assert len(three) == 3

        journey.moved(campaign["id"], "Reporting", as_="marketing_lead")
        for _ in range(3):
            journey.advance(timedelta(days=1))
        after = receiver.requests

    ids = _syncs(secret, three, campaign)
    assert len(set(ids)) == 3
    # Each sync is signed at the moment it fell due: entry + 1, 2 and 3 days.
    assert [int(str(r.header("webhook-timestamp"))) for r in three] == [
        int((entered + timedelta(days=day)).timestamp()) for day in (1, 2, 3)
    ]
    assert after == three


def test_after_downtime_the_sync_catches_up_once_then_keeps_its_daily_rhythm(
    journey: Journey,
) -> None:
    with WebhookReceiver() as receiver:
        secret, campaign = _live_campaign(journey, receiver)
        entered = journey.clock.now()
        journey.advance(timedelta(days=1))
        assert len(receiver.wait_for(1)) == 1

        # The worker is down from day 1 to day 6: days 2 to 6 are missed.
        journey.clock.advance(timedelta(days=5))
        journey.run_worker()
        journey.run_worker()
        caught_up = receiver.wait_for(2)
        assert len(caught_up) == 2

        # The next one is the first occurrence still in the future: day 7.
        journey.advance(timedelta(hours=23, minutes=59))
        assert len(receiver.requests) == 2
        journey.advance(timedelta(minutes=1))
        final = receiver.wait_for(3)
        assert len(final) == 3

    assert len(set(_syncs(secret, final, campaign))) == 3
    assert [int(str(r.header("webhook-timestamp"))) for r in final] == [
        int((entered + timedelta(days=day)).timestamp()) for day in (1, 6, 7)
    ]
