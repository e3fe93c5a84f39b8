"""An upgrade of a pipeline with 100,000 items and their armed timers to a version that
removes one step (its items mapped to another) and changes a timed rule's duration, on
PostgreSQL, beside bare ``UPDATE`` statements of the same rows measured in the same run.

    PYTHONPATH=.:src .venv/bin/python bench/bench_upgrade.py [--items 100000]

A scratch database on 127.0.0.1:5432 (or ``PACETRACK_TEST_DATABASE_URL``) gets one
pipeline of five steps, each with a daily ``on_duration`` reminder, and ``--items`` items
spread evenly over the steps (bulk inserted with their open stays and one armed timer
each). Version 2 removes "Proposal" (its items mapped to "Demo") and makes the reminder
of "Lead" start after 5 days instead of 3.

- upgrade: ``template_upgrade.upgrade_instance`` in one transaction, committed: every
  item's version written (the lock), the mapped items moved with their bookkeeping (stays
  closed and opened, timers cancelled and armed, activity), the changed rule's timers
  re-armed;
- bare UPDATE: the items' step of the mapped items and the due time of the re-armed
  timers, two statements, rolled back; and the same plus the version of every item (the
  rows the upgrade writes), rolled back. Both are measured before the upgrade, on the
  same data.

Target: the upgrade within five times the bare UPDATE.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from tests.services.moves_support import StepDef, build_pipeline
from tests.support.databases import fresh_postgres_database

from pacetrack.adapters.clock import SystemClock
from pacetrack.bootstrap import Container, build
from pacetrack.db.migrate import upgrade
from pacetrack.db.tables import Item, ItemStepHistory
from pacetrack.db.tables_delivery import ARMED, Timer
from pacetrack.services import template_upgrade, templates
from pacetrack.services.context import Actor
from pacetrack.services.template_versions import PublishVersion, publish
from pacetrack.services.tenants import AccountSpec, create_account_with_token, create_tenant
from pacetrack.settings import Settings

STEPS = ("Lead", "Qualified", "Demo", "Proposal", "Won")
BATCH = 5_000
TARGET_RATIO = 5.0


def reminder(duration: int) -> dict[str, Any]:
    return {
        "id": "daily",
        "trigger": "on_duration",
        "duration_days": duration,
        "repeat_every_days": 1,
        "recipients": [{"type": "owner"}],
    }


def seed(container: Container, count: int) -> tuple[Actor, Any]:
    with container.uow() as uow:
        tenant = create_tenant(uow, name="Bench", slug="bench")
    with container.uow() as uow:
        account, _ = create_account_with_token(
            uow,
            tenant_slug=tenant.slug,
            spec=AccountSpec(
                email="ada@bench.example", username="ada", display_name="Ada", roles=["admin"]
            ),
            token_ttl=None,
        )
    actor = Actor(tenant_id=tenant.id, account_id=account.id, roles=frozenset({"admin"}))
    pipeline = build_pipeline(
        container,
        tenant.id,
        [StepDef(name=name, config={"notifications": [reminder(3)]}) for name in STEPS],
        name="Bench deals",
    )
    now = datetime.now(UTC)
    step_ids = [pipeline.step(name) for name in STEPS]
    rule = {**reminder(3), "target_duration_days": None}
    with container.engine.begin() as connection:
        for start in range(0, count, BATCH):
            item_rows, stay_rows, timer_rows = [], [], []
            for number in range(start, min(start + BATCH, count)):
                entered = now - timedelta(minutes=number % (2 * 24 * 60))
                item_id, stay_id = uuid.uuid4(), uuid.uuid4()
                step_id = step_ids[number % len(step_ids)]
                item_rows.append(
                    {
                        "tenant_id": tenant.id,
                        "id": item_id,
                        "pipeline_instance_id": pipeline.instance_id,
                        "current_step_id": step_id,
                        "name": f"Deal {number}",
                        "field_values": {},
                        "calculation_errors": {},
                        "assigned_account_ids": [],
                        "status": "active",
                        "version": 1,
                        "created_at": entered,
                        "updated_at": entered,
                    }
                )
                stay_rows.append(
                    {
                        "tenant_id": tenant.id,
                        "id": stay_id,
                        "item_id": item_id,
                        "step_id": step_id,
                        "entered_at": entered,
                        "exited_at": None,
                    }
                )
                timer_rows.append(
                    {
                        "tenant_id": tenant.id,
                        "id": uuid.uuid4(),
                        "item_id": item_id,
                        "step_id": step_id,
                        "history_id": stay_id,
                        "rule_kind": "notification",
                        "rule_id": "daily",
                        "trigger": "on_duration",
                        "occurrence": 1,
                        "entered_at": entered,
                        "due_at": entered + timedelta(days=3),
                        "status": ARMED,
                        "rule": rule,
                        "created_at": entered,
                    }
                )
            connection.execute(insert(Item), item_rows)
            connection.execute(insert(ItemStepHistory), stay_rows)
            connection.execute(insert(Timer), timer_rows)
    with container.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("item", "item_step_history", "timer", "activity"):
            connection.execute(text(f"VACUUM ANALYZE {table}"))
    with container.uow() as uow:
        templates.update_family(
            uow,
            actor,
            pipeline.step_templates["Lead"],
            family="notifications",
            raw=[reminder(5)],
        )
    with container.uow() as uow:
        templates.delete_step(uow, actor, pipeline.step_templates["Proposal"])
    with container.uow() as uow:
        publish(uow, actor, PublishVersion(id=pipeline.template_id, note="bench"))
    return actor, pipeline


def bare_update(container: Container, pipeline: Any, *, every_item: bool) -> float:
    statements = [
        (
            "UPDATE item SET current_step_id = :demo WHERE tenant_id = :tenant "
            "AND pipeline_instance_id = :pipeline AND current_step_id = :proposal"
        ),
        (
            "UPDATE timer SET due_at = entered_at + interval '5 days' WHERE tenant_id = :tenant "
            "AND status = 'armed' AND step_id = :lead"
        ),
    ]
    if every_item:
        statements.insert(
            0,
            "UPDATE item SET version = version + 1, updated_at = now() "
            "WHERE tenant_id = :tenant AND pipeline_instance_id = :pipeline",
        )
    with container.engine.connect() as connection:
        tenant = connection.execute(text("SELECT id FROM tenant WHERE slug = 'bench'")).scalar()
        connection.rollback()
        values = {
            "tenant": tenant,
            "pipeline": pipeline.instance_id,
            "demo": pipeline.step("Demo"),
            "proposal": pipeline.step("Proposal"),
            "lead": pipeline.step("Lead"),
        }
        transaction = connection.begin()
        started = time.perf_counter()
        for statement in statements:
            connection.execute(text(statement), values)
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    arguments = parser.parse_args()
    with fresh_postgres_database("pacetrack_bench") as url:
        upgrade(url)
        container = build(
            Settings(database_url=url, embedded_worker=False, _env_file=None),  # type: ignore[call-arg]
            clock=SystemClock(),
        )
        try:
            actor, pipeline = seed(container, arguments.items)
            bare_update(container, pipeline, every_item=True)  # warms the caches of both
            bare = bare_update(container, pipeline, every_item=False)
            bare_all = bare_update(container, pipeline, every_item=True)
            with container.uow() as uow:
                started = time.perf_counter()
                report = template_upgrade.upgrade_instance(
                    uow,
                    actor,
                    pipeline.instance_id,
                    step_mapping={
                        pipeline.step_templates["Proposal"]: pipeline.step_templates["Demo"]
                    },
                )
                took = time.perf_counter() - started
        finally:
            container.close()
    print(f"items: {arguments.items:,}; moved {report.items_moved:,}; timers {report.timers}")
    print(f"upgrade (one transaction, committed): {took:.2f} s")
    print(f"bare UPDATE, mapped items' step + re-armed timers' due time: {bare:.2f} s")
    print(f"bare UPDATE, the same plus every item's version: {bare_all:.2f} s")
    ratio = took / bare
    print(
        f"ratio to the bare UPDATE: {ratio:.1f}x (target {TARGET_RATIO:.0f}x): "
        f"{'met' if ratio <= TARGET_RATIO else 'not met'}; "
        f"to the same rows with every item's version: {took / bare_all:.1f}x"
    )


if __name__ == "__main__":
    main()
