"""Server time of the board and list pages of a pipeline with 50,000 items, on PostgreSQL,
beside a bare indexed query for the same cards measured in the same run.

    PYTHONPATH=.:src .venv/bin/python bench/bench_board.py [--items 50000] [--requests 60]

A scratch database on 127.0.0.1:5432 (or ``PACETRACK_TEST_DATABASE_URL``) gets one
pipeline of seven steps and ``--items`` items (bulk inserted: items and their open step
stays, with money, date and number fields, owners and assignees spread over six people,
created over the last 90 days). Each page is requested in-process through the ASGI app
(``starlette.testclient``, a signed-in browser session), so the time is the server's:
routing, authentication, the read model's queries and the Jinja rendering.

- board: ``/pipelines/<id>`` (7 grouped counts and totals, 25 cards a column);
- board, filtered: the same with ``?q=deal 1&at_risk=1``;
- list: ``/pipelines/<id>/list`` sorted by name, and by the money field descending;
- baseline: the least the board needs: ``SELECT`` of each column's newest 25 cards by the
  board index, one statement per column, no count, no rendering.

Target: board and list p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import insert, text
from tests.services.moves_support import (
    FieldDef,
    Pipeline,
    StepDef,
    actor_for,
    build_pipeline,
    define_fields,
)
from tests.support.databases import fresh_postgres_database
from tests.support.versions import publish_and_upgrade

from pacetrack.adapters.clock import SystemClock
from pacetrack.bootstrap import Container, build
from pacetrack.db.migrate import upgrade
from pacetrack.db.tables import Item, ItemStepHistory, PipelineTemplate
from pacetrack.services.tenants import AccountSpec, create_account_with_token, create_tenant
from pacetrack.settings import Settings
from pacetrack.web.app import create_app

STEPS = ("Lead", "Qualified", "Demo", "Proposal", "Negotiation", "Won", "Lost")
FIELDS = [
    FieldDef(name="deal_value", field_type="currency"),
    FieldDef(name="close_date", field_type="date"),
    FieldDef(name="company_size", field_type="number"),
]
BOARD = {"money_field": "deal_value", "card_fields": ["close_date", "company_size"]}
BATCH = 5_000
TARGET_MS = 150.0


@dataclass
class World:
    container: Container
    pipeline: Pipeline
    tenant_id: uuid.UUID
    token: str


def seed(url: str, count: int) -> World:
    container = build(
        Settings(database_url=url, embedded_worker=False, _env_file=None),  # type: ignore[call-arg]
        clock=SystemClock(),
    )
    with container.uow() as uow:
        tenant = create_tenant(uow, name="Bench", slug="bench")
    people = []
    token = ""
    for number in range(6):
        with container.uow() as uow:
            account, issued = create_account_with_token(
                uow,
                tenant_slug=tenant.slug,
                spec=AccountSpec(
                    email=f"p{number}@bench.example",
                    username=f"person{number}",
                    display_name=f"Person Number{number}",
                    roles=["admin"],
                ),
                token_ttl=None,
            )
        people.append(account.id)
        token = token or issued.token
    define_fields(container, tenant.id, FIELDS)
    pipeline = build_pipeline(
        container,
        tenant.id,
        [StepDef(name=name, target_duration_days=14) for name in STEPS],
        name="Bench deals",
    )
    with container.uow() as uow:
        template = uow.session.get(PipelineTemplate, (tenant.id, pipeline.template_id))
        assert template is not None
        template.board = dict(BOARD)
        uow.commit()
    # A running pipeline shows the board setting of the version it runs.
    publish_and_upgrade(container, actor_for(tenant.id, people[0], "admin"), pipeline.template_id)
    randomly = random.Random(12)
    now = datetime.now(UTC)
    step_ids = [pipeline.step(name) for name in STEPS]
    with container.engine.begin() as connection:
        for start in range(0, count, BATCH):
            item_rows = []
            stay_rows = []
            for number in range(start, min(start + BATCH, count)):
                created = now - timedelta(minutes=randomly.randrange(90 * 24 * 60))
                entered = created + (now - created) * randomly.random()
                item_id = uuid.uuid4()
                item_rows.append(
                    {
                        "tenant_id": tenant.id,
                        "id": item_id,
                        "pipeline_instance_id": pipeline.instance_id,
                        "current_step_id": randomly.choice(step_ids),
                        "name": f"Deal {number}",
                        "field_values": {
                            "deal_value": str(Decimal(randomly.randrange(100, 10**8)) / 100),
                            "close_date": (now + timedelta(days=randomly.randrange(90)))
                            .date()
                            .isoformat(),
                            "company_size": str(randomly.randrange(1, 5000)),
                        },
                        "calculation_errors": {},
                        "owner_account_id": randomly.choice(people),
                        "assigned_account_ids": [str(randomly.choice(people))],
                        "status": "active",
                        "version": 1,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                stay_rows.append(
                    {
                        "tenant_id": tenant.id,
                        "id": uuid.uuid4(),
                        "item_id": item_id,
                        "step_id": item_rows[-1]["current_step_id"],
                        "entered_at": entered,
                        "exited_at": None,
                    }
                )
            connection.execute(insert(Item), item_rows)
            connection.execute(insert(ItemStepHistory), stay_rows)
    # Statistics as autovacuum would have them in a running system.
    with container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE item"))
        connection.execute(text("VACUUM ANALYZE item_step_history"))
    return World(container=container, pipeline=pipeline, tenant_id=tenant.id, token=token)


def timed(call: Callable[[], object], rounds: int) -> list[float]:
    for _ in range(3):
        call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def baseline(world: World) -> Callable[[], object]:
    statement = text(
        "SELECT id, version, name, owner_account_id, assigned_account_ids, field_values, "
        "created_at FROM item WHERE tenant_id = :tenant AND pipeline_instance_id = :pipeline "
        "AND status = 'active' AND current_step_id = :step ORDER BY created_at DESC LIMIT 25"
    )
    steps = [world.pipeline.step(name) for name in STEPS]

    def run() -> object:
        with world.container.engine.connect() as connection:
            return [
                connection.execute(
                    statement,
                    {
                        "tenant": world.tenant_id,
                        "pipeline": world.pipeline.instance_id,
                        "step": step,
                    },
                ).all()
                for step in steps
            ]

    return run


def page(client: TestClient, path: str) -> Callable[[], object]:
    def run() -> object:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=60)
    options = parser.parse_args()
    print(
        f"Configuration: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; PostgreSQL; "
        f"{options.items:,} items in one pipeline of {len(STEPS)} steps; "
        f"{options.requests} timed requests each, in-process ASGI client"
    )
    with fresh_postgres_database("pacetrack_bench") as url:
        upgrade(url)
        started = time.perf_counter()
        world = seed(url, options.items)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        instance = world.pipeline.instance_id
        # Built as `pacetrack serve` builds it (the start-up objects frozen).
        app = create_app(world.container, freeze_startup_objects=True)
        with TestClient(app) as client:
            client.cookies.set("pacetrack_token", world.token)
            cases = [
                ("baseline: 7 indexed card queries", baseline(world)),
                ("board", page(client, f"/pipelines/{instance}")),
                ("board, filtered", page(client, f"/pipelines/{instance}?q=deal+1&at_risk=1")),
                ("list by name", page(client, f"/pipelines/{instance}/list")),
                (
                    "list by deal value, descending",
                    page(
                        client, f"/pipelines/{instance}/list?sort=field:deal_value&direction=desc"
                    ),
                ),
            ]
            for name, call in cases:
                samples = timed(call, options.requests)
                p95 = percentile(samples, 0.95)
                verdict = (
                    ""
                    if name.startswith("baseline")
                    else (
                        f"   target p95 < {TARGET_MS:.0f} ms: "
                        f"{'met' if p95 < TARGET_MS else 'missed'}"
                    )
                )
                print(
                    f"  {name:<34} p50 {statistics.median(samples):7.1f} ms   "
                    f"p95 {p95:7.1f} ms{verdict}"
                )
        world.container.close()


if __name__ == "__main__":
    main()
