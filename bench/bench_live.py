"""Live-update latency: a committed move to its event at every Server-Sent Events subscriber.

    PYTHONPATH=. .venv/bin/python bench/bench_live.py [--subscribers 20] [--moves 200]

Against ``pacetrack serve --workers 2`` on PostgreSQL (a scratch database on 127.0.0.1:5432,
or ``PACETRACK_TEST_DATABASE_URL``), in the same run:

- live: ``--subscribers`` httpx streaming clients on ``GET /api/events/stream`` (spread over
  both server processes by the kernel), then ``--moves`` moves one after another through
  ``POST /api/item/move-to-step``; each sample is the time from sending the move to one
  subscriber receiving its event (so it includes the move itself and, for subscribers of the
  other process, the hop through PostgreSQL's ``NOTIFY``);
- baseline: the raw round trip of ``NOTIFY`` on one psycopg connection to a ``LISTEN`` on
  another, the floor the database sets for any cross-process announcement;
- move alone: the same move requests' own response times.

Target: live p99 < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
import uuid
from collections import defaultdict
from typing import Any

import httpx
import psycopg
from sqlalchemy import make_url
from tests.services.moves_support import StepDef, build_pipeline
from tests.support.databases import fresh_postgres_database

from bench_moves import server  # type: ignore[import-not-found]
from pacetrack.bootstrap import build
from pacetrack.db.migrate import upgrade
from pacetrack.services import auth, items
from pacetrack.services.items import ItemCreate
from pacetrack.services.tenants import AccountSpec, create_account_with_token, create_tenant
from pacetrack.settings import Settings

EVENT_WAIT_SECONDS = 10.0


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def figures(name: str, samples: list[float]) -> str:
    milliseconds = [s * 1000 for s in samples]
    return (
        f"{name}: p50 {statistics.median(milliseconds):.1f} ms, "
        f"p99 {percentile(milliseconds, 0.99):.1f} ms, max {max(milliseconds):.1f} ms "
        f"({len(samples)} samples)"
    )


def prepare(url: str, moves: int) -> tuple[str, list[str], str]:
    """A tenant with an admin token and ``moves`` items in Lead: (token, item ids, Done's id)."""
    container = build(Settings(database_url=url, embedded_worker=False, _env_file=None))  # type: ignore[call-arg]
    try:
        with container.uow() as work:
            create_tenant(work, name="Bench", slug="bench")
        with container.uow() as work:
            _account, token = create_account_with_token(
                work,
                tenant_slug="bench",
                spec=AccountSpec(email="ada@bench.example", username="ada", roles=["admin"]),
                token_ttl=None,
            )
        pipeline = build_pipeline(
            container, token.tenant_id, [StepDef(name="Lead"), StepDef(name="Done")]
        )
        with container.uow() as work:
            actor = auth.authenticate(work, token.token)
        ids: list[str] = []
        for number in range(moves):
            with container.uow() as work:
                created = items.create_item(
                    work,
                    actor,
                    ItemCreate(pipeline_instance_id=pipeline.instance_id, name=f"Deal {number}"),
                )
            ids.append(str(created.id))
        return token.token, ids, str(pipeline.step("Done"))
    finally:
        container.close()


class Subscribers:
    """Streaming clients recording when each (item, version) event reached each of them."""

    def __init__(self, base: str, token: str, count: int) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.count = count
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)
        self.arrived = asyncio.Condition()
        self.connected = 0

    async def _one(self, client: httpx.AsyncClient) -> None:
        async with client.stream(
            "GET", f"{self.base}/api/events/stream", headers=self.headers
        ) as response:
            async for line in response.aiter_lines():
                if line == ": connected":
                    async with self.arrived:
                        self.connected += 1
                        self.arrived.notify_all()
                elif line.startswith("data: "):
                    event: dict[str, Any] = json.loads(line.removeprefix("data: "))
                    if event["kind"] == "item.moved":
                        async with self.arrived:
                            self.arrivals[event["item_id"]].append(time.perf_counter())
                            self.arrived.notify_all()

    async def wait(self, condition: Any) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(condition), EVENT_WAIT_SECONDS)


async def measure_live(
    base: str, token: str, ids: list[str], done: str, count: int
) -> tuple[list[float], list[float]]:
    limits = httpx.Limits(max_connections=count + 4)
    timeout = httpx.Timeout(30, read=None)
    async with (
        httpx.AsyncClient(limits=limits, timeout=timeout) as streams,
        httpx.AsyncClient(timeout=30) as api,
    ):
        subscribers = Subscribers(base, token, count)
        tasks = [asyncio.create_task(subscribers._one(streams)) for _ in range(count)]
        await subscribers.wait(lambda: subscribers.connected == count)
        latencies: list[float] = []
        requests: list[float] = []
        for item_id in ids:
            sent = time.perf_counter()
            answer = await api.post(
                f"{base}/api/item/move-to-step",
                json={"id": item_id, "step_id": done},
                headers=subscribers.headers,
            )
            requests.append(time.perf_counter() - sent)
            if answer.status_code != 200:
                raise RuntimeError(f"move answered {answer.status_code}: {answer.text}")
            arrivals = subscribers.arrivals[item_id]
            await subscribers.wait(lambda arrivals=arrivals: len(arrivals) >= count)
            latencies.extend(arrival - sent for arrival in arrivals)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return latencies, requests


def measure_notify(url: str, rounds: int) -> list[float]:
    """NOTIFY on one connection to its arrival at a LISTEN on another."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    channel = f"bench_{uuid.uuid4().hex[:8]}"
    received: dict[str, float] = {}
    ready = threading.Event()
    finished = threading.Event()

    def listen() -> None:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f"LISTEN {channel}")
            ready.set()
            while not finished.is_set():
                for notice in connection.notifies(timeout=0.5, stop_after=1):
                    received[notice.payload] = time.perf_counter()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    ready.wait(10)
    samples: list[float] = []
    with psycopg.connect(conninfo, autocommit=True) as sender:
        for number in range(rounds):
            payload = str(number)
            sent = time.perf_counter()
            sender.execute("SELECT pg_notify(%s, %s)", (channel, payload))
            deadline = time.monotonic() + EVENT_WAIT_SECONDS
            while payload not in received:
                if time.monotonic() > deadline:
                    raise RuntimeError("a notification did not arrive")
                time.sleep(0.0005)
            samples.append(received[payload] - sent)
    finished.set()
    thread.join(5)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=20)
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--http-workers", type=int, default=2, help="server processes")
    options = parser.parse_args()
    with fresh_postgres_database("pacetrack_bench") as url:
        upgrade(url)
        token, ids, done = prepare(url, options.moves)
        with server(url, options.http_workers, start_seconds=180) as (host, port):
            latencies, requests = asyncio.run(
                measure_live(f"http://{host}:{port}", token, ids, done, options.subscribers)
            )
        baseline = measure_notify(url, options.moves)
    print(
        f"PostgreSQL, pacetrack serve --workers {options.http_workers}, "
        f"{options.subscribers} subscribers, {options.moves} moves"
    )
    print("  " + figures("move to event at each subscriber", latencies))
    print("  " + figures("move request alone", requests))
    print("  " + figures("baseline raw NOTIFY -> LISTEN round trip (psycopg)", baseline))
    p99 = percentile(latencies, 0.99)
    print(f"  target p99 < 2000 ms: {'met' if p99 < 2 else 'NOT met'} ({p99 * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
