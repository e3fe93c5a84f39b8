"""Delivery policy end to end against the loopback receiver, with attempt rows."""

from __future__ import annotations

import uuid
from datetime import timedelta

from pacetrack.db.tables_automations import AutomationRun
from tests.automations.support import Scene, webhook_step
from tests.services.moves_support import StepDef
from tests.support.webhook_receiver import Reply


def _fire(scene: Scene, path: str = "/hook") -> AutomationRun:
    """Moves an item into a step whose webhook goes to ``path`` and performs the run."""
    pipeline = scene.pipeline(
        [
            StepDef(name="Start"),
            webhook_step("Notify", "ping", scene.url(path), {"id": "{{item.id}}"}),
        ]
    )
    item = scene.create_item(pipeline, "Widget")
    scene.move(item["id"], pipeline.step("Notify"))
    scene.drain()  # the run, then the first attempt; retries wait for the clock
    [run] = scene.runs(automation_id="ping")
    return run


def test_500_then_200_retries_with_the_same_webhook_id(scene: Scene) -> None:
    scene.receiver.reply_with(Reply.error(500), Reply.ok())
    run = _fire(scene)
    assert run.delivery_id is not None
    [first] = scene.attempts(run.delivery_id)
    assert (first.response_status, first.outcome) == (500, "retrying")
    assert first.next_attempt_at == scene.clock.now() + timedelta(seconds=5)
    assert scene.runs(automation_id="ping")[0].status == "pending"

    scene.advance_to_next_delivery()
    scene.drain()

    one, two = scene.receiver.wait_for(2)
    assert one.header("webhook-id") == two.header("webhook-id") == str(run.delivery_id)
    assert [a.outcome for a in scene.attempts(run.delivery_id)] == ["retrying", "succeeded"]
    assert scene.runs(automation_id="ping")[0].status == "succeeded"


def test_429_retry_after_is_honoured(scene: Scene) -> None:
    scene.receiver.reply_with(Reply.too_many_requests(retry_after="600"), Reply.ok())
    run = _fire(scene)
    assert run.delivery_id is not None
    [first] = scene.attempts(run.delivery_id)
    assert first.response_status == 429
    assert first.next_attempt_at == scene.clock.now() + timedelta(seconds=600)
    scene.clock.advance(timedelta(seconds=599))
    scene.drain()
    assert len(scene.receiver.requests) == 1
    scene.clock.advance(timedelta(seconds=1))
    scene.drain()
    assert len(scene.receiver.wait_for(2)) == 2


def test_410_disables_the_endpoint_and_tells_its_owner(scene: Scene) -> None:
    scene.receiver.reply_with(Reply.gone())
    endpoint = scene.endpoint(scene.url("/hook"))
    run = _fire(scene)
    assert run.delivery_id is not None
    [attempt] = scene.attempts(run.delivery_id)
    assert (attempt.response_status, attempt.outcome) == (410, "failed")
    row = scene.endpoint_row(endpoint["id"])
    assert row.is_enabled is False
    assert "410" in (row.disabled_reason or "")
    assert scene.job(run.delivery_id).status == "dead"
    scene.drain()  # the owner's notification
    inbox = scene.api("GET", "/api/notification/list")
    subjects = [n["subject"] for n in inbox["notifications"]]
    assert f"Webhook endpoint disabled: {scene.url('/hook')}" in subjects


def test_a_redirect_is_a_failure_and_never_followed(scene: Scene) -> None:
    scene.receiver.reply_with(Reply.redirect("http://10.0.0.1/internal"))
    run = _fire(scene)
    assert run.delivery_id is not None
    [attempt] = scene.attempts(run.delivery_id)
    assert (attempt.response_status, attempt.outcome) == (302, "failed")
    assert len(scene.receiver.requests) == 1
    assert scene.runs(automation_id="ping")[0].status == "failed"


def test_a_hanging_receiver_times_out_and_is_retried(scene: Scene) -> None:
    scene.receiver.reply_with(Reply.hang(), Reply.ok())
    run = _fire(scene)
    assert run.delivery_id is not None
    [first] = scene.attempts(run.delivery_id)
    assert first.response_status is None
    assert first.outcome == "retrying"
    assert "timeout" in (first.error or "")
    scene.advance_to_next_delivery()
    scene.drain()
    assert [a.outcome for a in scene.attempts(run.delivery_id)] == ["retrying", "succeeded"]


