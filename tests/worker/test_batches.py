"""Database jobs run in batches: one transaction per batch, a savepoint per job.

Real ``notification.fire`` jobs (history, in-app rows) on SQLite and
PostgreSQL. One of them is poisoned: its handler does the real work, then
raises. Its writes must vanish and it alone must come back for a retry; the
other 49 commit together in one transaction with their outcomes and the claim.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.db.tables_delivery import DONE, PENDING, Notification, NotificationLog, Outbox
from pacetrack.engine.retry_policy import Done, Outcome
from pacetrack.services.side_effects import NOTIFICATION_JOB
from pacetrack.services.tenants import create_tenant
from pacetrack.worker import HANDLERS, JobUnit, Worker
from pacetrack.worker.handlers import fire_notification
from tests.worker.conftest import World, build_world

JOBS = 50
ENTERED = {"id": "entered", "trigger": "on_enter", "recipients": [{"type": "owner"}]}


@contextmanager
def counted_commits(container: Container) -> Iterator[list[int]]:
    """Counts the transactions the engine commits on the calling thread while the block
    runs: the worker's heartbeat thread renews leases in commits of its own, and on a slow
    machine a batch lasts long enough for one."""
    commits: list[int] = []
    caller = threading.get_ident()

    def count(connection: Any) -> None:
        if threading.get_ident() == caller:
            commits.append(1)

    event.listen(container.engine, "commit", count)
    try:
        yield commits
    finally:
        event.remove(container.engine, "commit", count)


def _notification_jobs(world: World) -> list[uuid.UUID]:
    world.add_step("Start", notifications=[ENTERED])
    for n in range(JOBS):
        world.move(world.add_item(f"Item {n}"), "Start")
    with world.container.uow() as uow:
        ids = list(
            uow.session.scalars(
                select(Outbox.id).where(Outbox.kind == NOTIFICATION_JOB).order_by(Outbox.created_at)
            )
        )
    assert len(ids) == JOBS
    return ids


def _rows(container: Container) -> dict[uuid.UUID, Outbox]:
    with container.uow() as uow:
        rows = {row.id: row for row in uow.session.scalars(select(Outbox))}
        uow.session.expunge_all()
        return rows


def _count(container: Container, table: Any, **where: Any) -> int:
    with container.uow() as uow:
        statement = select(func.count()).select_from(table)
        for name, value in where.items():
            statement = statement.where(getattr(table, name) == value)
        return int(uow.session.scalar(statement) or 0)


def test_one_poisoned_job_in_a_batch_of_50_is_retried_alone_and_49_commit_together(
    container: Container, clock: FrozenClock
) -> None:
    world = build_world(container)
    ids = _notification_jobs(world)
    poisoned = ids[17]

    def poisonous(unit: JobUnit, job: Job) -> Outcome:
        outcome = fire_notification(unit, job)
        if job.id == poisoned:
            unit.flush()  # its rows really reach the database before the failure
            raise RuntimeError("poisoned")
        return outcome

    handlers = {**HANDLERS, NOTIFICATION_JOB: poisonous}
    worker = Worker(container, handlers=handlers, mailer=None, rng=lambda: 0.5)
    with counted_commits(container) as commits:
        assert worker.process_batch() == JOBS
    assert len(commits) == 1  # the claim, the whole batch's writes and its outcomes

    rows = _rows(container)
    assert sorted(rows[i].status for i in ids) == [DONE] * 49 + [PENDING]
    retried = rows[poisoned]
    assert retried.status == PENDING
    assert retried.attempts == 1
    assert retried.last_error == "RuntimeError: poisoned"
    base = timedelta(seconds=container.settings.worker_retry_base_seconds)
    assert retried.available_at == clock.now() + base
    assert retried.locked_by is None
    assert _count(container, NotificationLog) == 49
    assert _count(container, NotificationLog, id=poisoned) == 0
    assert _count(container, Notification) == 49

    # The retry performs the job once its backoff has passed, and only it.
    clock.advance(base)
    plain = Worker(container, mailer=None)
    assert plain.process_batch() == 1
    assert _rows(container)[poisoned].status == DONE
    assert _count(container, NotificationLog) == JOBS
    assert _count(container, Notification) == JOBS


def test_a_handler_that_commits_fails_its_attempt_and_keeps_nothing(
    container: Container,
) -> None:
    world = build_world(container)
    ids = _notification_jobs(world)[:1]

    def commits(unit: JobUnit, job: Job) -> Outcome:
        outcome = fire_notification(unit, job)
        unit.commit()
        return outcome

    worker = Worker(container, handlers={NOTIFICATION_JOB: commits}, mailer=None)
    worker.drain()
    rows = _rows(container)
    assert rows[ids[0]].status == PENDING
    assert rows[ids[0]].last_error is not None
    assert "never commits" in rows[ids[0]].last_error
    assert _count(container, NotificationLog, id=ids[0]) == 0


def test_a_job_whose_lease_was_taken_over_keeps_none_of_its_writes(
    container: Container, clock: FrozenClock
) -> None:
    with container.uow() as uow:
        tenant_id = create_tenant(uow, name="Jobs", slug="jobs").id
    with container.uow() as uow:
        job_id = outbox.enqueue(
            uow.session, tenant_id=tenant_id, kind="test.write", payload={}, now=clock.now()
        )
        uow.commit()

    def write(unit: JobUnit, job: Job) -> Outcome:
        outbox.enqueue(
            unit.session, tenant_id=job.tenant_id, kind="test.written", payload={}, now=clock.now()
        )
        return Done()

    slow = Worker(container, handlers={"test.write": write}, mailer=None, worker_id="slow")
    (job,) = slow.claim()
    # Its lease ran out and another worker performed the job meanwhile.
    clock.advance(timedelta(seconds=container.settings.worker_lease_seconds + 1))
    fast = Worker(container, handlers={"test.write": write}, mailer=None, worker_id="fast")
    assert fast.process_batch() == 1
    assert _count(container, Outbox, kind="test.written") == 1

    slow.perform(job)  # the late attempt's outcome does not land, nor do its writes
    assert _rows(container)[job_id].status == DONE
    assert _count(container, Outbox, kind="test.written") == 1
