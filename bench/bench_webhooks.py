"""Webhook deliveries per second, and the share delivered when the receiver fails half the time.

For SQLite and PostgreSQL: ``N`` deliveries are queued for one endpoint, then
1 and then 2 ``pacetrack worker`` processes deliver them to a loopback
receiver; the figure is deliveries per second from the workers' start to the
last delivery recorded. Beside it, in the same run, plain ``httpx`` POSTs of
the same bodies to the same receiver from one process (the ceiling of one
sequential sender). Then the receiver fails 50% of requests at random and an
in-process worker with an injected clock runs every retry: the share of
messages eventually delivered, and whether any message reached the receiver
under two different ``webhook-id`` values.
Run: ``PYTHONPATH=. .venv/bin/python bench/bench_webhooks.py`` (PostgreSQL on 127.0.0.1:5432;
``BENCH_DELIVERIES`` and ``BENCH_FLAKY_DELIVERIES`` set the message counts).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select
from tests.support.databases import migrated_database
from tests.support.webhook_receiver import Reply, WebhookReceiver

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container, build
from pacetrack.db import outbox
from pacetrack.db.tables import Tenant
from pacetrack.db.tables_delivery import Outbox
from pacetrack.services import webhooks
from pacetrack.services.tenants import create_tenant
from pacetrack.settings import Settings
from pacetrack.worker import HANDLERS, Worker
from pacetrack.worker.automation_handlers import delivery_handler

N = int(os.environ.get("BENCH_DELIVERIES", "1000"))
N_FLAKY = int(os.environ.get("BENCH_FLAKY_DELIVERIES", "300"))


def _container(url: str, clock: FrozenClock | None = None) -> Container:
    settings = Settings(database_url=url, embedded_worker=False, _env_file=None)  # type: ignore[call-arg]
    return build(settings, clock=clock)


def _queue(container: Container, receiver: WebhookReceiver, count: int) -> list[uuid.UUID]:
    with container.uow() as uow:
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        tenant = create_tenant(uow, name=slug, slug=slug)
    with container.uow() as uow:
        row = uow.session.get(Tenant, tenant.id)
        assert row is not None
        row.webhook_allow_list = ["127.0.0.0/8"]
        endpoint = webhooks.new_endpoint(
            uow.session,
            tenant_id=tenant.id,
            url=f"{receiver.url}/{slug}",
            now=uow.clock.now(),
            owner_account_id=None,
            rate_limit_per_second=1000,
        )
        ids = []
        for n in range(count):
            ids.append(
                outbox.enqueue(
                    uow.session,
                    tenant_id=tenant.id,
                    kind=webhooks.WEBHOOK_JOB,
                    payload=webhooks.delivery_payload(
                        endpoint_id=endpoint.id,
                        run_id=None,
                        body=json.dumps({"type": "bench", "data": {"n": n}}),
                        headers={},
                    ),
                    now=uow.clock.now(),
                )
            )
        uow.commit()
    return ids


def _remaining(container: Container, ids: list[uuid.UUID]) -> int:
    with container.uow() as uow:
        return int(
            uow.session.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(Outbox.id.in_(ids), Outbox.status != "done")
            )
            or 0
        )


def workers_rate(url: str, processes: int) -> float:
    container = _container(url)
    with WebhookReceiver() as receiver, tempfile.TemporaryDirectory() as directory:
        ids = _queue(container, receiver, N)
        env = {
            **os.environ,
            "PACETRACK_DATABASE_URL": url,
            "PACETRACK_WORKER_POLL_SECONDS": "0.05",
            "PACETRACK_WORKER_BATCH_SIZE": "50",
        }
        pacetrack = str(Path(sys.executable).with_name("pacetrack"))
        started = time.perf_counter()
        running = [
            subprocess.Popen(
                [pacetrack, "worker"],
                cwd=directory,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(processes)
        ]
        try:
            while _remaining(container, ids):
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        finally:
            for process in running:
                process.terminate()
            for process in running:
                process.wait(30)
        assert len({r.header("webhook-id") for r in receiver.requests}) == N
    container.close()
    return N / elapsed


def baseline_rate() -> float:
    with WebhookReceiver() as receiver, httpx.Client() as client:
        started = time.perf_counter()
        for n in range(N):
            body = json.dumps({"type": "bench", "data": {"n": n}})
            client.post(f"{receiver.url}/plain", content=body).raise_for_status()
        return N / (time.perf_counter() - started)


def flaky_share(url: str) -> tuple[float, bool, int]:
    """(share delivered, any message under two ids, attempts) with 50% random failures."""
    clock = FrozenClock(datetime.now(UTC))
    container = _container(url, clock)
    chance = random.Random(7)
    with WebhookReceiver() as receiver:
        receiver.respond_with(
            lambda _request: Reply.ok() if chance.random() < 0.5 else Reply.error(500)
        )
        ids = _queue(container, receiver, N_FLAKY)
        handlers = dict(HANDLERS)
        handlers[webhooks.WEBHOOK_JOB] = delivery_handler(rng=random.Random(3).random)
        worker = Worker(container, handlers=handlers, mailer=None)
        while True:
            worker.drain()
            with container.uow() as uow:
                due = outbox.next_due_at(uow.session)
            if due is None:
                break
            if due > clock.now():
                clock.set(due)
        with container.uow() as uow:
            done = int(
                uow.session.scalar(
                    select(func.count())
                    .select_from(Outbox)
                    .where(Outbox.id.in_(ids), Outbox.status == "done")
                )
                or 0
            )
        ids_per_message: dict[int, set[str | None]] = defaultdict(set)
        for request in receiver.requests:
            ids_per_message[json.loads(request.body)["data"]["n"]].add(request.header("webhook-id"))
        attempts = len(receiver.requests)
    container.close()
    twice = any(len(seen) > 1 for seen in ids_per_message.values())
    return done / N_FLAKY, twice, attempts


def main() -> None:
    print(f"{N} deliveries to a loopback receiver; {N_FLAKY} with 50% random failures")
    print(f"baseline, plain httpx POSTs from one process: {baseline_rate():8.1f} /s")
    with tempfile.TemporaryDirectory() as scratch:
        for backend in ("sqlite", "postgresql"):
            (Path(scratch) / backend).mkdir()
            with migrated_database(backend, Path(scratch) / backend) as url:
                for processes in (1, 2):
                    rate = workers_rate(url, processes)
                    print(f"{backend:10} {processes} worker process(es):           {rate:8.1f} /s")
                share, twice, attempts = flaky_share(url)
                print(
                    f"{backend:10} 50% failures: {share:.1%} delivered after {attempts} requests; "
                    f"a message under two ids: {'yes' if twice else 'no'}"
                )


if __name__ == "__main__":
    main()
