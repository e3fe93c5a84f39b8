"""Webhook deliveries run concurrently, within the global and the per-endpoint bound.

The receiver counts the requests in flight (in all and per path) and holds each
one at a barrier until as many as the bound under test are in flight together:
reaching the bound is then a fact the test observes, not a matter of timing,
and a worker that sent fewer at once would break the barrier (it waits at
most ``HOLD`` seconds, then the test fails on ``broken``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from pacetrack.db import outbox
from pacetrack.db.tables_delivery import DONE, Outbox
from pacetrack.services import webhooks
from pacetrack.worker import HANDLERS, Worker
from pacetrack.worker.automation_handlers import delivery_handler
from tests.automations.support import Scene
from tests.support.webhook_receiver import ReceivedRequest, Reply

HOLD = 20.0


class InFlightCounter:
    """A responder that counts concurrent requests and holds them in groups of ``group``."""

    def __init__(self, group: int) -> None:
        self.barrier = threading.Barrier(group)
        self._lock = threading.Lock()
        self.current: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.total = 0
        self.peak_total = 0
        self.broken = False

    def __call__(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self.current[request.path] += 1
            self.total += 1
            self.peak[request.path] = max(self.peak[request.path], self.current[request.path])
            self.peak_total = max(self.peak_total, self.total)
        try:
            if not self.broken:
                self.barrier.wait(HOLD)
        except threading.BrokenBarrierError:
            self.broken = True
        finally:
            with self._lock:
                self.current[request.path] -= 1
                self.total -= 1
        return Reply.ok()


def _worker(scene: Scene, *, concurrency: int, per_endpoint: int, batch_size: int = 50) -> Worker:
    settings = scene.container.settings.model_copy(
        update={
            "worker_network_concurrency": concurrency,
            "worker_endpoint_concurrency": per_endpoint,
            "worker_batch_size": batch_size,
        }
    )
    handlers = {**HANDLERS, webhooks.WEBHOOK_JOB: delivery_handler(timeout_seconds=HOLD + 10)}
    return Worker(replace(scene.container, settings=settings), handlers=handlers, mailer=None)


def _deliveries(scene: Scene, endpoint_id: str, count: int) -> list[uuid.UUID]:
    ids = []
    for n in range(count):
        with scene.container.uow() as uow:
            ids.append(
                outbox.enqueue(
                    uow.session,
                    tenant_id=scene.tenant_id,
                    kind=webhooks.WEBHOOK_JOB,
                    payload=webhooks.delivery_payload(
                        endpoint_id=uuid.UUID(endpoint_id),
                        run_id=None,
                        body=f'{{"n": {n}}}',
                        headers={},
                    ),
                    now=uow.clock.now(),
                )
            )
            uow.commit()
        scene.clock.advance(timedelta(milliseconds=10))  # distinct creation times: an order
    return ids


def _statuses(scene: Scene, ids: list[uuid.UUID]) -> list[str]:
    with scene.container.uow() as uow:
        return list(uow.session.scalars(select(Outbox.status).where(Outbox.id.in_(ids))))


def _run_until_done(worker: Worker, scene: Scene, ids: list[uuid.UUID]) -> None:
    """Runs the worker as ``pacetrack worker`` does until every job is done, then stops it."""
    running = threading.Thread(target=worker.run, daemon=True)
    running.start()
    try:
        deadline = time.monotonic() + 2 * HOLD + 30
        while _statuses(scene, ids) != [DONE] * len(ids) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.request_stop()
        running.join(HOLD + 10)
    assert not running.is_alive()


def test_one_endpoint_gets_at_most_its_bound_of_concurrent_requests(scene: Scene) -> None:
    counter = InFlightCounter(group=3)
    scene.receiver.respond_with(counter)
    endpoint = scene.endpoint(scene.url("/one"), rate_limit_per_second=1000)
    ids = _deliveries(scene, endpoint["id"], 9)

    worker = _worker(scene, concurrency=8, per_endpoint=3)
    assert worker.process_batch() == 9

    assert not counter.broken, "fewer than 3 requests were ever in flight together"
    assert counter.peak["/one"] == 3
    assert len(scene.receiver.requests) == 9
    assert _statuses(scene, ids) == [DONE] * 9


def test_all_endpoints_together_get_at_most_the_global_bound(scene: Scene) -> None:
    counter = InFlightCounter(group=4)
    scene.receiver.respond_with(counter)
    ids = []
    for n in range(8):
        endpoint = scene.endpoint(scene.url(f"/hook/{n}"), rate_limit_per_second=1000)
        ids += _deliveries(scene, endpoint["id"], 1)

    worker = _worker(scene, concurrency=4, per_endpoint=3)
    assert worker.process_batch() == 8

    assert not counter.broken, "fewer than 4 requests were ever in flight together"
    assert counter.peak_total == 4
    assert max(counter.peak.values()) == 1
    assert _statuses(scene, ids) == [DONE] * 8


def test_one_at_a_time_an_endpoint_receives_its_deliveries_in_the_order_they_were_made(
    scene: Scene,
) -> None:
    endpoint = scene.endpoint(scene.url("/ordered"), rate_limit_per_second=1000)
    ids = _deliveries(scene, endpoint["id"], 6)
    worker = _worker(scene, concurrency=8, per_endpoint=1)
    assert worker.process_batch() == 6
    received = [request.header("webhook-id") for request in scene.receiver.requests]
    assert received == [str(job_id) for job_id in ids]


def test_the_rate_limit_still_holds_with_concurrent_delivery(scene: Scene) -> None:
    endpoint = scene.endpoint(scene.url("/limited"), rate_limit_per_second=2)
    ids = _deliveries(scene, endpoint["id"], 5)
    worker = _worker(scene, concurrency=8, per_endpoint=4)
    worker.process_batch()
    # The clock barely moved: the bucket (burst 2) lets two go, the others wait for tokens.
    assert len(scene.receiver.requests) == 2
    with scene.container.uow() as uow:
        waiting = list(
            uow.session.scalars(
                select(Outbox.last_error).where(Outbox.id.in_(ids), Outbox.status == "pending")
            )
        )
    assert waiting == ["rate limited"] * 3


def test_deliveries_prepared_together_number_their_attempts_each(scene: Scene) -> None:
    scene.receiver.reply_with(Reply.error(500), Reply.error(500), Reply.ok(), Reply.ok())
    endpoint = scene.endpoint(scene.url("/together"), rate_limit_per_second=1000)
    ids = _deliveries(scene, endpoint["id"], 2)
    worker = _worker(scene, concurrency=8, per_endpoint=2)
    assert worker.process_batch() == 2
    scene.clock.advance(timedelta(days=1))
    assert worker.process_batch() == 2
    assert _statuses(scene, ids) == [DONE] * 2
    for delivery_id in ids:
        assert [attempt.attempt for attempt in scene.attempts(delivery_id)] == [1, 2]


def test_a_running_worker_sends_the_next_batch_while_the_last_one_is_in_flight(
    scene: Scene,
) -> None:
    # One delivery per batch, each held until two are in flight: only a worker that claims
    # and sends the next batch before the last one's request has come back gets both out.
    counter = InFlightCounter(group=2)
    scene.receiver.respond_with(counter)
    ids = []
    for n in range(2):
        endpoint = scene.endpoint(scene.url(f"/overlap/{n}"), rate_limit_per_second=1000)
        ids += _deliveries(scene, endpoint["id"], 1)

    _run_until_done(_worker(scene, concurrency=8, per_endpoint=4, batch_size=1), scene, ids)

    assert not counter.broken, "the second batch waited for the first one's request"
    assert counter.peak_total == 2
    assert _statuses(scene, ids) == [DONE] * 2


def test_batches_in_flight_together_share_the_endpoints_bound(scene: Scene) -> None:
    # Batches of 2 reach 3 requests at once only together, and never more than the bound.
    counter = InFlightCounter(group=3)
    scene.receiver.respond_with(counter)
    endpoint = scene.endpoint(scene.url("/shared"), rate_limit_per_second=1000)
    ids = _deliveries(scene, endpoint["id"], 9)

    _run_until_done(_worker(scene, concurrency=8, per_endpoint=3, batch_size=2), scene, ids)

    assert not counter.broken, "fewer than 3 requests were ever in flight together"
    assert counter.peak["/shared"] == 3
    assert _statuses(scene, ids) == [DONE] * 9
    for delivery_id in ids:
        assert [attempt.attempt for attempt in scene.attempts(delivery_id)] == [1]


def test_a_running_worker_keeps_an_endpoints_order_from_one_batch_to_the_next(
    scene: Scene,
) -> None:
    endpoint = scene.endpoint(scene.url("/ordered-batches"), rate_limit_per_second=1000)
    ids = _deliveries(scene, endpoint["id"], 7)
    _run_until_done(_worker(scene, concurrency=8, per_endpoint=1, batch_size=2), scene, ids)
    received = [request.header("webhook-id") for request in scene.receiver.requests]
    assert received == [str(job_id) for job_id in ids]
