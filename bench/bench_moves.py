"""Moves per second through the real service path, beside each database's raw ceiling.

    PYTHONPATH=. .venv/bin/python bench/bench_moves.py [--moves 2000] [--http-requests 4000]

For SQLite (a file) and PostgreSQL (a scratch database on 127.0.0.1:5432, or
``PACETRACK_TEST_DATABASE_URL``), in the same run:

- service: ``services.moves.move_item`` (one unit of work per move, the same
  call the API makes) moving items back and forth between two steps that each
  carry 20 validation rules, all of which pass;
- ceiling: the same engine and driver doing a bare ``UPDATE item`` + ``INSERT
  INTO activity`` per transaction, the least a move could write;
- HTTP (PostgreSQL): ``POST /api/item/move-to-step`` against ``pacetrack serve``
  started here on 127.0.0.1 (one process per CPU by default), 8 concurrent
  keep-alive clients each moving its own items, p50/p99; beside it, the same
  clients calling ``GET /healthz`` on the same server (the HTTP stack alone).

Targets: service >= 40% of the ceiling on PostgreSQL; HTTP p99 < 25 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import bindparam, insert, update
from tests.services.moves_support import (
    FieldDef,
    Pipeline,
    StepDef,
    build_pipeline,
    define_fields,
)
from tests.support.databases import fresh_postgres_database, sqlite_url

from pacetrack.adapters.clock import SystemClock
from pacetrack.bootstrap import Container, build
from pacetrack.db.migrate import upgrade
from pacetrack.db.tables import Activity, Item
from pacetrack.services import items, moves
from pacetrack.services.context import Actor
from pacetrack.services.items import ItemCreate
from pacetrack.services.moves import MoveItem
from pacetrack.services.tenants import AccountSpec, create_account_with_token, create_tenant
from pacetrack.settings import Settings

RULE_FIELDS = [
    FieldDef(name="deal_value", field_type="currency"),
    FieldDef(name="discount_pct", field_type="number"),
    FieldDef(name="company_size", field_type="number"),
    FieldDef(name="decision_maker", field_type="text"),
    FieldDef(name="contact_email", field_type="email"),
    FieldDef(name="start_date", field_type="date"),
    FieldDef(name="end_date", field_type="date"),
    FieldDef(name="region", field_type="dropdown", options=("emea", "amer", "apac")),
    FieldDef(name="code", field_type="text"),
]
VALUES = {
    "deal_value": "25000.00",
    "discount_pct": "10",
    "company_size": "250",
    "decision_maker": "Dana",
    "contact_email": "dana@example.com",
    "start_date": "2026-01-01",
    "end_date": "2026-06-30",
    "region": "emea",
    "code": "AB12345678",
}


def twenty_rules() -> list[dict]:
    """Twenty rules of every type, all passing for VALUES."""
    rules: list[dict] = []
    for name in ("deal_value", "decision_maker", "contact_email", "region", "code"):
        rules.append({"id": f"req_{name}", "type": "field_required", "field_id": name})
    for name, low, high in (
        ("deal_value", 5000, 1000000),
        ("discount_pct", 0, 30),
        ("company_size", 1, 100000),
    ):
        rules.append(
            {"id": f"min_{name}", "type": "field_min_value", "field_id": name, "min_value": low}
        )
        rules.append(
            {"id": f"max_{name}", "type": "field_max_value", "field_id": name, "max_value": high}
        )
    rules += [
        {
            "id": "code_format",
            "type": "field_pattern",
            "field_id": "code",
            "pattern": "^[A-Z]{2}[0-9]{8}$",
        },
        {
            "id": "email_domain",
            "type": "field_pattern",
            "field_id": "contact_email",
            "pattern": "@example\\.com$",
        },
        {
            "id": "dates",
            "type": "field_comparison",
            "field_id": "start_date",
            "operator": "<",
            "compare_field_id": "end_date",
        },
        {
            "id": "after_2020",
            "type": "field_comparison",
            "field_id": "start_date",
            "operator": ">",
            "compare_value": "2020-01-01",
        },
        {
            "id": "net_value",
            "type": "custom_expression",
            "expression": "deal_value * (1 - discount_pct / 100) > 10000",
        },
        {
            "id": "size_ratio",
            "type": "custom_expression",
            "expression": "deal_value / company_size < 1000",
        },
        {
            "id": "region_known",
            "type": "custom_expression",
            "expression": "region = 'emea' or region = 'amer' or region = 'apac'",
        },
        {
            "id": "duration",
            "type": "custom_expression",
            "expression": "days_between(start_date, end_date) < 365",
        },
        {"id": "maker_named", "type": "custom_expression", "expression": "decision_maker != ''"},
    ]
    assert len(rules) == 20, len(rules)
    return rules


@dataclass
class World:
    container: Container
    actor: Actor
    token: str
    pipeline: Pipeline
    item_ids: list[uuid.UUID]
    where: dict[uuid.UUID, int]
    """0: the item is at Left, 1: at Right."""


def seed(url: str, item_count: int) -> World:
    container = build(Settings(database_url=url, _env_file=None), clock=SystemClock())  # type: ignore[call-arg]
    with container.uow() as uow:
        tenant = create_tenant(uow, name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
    with container.uow() as uow:
        account, token = create_account_with_token(
            uow,
            tenant_slug=tenant.slug,
            spec=AccountSpec(email="b@bench.example", username="bench", roles=["admin"]),
            token_ttl=None,
        )
    define_fields(container, tenant.id, RULE_FIELDS)
    config = {"validations": twenty_rules()}
    pipeline = build_pipeline(
        container,
        tenant.id,
        [StepDef(name="Left", config=config), StepDef(name="Right", config=config)],
    )
    actor = Actor(tenant_id=tenant.id, account_id=account.id, roles=frozenset({"admin"}))
    ids = []
    for number in range(item_count):
        with container.uow() as uow:
            created = items.create_item(
                uow,
                actor,
                ItemCreate(
                    pipeline_instance_id=pipeline.instance_id,
                    name=f"Item {number}",
                    field_values=VALUES,
                ),
            )
        ids.append(created.id)
    # Statistics as autovacuum would have them in a running system: without them the
    # planner guesses on freshly filled tables, for the service and the ceiling alike.
    with container.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    return World(container, actor, token.token, pipeline, ids, dict.fromkeys(ids, 0))


def service_seconds(world: World, count: int) -> float:
    steps = [world.pipeline.step("Right"), world.pipeline.step("Left")]
    where = world.where
    started = time.perf_counter()
    for number in range(count):
        item_id = world.item_ids[number % len(world.item_ids)]
        with world.container.uow() as uow:
            moves.move_item(uow, world.actor, MoveItem(id=item_id, step_id=steps[where[item_id]]))
        where[item_id] ^= 1
    return time.perf_counter() - started


def ceiling_seconds(world: World, count: int) -> float:
    engine = world.container.engine
    tenant = world.actor.tenant_id
    # Core statements on the bare tables: the column types bind UUIDs and datetimes.
    item_table, activity_table = Item.__table__, Activity.__table__
    bump = (
        update(item_table)
        .where(item_table.c.tenant_id == tenant, item_table.c.id == bindparam("item"))
        .values(version=item_table.c.version + 1, updated_at=bindparam("now"))
    )
    log = insert(activity_table).values(
        tenant_id=tenant, item_id=bindparam("item"), kind="bench", data={}
    )
    clock = SystemClock()
    with engine.connect() as connection:
        started = time.perf_counter()
        for number in range(count):
            item_id = world.item_ids[number % len(world.item_ids)]
            with connection.begin():
                now = clock.now()
                connection.execute(bump, {"now": now, "item": item_id})
                connection.execute(log, {"id": uuid.uuid4(), "item": item_id, "created_at": now})
    return time.perf_counter() - started


def rates(world: World, count: int, rounds: int = 5) -> tuple[float, float]:
    """(service moves/s, ceiling tx/s), measured in alternating rounds so that both see the
    same machine load; a warm-up first parses configs and builds the rule checks."""
    service_seconds(world, 50)
    ceiling_seconds(world, 50)
    per_round = max(1, count // rounds)
    service = ceiling = 0.0
    for _ in range(rounds):
        ceiling += ceiling_seconds(world, per_round)
        service += service_seconds(world, per_round)
    total = per_round * rounds
    return total / service, total / ceiling


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(url: str, workers: int, start_seconds: float = 30) -> Iterator[tuple[str, int]]:
    """``pacetrack serve`` on a free port of 127.0.0.1: ``workers`` processes, no
    embedded background worker, no access log (on a busy machine uvicorn may restart a
    process that starts slowly: ``start_seconds`` allows for that)."""
    port = free_port()
    env = {**os.environ, "PACETRACK_DATABASE_URL": url}
    command = [str(Path(sys.executable).parent / "pacetrack"), "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--no-worker", "--no-access-log"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("pacetrack serve did not start")
            time.sleep(0.1)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a kept-alive connection: (status, body)."""
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _clients(
    address: tuple[str, int], clients: int, per_client: int, next_request: Any
) -> list[float]:
    """``clients`` connections, each sending ``per_client`` requests one after another
    (after 20 unmeasured ones); the latency of each, in ms.

    The load comes from one event loop on raw sockets so that it takes as little of the
    machine's CPU as it can: the server under test shares the machine with it.
    """
    samples: list[float] = []

    async def client(index: int) -> None:
        reader, writer = await asyncio.open_connection(*address)
        try:
            for number in range(per_client + 20):
                request, done = next_request(index, number)
                began = time.perf_counter()
                status, body = await _exchange(reader, writer, request)
                elapsed = (time.perf_counter() - began) * 1000
                if status != 200:
                    raise RuntimeError(f"{status} {body[:200]!r}")
                done()
                if number >= 20:
                    samples.append(elapsed)
        finally:
            writer.close()

    await asyncio.gather(*(client(index) for index in range(clients)))
    return samples