def test_ten_failures_give_up_and_replay_sends_the_same_id_again(scene: Scene) -> None:
    scene.receiver.reply_with(*[Reply.error(503)] * 10)
    run = _fire(scene)
    assert run.delivery_id is not None
    for _ in range(9):
        scene.advance_to_next_delivery()
        scene.drain()
    attempts = scene.attempts(run.delivery_id)
    assert [a.attempt for a in attempts] == list(range(1, 11))
    assert attempts[-1].outcome == "failed" and attempts[-1].next_attempt_at is None
    spread = attempts[-1].created_at - attempts[0].created_at
    assert timedelta(days=3) <= spread <= timedelta(days=3, hours=12)
    assert scene.runs(automation_id="ping")[0].status == "failed"

    replayed = scene.api(
        "POST", "/api/webhook-delivery/replay", json={"delivery_id": str(run.delivery_id)}
    )
    assert replayed == {"delivery_ids": [str(run.delivery_id)]}
    scene.drain()
    requests = scene.receiver.wait_for(11)
    assert {r.header("webhook-id") for r in requests} == {str(run.delivery_id)}
    assert scene.runs(automation_id="ping")[0].status == "succeeded"


def test_replay_of_an_endpoints_failed_deliveries_since_a_time(scene: Scene) -> None:
    scene.receiver.reply_with(Reply.error(400))
    endpoint = scene.endpoint(scene.url("/hook"))
    run = _fire(scene)
    assert run.delivery_id is not None
    assert scene.job(run.delivery_id).status == "dead"
    later = (scene.clock.now() + timedelta(minutes=1)).isoformat()
    nothing = scene.api(
        "POST",
        "/api/webhook-endpoint/replay-failed",
        json={"endpoint_id": endpoint["id"], "since": later},
    )
    assert nothing == {"delivery_ids": []}
    replayed = scene.api(
        "POST",
        "/api/webhook-endpoint/replay-failed",
        json={
            "endpoint_id": endpoint["id"],
            "since": (scene.clock.now() - timedelta(minutes=1)).isoformat(),
        },
    )
    assert replayed == {"delivery_ids": [str(run.delivery_id)]}
    scene.drain()
    first, second = scene.receiver.wait_for(2)
    assert first.header("webhook-id") == second.header("webhook-id")


def test_the_rate_limit_spaces_a_burst(scene: Scene) -> None:
    endpoint = scene.endpoint(scene.url("/hook"), rate_limit_per_second=1)
    pipeline = scene.pipeline(
        [StepDef(name="Start"), webhook_step("Notify", "ping", scene.url("/hook"), {})]
    )
    for n in range(3):
        item = scene.create_item(pipeline, f"Widget {n}")
        scene.move(item["id"], pipeline.step("Notify"))
    scene.drain()
    assert len(scene.receiver.requests) == 1  # the bucket holds one token per second
    scene.clock.advance(timedelta(seconds=1))
    scene.drain()
    assert len(scene.receiver.requests) == 2
    scene.clock.advance(timedelta(seconds=1))
    scene.drain()
    assert len(scene.receiver.wait_for(3)) == 3
    assert scene.endpoint_row(endpoint["id"]).first_failure_at is None


def test_five_days_of_continuous_failure_disable_the_endpoint(scene: Scene) -> None:
    scene.receiver.reply_with(*[Reply.error(500)] * 20)
    endpoint = scene.endpoint(scene.url("/hook"))
    first = _fire(scene)
    scene.clock.advance(timedelta(days=5))
    pipeline = scene.pipeline(
        [StepDef(name="Start"), webhook_step("Again", "again", scene.url("/hook"), {})]
    )
    item = scene.create_item(pipeline, "Late")
    scene.move(item["id"], pipeline.step("Again"))
    scene.drain()
    row = scene.endpoint_row(endpoint["id"])
    assert row.is_enabled is False
    assert "5 days" in (row.disabled_reason or "")
    assert first.delivery_id is not None
    assert uuid.UUID(str(first.delivery_id))
