"""A worker process killed mid-batch loses nothing: another one finishes the work.

Real processes (``pacetrack worker``, or workers forked from a server that
imported PaceTrack once), a real SMTP server and a real webhook receiver on
loopback, and the database the test session uses. The lease is shortened
through settings so the killed worker's claims come back within seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from pacetrack.adapters.clock import SystemClock
from pacetrack.bootstrap import Container, build
from pacetrack.db.tables_delivery import DONE, Notification, NotificationLog, Outbox
from pacetrack.services.notifications import EMAIL_JOB
from tests.support.deliveries import queue_deliveries
from tests.support.webhook_receiver import WebhookReceiver
from tests.support.worker_process import start_worker
from tests.worker.conftest import Inbox, build_world, free_port

ITEMS = 150
PACETRACK = str(Path(sys.executable).with_name("pacetrack"))


class SlowInbox(Inbox):
    """Takes a little time per message so that the kill lands mid-batch."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def live(container: Container) -> Iterator[Container]:
    """The test database with the system clock, as a separate process sees it."""
    built = build(container.settings, clock=SystemClock())
    yield built
    built.close()


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PACETRACK_DATABASE_URL": url,
        "PACETRACK_SMTP_HOST": "127.0.0.1",
        "PACETRACK_SMTP_PORT": str(port),
        "PACETRACK_SMTP_TLS": "none",
        "PACETRACK_WORKER_LEASE_SECONDS": "2",
        "PACETRACK_WORKER_POLL_SECONDS": "0.1",
        "PACETRACK_WORKER_BATCH_SIZE": "20",
    }
    return subprocess.Popen(
        [PACETRACK, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _done(live: Container) -> tuple[int, int]:
    with live.uow() as uow:
        done = uow.session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.status == DONE)
        )
        total = uow.session.scalar(select(func.count()).select_from(Outbox))
    return int(done or 0), int(total or 0)


def test_a_killed_worker_loses_nothing_and_repeats_no_in_app_notification(
    live: Container,
) -> None:
    world = build_world(live, slug="crash")
    rule = {"id": "entered", "trigger": "on_enter", "recipients": [{"type": "owner"}]}
    world.add_step("Start", notifications=[rule])
    for n in range(ITEMS):
        world.move(world.add_item(f"Item {n}"), "Start")

    inbox = SlowInbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    url = live.settings.database_url
    try:
        first = _start(url, port)
        deadline = time.monotonic() + 60
        while True:
            done, total = _done(live)
            if done > 0 or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        done, total = _done(live)
        assert 0 < done < total, (done, total)

        second = _start(url, port)
        deadline = time.monotonic() + 90
        while _done(live)[0] < 2 * ITEMS and time.monotonic() < deadline:
            time.sleep(0.1)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        smtp.stop()

    assert _done(live) == (2 * ITEMS, 2 * ITEMS)
    with live.uow() as uow:
        logs = uow.session.scalar(select(func.count()).select_from(NotificationLog))
        in_app = list(uow.session.scalars(select(Notification.log_id)))
        email_jobs = {
            str(job_id)
            for job_id in uow.session.scalars(select(Outbox.id).where(Outbox.kind == EMAIL_JOB))
        }
    assert logs == ITEMS
    assert len(in_app) == len(set(in_app)) == ITEMS
    received = [message["X-PaceTrack-Idempotency-Key"] for message in inbox.messages]
    assert set(received) == email_jobs and len(email_jobs) == ITEMS


WEBHOOKS = 200
KILLS = 25


def _start_deliverer(url: str) -> BaseProcess:
    return start_worker(
        database_url=url,
        embedded_worker=False,
        worker_lease_seconds=1,
        worker_poll_seconds=0.05,
        worker_batch_size=10,
    )


def _pending(live: Container, ids: list[uuid.UUID]) -> int:
    with live.uow() as uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(Outbox.id.in_(ids), Outbox.status != DONE)
            )
            or 0
        )


def test_25_sigkills_while_delivering_200_webhooks_lose_none_and_repeat_only_the_same_id(
    live: Container,
) -> None:
    """Each worker is killed once a few more requests have arrived since it started (on
    progress, not on a timer), while it has deliveries in flight; the next one takes its
    jobs over when their 1 s lease ends."""
    with WebhookReceiver() as receiver:
        ids = queue_deliveries(live, receiver.url, WEBHOOKS)
        kills = 0
        while kills < KILLS:
            seen = len(receiver.requests)
            worker = _start_deliverer(live.settings.database_url)
            try:
                receiver.wait_for(seen + 4, timeout=30)
            finally:
                worker.kill()  # SIGKILL
                worker.join(10)
            assert worker.exitcode == -signal.SIGKILL
            kills += 1
        assert _pending(live, ids) > 0, "every delivery was done before the last kill"
        last = _start_deliverer(live.settings.database_url)
        try:
            deadline = time.monotonic() + 60
            while _pending(live, ids) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            last.kill()
            last.join(10)
        requests = receiver.requests

    assert _pending(live, ids) == 0
    expected = {str(job_id) for job_id in ids}
    received = [request.header("webhook-id") for request in requests]
    assert set(received) == expected  # none lost, none unexpected
    ids_per_message: dict[int, set[str | None]] = defaultdict(set)
    cut_off = 0
    for request, webhook_id in zip(requests, received, strict=True):
        try:
            number = json.loads(request.body)["data"]["n"]
        except ValueError:  # the kill cut the request off after its headers
            cut_off += 1
            continue
        ids_per_message[number].add(webhook_id)
    assert cut_off < KILLS
    assert sorted(ids_per_message) == list(range(WEBHOOKS))
    assert all(len(seen) == 1 for seen in ids_per_message.values())
    # The kills landed mid-flight: some deliveries reached the receiver twice.
    assert len(requests) > WEBHOOKS