def http_latencies(world: World, address: tuple[str, int], total: int, clients: int) -> list[float]:
    """``POST /api/item/move-to-step``: each client moves its own items back and forth."""
    steps = [str(world.pipeline.step("Right")), str(world.pipeline.step("Left"))]
    share = [world.item_ids[n::clients] for n in range(clients)]
    headers = {"Authorization": f"Bearer {world.token}", "Content-Type": "application/json"}
    where = world.where

    def next_request(index: int, number: int) -> tuple[bytes, Any]:
        item_id = share[index][number % len(share[index])]
        body = json.dumps({"id": str(item_id), "step_id": steps[where[item_id]]}).encode()

        def done() -> None:
            where[item_id] ^= 1

        return _request("POST", "/api/item/move-to-step", headers, body), done

    return asyncio.run(_clients(address, clients, total // clients, next_request))


def floor_latencies(address: tuple[str, int], total: int, clients: int) -> list[float]:
    """``GET /healthz`` from the same clients: what the HTTP stack alone costs."""
    request = _request("GET", "/healthz", {})

    def next_request(index: int, number: int) -> tuple[bytes, Any]:
        return request, lambda: None

    return asyncio.run(_clients(address, clients, total // clients, next_request))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=2000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--http-requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--http-workers", type=int, default=os.cpu_count() or 1, help="server processes"
    )
    options = parser.parse_args()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    print(
        f"Configuration: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; psycopg 3; "
        f"pool_pre_ping={settings.db_pool_pre_ping}; bearer token read from the database "
        f"on every request; HTTP: pacetrack serve --workers "
        f"{options.http_workers} --no-access-log (uvicorn, httptools, uvloop), "
        f"{options.clients} keep-alive connections from one asyncio loop on the same machine"
    )

    with tempfile.TemporaryDirectory() as scratch:
        url = sqlite_url(Path(scratch))
        upgrade(url)
        world = seed(url, options.items)
        service, ceiling = rates(world, options.moves)
        world.container.close()
        print(
            f"SQLite      service {service:8.0f} moves/s   ceiling {ceiling:8.0f} tx/s   "
            f"{service / ceiling:6.1%} of ceiling"
        )

    with fresh_postgres_database("pacetrack_bench") as url:
        upgrade(url)
        world = seed(url, options.items)
        service, ceiling = rates(world, options.moves)
        print(
            f"PostgreSQL  service {service:8.0f} moves/s   ceiling {ceiling:8.0f} tx/s   "
            f"{service / ceiling:6.1%} of ceiling (target >= 40%)"
        )
        with server(url, options.http_workers) as address:
            http_latencies(world, address, 400, options.clients)
            started = time.perf_counter()
            latencies = http_latencies(world, address, options.http_requests, options.clients)
            rate = len(latencies) / (time.perf_counter() - started)
            floor = floor_latencies(address, options.http_requests, options.clients)
        world.container.close()
        print(
            f"PostgreSQL  HTTP move-to-step, {options.clients} clients, {len(latencies)} requests "
            f"({rate:.0f}/s): p50 {percentile(latencies, 0.50):.1f} ms  "
            f"p99 {percentile(latencies, 0.99):.1f} ms  mean {statistics.fmean(latencies):.1f} ms "
            "(target p99 < 25 ms)"
        )
        print(
            f"            baseline GET /healthz, same clients and server: "
            f"p50 {percentile(floor, 0.50):.1f} ms  p99 {percentile(floor, 0.99):.1f} ms"
        )


if __name__ == "__main__":
    main()
