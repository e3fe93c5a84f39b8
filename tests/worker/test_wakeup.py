"""Promptness: a committed enqueue wakes an idle worker; short leases come back soon.

The wake-up test gives the worker a poll interval of an hour, so only the
notification can explain the job being performed: it waits on the handler's
event with a generous timeout and asserts that it happened, not how fast.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container, build
from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.db.tables_delivery import Outbox
from pacetrack.engine.retry_policy import Done, Outcome
from pacetrack.services.tenants import create_tenant
from pacetrack.settings import Settings
from pacetrack.worker import JobUnit, Worker

GENEROUS = 30.0


def _tenant(container: Container) -> uuid.UUID:
    with container.uow() as uow:
        return create_tenant(uow, name="Wake", slug=f"wake-{uuid.uuid4().hex[:6]}").id


def _enqueue(container: Container, tenant_id: uuid.UUID) -> uuid.UUID:
    with container.uow() as uow:
        job_id = outbox.enqueue(
            uow.session, tenant_id=tenant_id, kind="test.wake", payload={}, now=uow.clock.now()
        )
        uow.commit()
    return job_id


ONLY_POSTGRESQL = pytest.mark.parametrize(
    "database_url", ["postgresql"], indirect=True, scope="session"
)


@pytest.fixture
def sleepy(container: Container) -> Iterator[Container]:
    """The test database, seen by a worker whose poll interval is an hour."""
    settings = container.settings.model_copy(update={"worker_poll_seconds": 3600.0})
    built = build(settings, clock=container.clock)
    yield built
    built.close()


# SQLite has no LISTEN/NOTIFY: its workers find new work by polling.
@ONLY_POSTGRESQL
def test_a_committed_enqueue_wakes_an_idle_worker_on_postgresql(
    container: Container, sleepy: Container
) -> None:
    tenant_id = _tenant(container)
    performed: dict[uuid.UUID, threading.Event] = {}

    def handler(unit: JobUnit, job: Job) -> Outcome:
        performed.setdefault(job.id, threading.Event()).set()
        return Done()

    worker = Worker(sleepy, handlers={"test.wake": handler}, mailer=None)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        assert worker.listener.listening.wait(GENEROUS), "the worker never listened"
        for _ in range(2):  # each enqueue wakes it again, well within its hour-long poll
            assert worker.idle.wait(GENEROUS), "the worker never went idle"
            job_id = _enqueue(container, tenant_id)
            woken = performed.setdefault(job_id, threading.Event())
            assert woken.wait(GENEROUS), "the committed enqueue did not wake the worker"
    finally:
        worker.request_stop()
        thread.join(GENEROUS)
    assert not thread.is_alive()
    assert len(performed) == 2


def test_a_killed_workers_claims_are_taken_over_within_15_seconds(
    container: Container, clock: FrozenClock
) -> None:
    defaults = Settings(database_url="sqlite://", _env_file=None)  # type: ignore[call-arg]
    assert defaults.worker_lease_seconds + defaults.worker_poll_seconds <= 15
    tenant_id = _tenant(container)
    job_id = _enqueue(container, tenant_id)
    killed = Worker(container, handlers={}, mailer=None, worker_id="killed")
    assert [job.id for job in killed.claim()] == [job_id]
    # It dies here: no heartbeat, no settlement.
    survivor = Worker(container, handlers={}, mailer=None, worker_id="survivor")
    clock.advance(timedelta(seconds=defaults.worker_lease_seconds - 1))
    assert survivor.claim() == []
    clock.advance(timedelta(seconds=1))
    assert [job.id for job in survivor.claim()] == [job_id]


# SQLite has no row locks: its heartbeat waits for the batch's commit.
@ONLY_POSTGRESQL
def test_the_heartbeat_passes_over_rows_its_batch_is_settling_instead_of_waiting(
    container: Container, clock: FrozenClock
) -> None:
    tenant_id = _tenant(container)
    first, second = _enqueue(container, tenant_id), _enqueue(container, tenant_id)
    worker = Worker(container, handlers={}, mailer=None, worker_id="w")
    jobs = {job.id: job for job in worker.claim()}
    until = clock.now() + timedelta(minutes=5)
    with container.uow() as batch:
        # The batch has settled the first job and not committed yet: it holds that row.
        assert outbox.complete(batch.session, job=jobs[first], worker_id="w", now=clock.now())
        with container.uow() as heartbeat:
            # Waiting for the lock would fail the test here rather than hang it.
            heartbeat.session.execute(text("SET LOCAL lock_timeout = '10s'"))
            extended = outbox.extend_leases(
                heartbeat.session,
                keys=[(tenant_id, first), (tenant_id, second)],
                worker_id="w",
                until=until,
            )
            heartbeat.commit()
        assert extended == 1
        batch.commit()
    with container.uow() as uow:
        rows = {
            row.id: (row.status, row.locked_until)
            for row in uow.session.scalars(select(Outbox).where(Outbox.tenant_id == tenant_id))
        }
    assert rows[first] == ("done", None)
    assert rows[second] == ("running", until)
