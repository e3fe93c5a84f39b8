"""Webhook deliveries per second at steady state, and the share delivered when the receiver
fails half the time.

For SQLite and PostgreSQL: ``BENCH_WARMUP`` + ``BENCH_DELIVERIES`` deliveries
are queued for one endpoint, then 1 and then 2 ``pacetrack worker`` processes
deliver them to a loopback receiver. The figure is measured at the receiver,
from the first request after the warm-up to the last, so process start and
warm-up are excluded; every delivery must be done and arrive under its own
``webhook-id``. Beside it, in the same run and measured the same way, one
``httpx.AsyncClient`` sending the same bodies to the same receiver with the
same concurrency (``PACETRACK_WORKER_ENDPOINT_CONCURRENCY``, 4 requests at once
per worker process to one endpoint). Then the receiver fails 50% of requests at
random and an in-process worker with an injected clock runs every retry: the
share of messages eventually delivered, and whether any message reached the
receiver under two different ``webhook-id`` values.
Run: ``PYTHONPATH=. .venv/bin/python bench/bench_webhooks.py`` (PostgreSQL on 127.0.0.1:5432;
``BENCH_WARMUP``, ``BENCH_DELIVERIES`` and ``BENCH_FLAKY_DELIVERIES`` set the message counts,
``BENCH_BACKENDS`` and ``BENCH_PROCESSES`` what is measured, e.g. ``postgresql`` and ``1``).
"""

from __future__ import annotations

import asyncio
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
from tests.support.deliveries import queue_deliveries
from tests.support.webhook_receiver import ReceivedRequest, Reply, WebhookReceiver

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container, build
from pacetrack.db import outbox
from pacetrack.db.tables_delivery import Outbox
from pacetrack.services import webhooks
from pacetrack.settings import Settings
from pacetrack.worker import HANDLERS, Worker
from pacetrack.worker.automation_handlers import delivery_handler

N = int(os.environ.get("BENCH_DELIVERIES", "10000"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "1000"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
PROCESSES = [int(n) for n in os.environ.get("BENCH_PROCESSES", "1,2").split(",")]
PER_ENDPOINT = Settings.model_fields["worker_endpoint_concurrency"].default
N_FLAKY = int(os.environ.get("BENCH_FLAKY_DELIVERIES", "300"))


def _container(url: str, clock: FrozenClock | None = None) -> Container:
    settings = Settings(database_url=url, embedded_worker=False, _env_file=None)  # type: ignore[call-arg]
    return build(settings, clock=clock)


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


def steady_rate(requests: list[ReceivedRequest]) -> tuple[float, float]:
    """(requests/s, seconds) from the first request after the warm-up to the last."""
    arrived = sorted(request.received_at for request in requests)
    seconds = (arrived[-1] - arrived[WARMUP]).total_seconds()
    return (len(arrived) - WARMUP - 1) / seconds, seconds


def workers_rate(url: str, processes: int) -> tuple[float, float]:
    container = _container(url)
    with WebhookReceiver() as receiver, tempfile.TemporaryDirectory() as directory:
        ids = queue_deliveries(container, receiver.url, WARMUP + N)
        env = {**os.environ, "PACETRACK_DATABASE_URL": url}
        pacetrack = str(Path(sys.executable).with_name("pacetrack"))
        running = [
            subprocess.Popen(
                [pacetrack, "worker"],
                cwd=directory,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(Path(directory) / f"worker-{n}.log").open("wb"),
            )
            for n in range(processes)
        ]
        try:
            while _remaining(container, ids):
                if all(process.poll() is not None for process in running):
                    log = (Path(directory) / "worker-0.log").read_text(errors="replace")
                    raise RuntimeError(f"every worker exited before delivering all:\n{log[-3000:]}")
                time.sleep(0.2)
        finally:
            for process in running:
                process.terminate()
            for process in running:
                process.wait(30)
        requests = receiver.requests
        assert len({r.header("webhook-id") for r in requests}) == WARMUP + N
    container.close()
    return steady_rate(requests)


async def _send_all(url: str, concurrency: int) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def send(n: int) -> None:
            async with gate:
                body = json.dumps({"type": "bench", "data": {"n": n}})
                (await client.post(url, content=body)).raise_for_status()

        await asyncio.gather(*(send(n) for n in range(WARMUP + N)))


def baseline_rate(concurrency: int) -> tuple[float, float]:
    """One ``httpx.AsyncClient`` with ``concurrency`` requests at once, same receiver."""
    with WebhookReceiver() as receiver:
        asyncio.run(_send_all(f"{receiver.url}/plain", concurrency))
        return steady_rate(receiver.requests)


def flaky_share(url: str) -> tuple[float, bool, int]:
    """(share delivered, any message under two ids, attempts) with 50% random failures."""
    clock = FrozenClock(datetime.now(UTC))
    container = _container(url, clock)
    chance = random.Random(7)
    with WebhookReceiver() as receiver:
        receiver.respond_with(
            lambda _request: Reply.ok() if chance.random() < 0.5 else Reply.error(500)
        )
        ids = queue_deliveries(container, receiver.url, N_FLAKY)
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
    print(
        f"{N} deliveries after {WARMUP} warm-up to a loopback receiver;"
        f" {N_FLAKY} with 50% random failures",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as scratch:
        for backend in BACKENDS:
            (Path(scratch) / backend).mkdir()
            with migrated_database(backend, Path(scratch) / backend) as url:
                for processes in PROCESSES:
                    rate, seconds = workers_rate(url, processes)
                    concurrency = PER_ENDPOINT * processes
                    base, base_seconds = baseline_rate(concurrency)
                    print(
                        f"{backend:10} {processes} worker process(es):"
                        f" {rate:8.1f} /s ({seconds:.1f} s)"
                        f" | httpx.AsyncClient, {concurrency} at once: {base:8.1f} /s"
                        f" ({base_seconds:.1f} s); {rate / base:.0%} of it",
                        flush=True,
                    )
                if not N_FLAKY:
                    continue
                share, twice, attempts = flaky_share(url)
                print(
                    f"{backend:10} 50% failures: {share:.1%} delivered after {attempts} requests; "
                    f"a message under two ids: {'yes' if twice else 'no'}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
