"""``pacetrack worker status`` against real databases: the figures /metrics counts, in words."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.tables_automations import DeliveryAttempt
from pacetrack.db.tables_delivery import DEAD, Outbox, Timer
from pacetrack.services import webhooks
from tests.conftest import Login
from tests.worker.conftest import ONE_DAY_RULE, build_world


def _enqueue(container: Container, login: Login, kind: str, count: int, now: datetime) -> None:
    with container.uow() as uow:
        for _ in range(count):
            outbox.enqueue(uow.session, tenant_id=login.tenant_id, kind=kind, payload={}, now=now)
        uow.commit()


def _attempts(container: Container, login: Login, url: str, outcomes: list[str]) -> None:
    with container.uow() as uow:
        now = uow.clock.now()
        endpoint = webhooks.new_endpoint(
            uow.session, tenant_id=login.tenant_id, url=url, now=now, owner_account_id=None
        )
        uow.flush()
        for n, outcome in enumerate(outcomes):
            uow.session.add(
                DeliveryAttempt(
                    tenant_id=login.tenant_id,
                    id=uuid.uuid4(),
                    delivery_id=uuid.uuid4(),
                    endpoint_id=endpoint.id,
                    attempt=n + 1,
                    url=url,
                    duration_ms=20,
                    outcome=outcome,
                    created_at=now,
                )
            )
        uow.commit()


def _scene(container: Container, admin: Login, other_admin: Login) -> None:
    """Acme: 3 notifications waiting 5 minutes, 1 webhook delivery dead, 3 attempts to one
    endpoint; Globex: 2 automation runs; a third tenant with two timers, one overdue."""
    waiting_since = datetime.now(UTC) - timedelta(minutes=5)
    _enqueue(container, admin, "notification.fire", 3, waiting_since)
    _enqueue(container, admin, "webhook.deliver", 1, waiting_since)
    _enqueue(container, other_admin, "automation.run", 2, datetime.now(UTC) + timedelta(hours=1))
    with container.uow() as uow:
        uow.session.execute(
            update(Outbox).where(Outbox.kind == "webhook.deliver").values(status=DEAD)
        )
        uow.commit()
    _attempts(container, admin, "https://hooks.acme.example/in", ["succeeded"] * 2 + ["failed"])
    world = build_world(container, slug="initech")
    world.add_step("Start", notifications=[ONE_DAY_RULE])
    world.move(world.add_item("One"), "Start")
    world.move(world.add_item("Two"), "Start")
    with container.uow() as uow:
        first = uow.session.scalars(select(Timer.id).limit(1)).one()
        uow.session.execute(
            update(Timer)
            .where(Timer.id == first)
            .values(due_at=datetime.now(UTC) + timedelta(days=1))
        )
        uow.commit()


def test_status_prints_the_queues_dead_jobs_deliveries_and_timers_with_tenant_names(
    run: Any, container: Container, admin: Login, other_admin: Login
) -> None:
    _scene(container, admin, other_admin)

    result = run("worker", "status")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        "Jobs",
        "  Acme (acme)",
        "    3 notifications to send: 3 waiting",
        "    1 webhook delivery: 1 dead",
        "  Globex (globex)",
        "    2 automation runs: 2 waiting",
    ]
    assert any(line.startswith("The oldest due job has waited 5 minutes") for line in lines)
    assert any(line.startswith("1 dead job: ") for line in lines)
    assert (
        "  Acme (acme): https://hooks.acme.example/in: 3 attempts (1 failed, 2 succeeded)" in lines
    )
    assert lines[-1] == (
        "Timers: 2 armed, 1 overdue (the worker that fires them is behind or not running)."
    )
    assert str(admin.tenant_id) not in result.stdout
    assert "{" not in result.stdout and "(s)" not in result.stdout


def test_status_as_json_for_one_tenant_and_an_unknown_tenant_refused(
    run: Any, container: Container, admin: Login, other_admin: Login
) -> None:
    _scene(container, admin, other_admin)

    acme = run("worker", "status", "--tenant", "acme", "--json")
    unknown = run("worker", "status", "--tenant", "nobody")

    assert acme.exit_code == 0, acme.output
    document = json.loads(acme.stdout)
    assert document["jobs"] == [
        {"tenant": "Acme", "tenant_slug": "acme", "kind": k, "state": s, "count": n}
        for k, s, n in [("notification.fire", "pending", 3), ("webhook.deliver", "dead", 1)]
    ]
    assert 300 <= document["oldest_due_job_age_seconds"] < 400
    assert document["dead_jobs"] == 1
    assert {(d["endpoint"], d["outcome"], d["count"]) for d in document["deliveries"]} == {
        ("https://hooks.acme.example/in", "succeeded", 2),
        ("https://hooks.acme.example/in", "failed", 1),
    }
    assert document["timers"] == {"armed": 0, "overdue": 0}
    assert unknown.exit_code == 1
    assert "nobody" in unknown.stderr and "Traceback" not in unknown.output
