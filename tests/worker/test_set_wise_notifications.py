"""The ``notification.fire`` jobs of a batch performed set-wise, on SQLite and PostgreSQL.

With the built-in handler, a batch of 50 real jobs is read and written in a
few statements for the whole batch and settled in one. A job the set-wise
attempt cannot perform, or a lease lost meanwhile, sends the batch to the
one-by-one path: the failing job alone is retried, and nothing is written
twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, update

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables_delivery import (
    DONE,
    PENDING,
    RUNNING,
    Notification,
    NotificationDelivery,
    NotificationLog,
    Outbox,
)
from pacetrack.worker import Worker
from tests.worker.conftest import build_world
from tests.worker.test_batches import JOBS, _count, _notification_jobs, _rows, counted_commits

STATEMENTS_PER_BATCH = 16
"""A bound, not the count: in the claiming transaction a batch whose jobs name the
same recipients costs the claim, the reads (items, steps, pipelines, actors, step
history, recipients, preferences), one insert per table (``COPY`` on PostgreSQL,
which this count does not see), the settlement and the live-badge notification."""


@contextmanager
def counted_statements(container: Container) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(container.engine, "before_cursor_execute", count)


def test_a_batch_of_50_notifications_is_written_in_a_bounded_number_of_statements(
    container: Container,
) -> None:
    world = build_world(container)
    ids = _notification_jobs(world)
    worker = Worker(container, mailer=None)
    with counted_commits(container) as commits, counted_statements(container) as statements:
        assert worker.process_batch() == JOBS
    assert len(commits) == 1  # the claim, the whole batch's writes and its outcomes
    assert len(statements) <= STATEMENTS_PER_BATCH, statements
    rows = _rows(container)
    assert {rows[i].status for i in ids} == {DONE}
    assert _count(container, NotificationLog) == JOBS
    assert _count(container, Notification) == JOBS
    assert _count(container, Notification, account_id=world.accounts["owner"]) == JOBS
    assert _count(container, NotificationDelivery, status="sent") == JOBS


def test_a_job_performed_again_finds_its_history_and_writes_nothing_twice(
    container: Container, clock: FrozenClock
) -> None:
    world = build_world(container)
    ids = _notification_jobs(world)
    worker = Worker(container, mailer=None)
    assert worker.process_batch() == JOBS
    with container.uow() as uow:  # delivered at least once: the whole batch comes back
        uow.session.execute(
            update(Outbox).values(status=PENDING, done_at=None, available_at=clock.now())
        )
        uow.commit()
    assert worker.process_batch() == JOBS
    assert {_rows(container)[i].status for i in ids} == {DONE}
    assert _count(container, NotificationLog) == JOBS
    assert _count(container, Notification) == JOBS
    assert _count(container, NotificationDelivery) == 2 * JOBS  # in the app, and email


def test_a_job_that_fails_set_wise_is_retried_alone_and_the_others_commit_once(
    container: Container,
) -> None:
    world = build_world(container)
    ids = _notification_jobs(world)
    broken = ids[23]
    with container.uow() as uow:
        row = uow.session.get(Outbox, (world.tenant_id, broken))
        assert row is not None
        row.payload = {**row.payload, "triggered_at": "not a time"}
        uow.commit()
    worker = Worker(container, mailer=None, rng=lambda: 0.5)
    with counted_commits(container) as commits:
        assert worker.process_batch() == JOBS
    # Together in the claiming transaction failed and was rolled back: the claim again,
    # then the batch one savepoint per job.
    assert len(commits) == 2
    rows = _rows(container)
    assert sorted(rows[i].status for i in ids) == [DONE] * (JOBS - 1) + [PENDING]
    assert rows[broken].status == PENDING
    assert rows[broken].attempts == 1
    assert rows[broken].last_error is not None
    assert rows[broken].last_error.startswith("ValueError")
    assert _count(container, NotificationLog) == JOBS - 1
    assert _count(container, NotificationLog, id=broken) == 0
    assert _count(container, Notification) == JOBS - 1
    assert _count(container, NotificationDelivery) == 2 * (JOBS - 1)  # in the app, and email


def test_a_job_whose_lease_was_lost_keeps_none_of_its_writes_and_the_others_commit(
    container: Container,
) -> None:
    world = build_world(container)
    ids = _notification_jobs(world)
    worker = Worker(container, mailer=None)
    jobs = worker.claim()
    assert len(jobs) == JOBS
    taken: uuid.UUID = ids[5]
    with container.uow() as uow:  # another worker took the job over meanwhile
        uow.session.execute(
            update(Outbox)
            .where(Outbox.tenant_id == world.tenant_id, Outbox.id == taken)
            .values(locked_by="another worker")
        )
        uow.commit()
    assert worker.perform_database_batch(jobs) == JOBS
    rows = _rows(container)
    assert rows[taken].status == RUNNING
    assert rows[taken].locked_by == "another worker"
    assert sorted(rows[i].status for i in ids if i != taken) == [DONE] * (JOBS - 1)
    assert _count(container, NotificationLog, id=taken) == 0
    assert _count(container, NotificationLog) == JOBS - 1
    assert _count(container, Notification) == JOBS - 1
