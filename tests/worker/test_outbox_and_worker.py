"""The outbox: claims with leases, retries with backoff, dead jobs and re-runs."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.db.tables_delivery import DEAD, DONE, PENDING, Outbox
from pacetrack.engine.retry_policy import Dead, Done, Outcome, RetryAt
from pacetrack.services.tenants import create_tenant
from pacetrack.worker import JobUnit, Worker


def _tenant(container: Container) -> uuid.UUID:
    with container.uow() as uow:
        return create_tenant(uow, name="Jobs", slug=f"jobs-{uuid.uuid4().hex[:6]}").id


def _enqueue(container: Container, tenant_id: uuid.UUID, kind: str, n: int = 1) -> list[uuid.UUID]:
    with container.uow() as uow:
        ids = [
            outbox.enqueue(
                uow.session, tenant_id=tenant_id, kind=kind, payload={"n": i}, now=uow.clock.now()
            )
            for i in range(n)
        ]
        uow.commit()
    return ids


def _claim(container: Container, worker_id: str, limit: int = 10) -> list[Job]:
    now = container.clock.now()
    with container.uow() as uow:
        jobs = outbox.claim(
            uow.session,
            worker_id=worker_id,
            now=now,
            lease_until=now + timedelta(seconds=30),
            limit=limit,
        )
        uow.commit()
    return jobs


def _rows(container: Container) -> dict[uuid.UUID, Outbox]:
    with container.uow() as uow:
        rows = {row.id: row for row in uow.session.scalars(select(Outbox))}
        uow.session.expunge_all()
        return rows


def test_a_claimed_job_is_not_claimed_again_until_its_lease_ends(
    container: Container, clock: FrozenClock
) -> None:
    tenant_id = _tenant(container)
    (job_id,) = _enqueue(container, tenant_id, "test.job")

    first = _claim(container, "a")
    assert [job.id for job in first] == [job_id]
    assert _claim(container, "b") == []

    clock.advance(timedelta(seconds=31))
    taken_over = _claim(container, "b")
    assert [job.id for job in taken_over] == [job_id]
    assert taken_over[0].attempts == 2
    with container.uow() as uow:
        assert not outbox.complete(uow.session, job=first[0], worker_id="a", now=clock.now())
        assert outbox.complete(uow.session, job=taken_over[0], worker_id="b", now=clock.now())
        uow.commit()
    assert _rows(container)[job_id].status == DONE


def test_the_heartbeat_keeps_a_lease_alive(container: Container, clock: FrozenClock) -> None:
    tenant_id = _tenant(container)
    _enqueue(container, tenant_id, "test.job")
    (job,) = _claim(container, "a")
    clock.advance(timedelta(seconds=20))
    with container.uow() as uow:
        extended = outbox.extend_leases(
            uow.session,
            keys=[(job.tenant_id, job.id)],
            worker_id="a",
            until=clock.now() + timedelta(seconds=30),
        )
        uow.commit()
    assert extended == 1
    clock.advance(timedelta(seconds=20))
    assert _claim(container, "b") == []


def test_the_worker_performs_due_jobs_and_marks_them_done(container: Container) -> None:
    tenant_id = _tenant(container)
    ids = _enqueue(container, tenant_id, "test.job", 3)
    seen: list[int] = []

    def handler(unit: JobUnit, job: Job) -> Outcome:
        seen.append(job.payload["n"])
        return Done()

    worker = Worker(container, handlers={"test.job": handler}, mailer=None)
    assert worker.drain() == 3
    assert sorted(seen) == [0, 1, 2]
    assert {_rows(container)[i].status for i in ids} == {DONE}


def test_a_failing_job_backs_off_then_dies_after_the_limit_and_can_be_rerun(
    container: Container, clock: FrozenClock
) -> None:
    tenant_id = _tenant(container)
    (job_id,) = _enqueue(container, tenant_id, "test.flaky")
    failures = {"left": 10}

    def flaky(unit: JobUnit, job: Job) -> Outcome:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("receiver down")
        return Done()

    settings = container.settings
    max_attempts = settings.worker_max_attempts
    worker = Worker(container, handlers={"test.flaky": flaky}, mailer=None, rng=lambda: 0.5)
    delays = []
    for attempt in range(1, max_attempts + 1):
        assert worker.run_once() == 1
        row = _rows(container)[job_id]
        assert row.attempts == attempt
        assert row.last_error == "RuntimeError: receiver down"
        if attempt < max_attempts:
            assert row.status == PENDING
            delay = row.available_at - clock.now()
            delays.append(delay)
            assert worker.run_once() == 0  # not before its backoff
            clock.advance(delay)
    assert delays == [
        timedelta(
            seconds=min(
                settings.worker_retry_cap_seconds, settings.worker_retry_base_seconds * 2**i
            )
        )
        for i in range(max_attempts - 1)
    ]
    assert _rows(container)[job_id].status == DEAD
    clock.advance(timedelta(days=1))
    assert worker.run_once() == 0

    failures["left"] = 0
    with container.uow() as uow:
        assert outbox.rerun_dead(uow.session, now=clock.now(), ids=[job_id]) == 1
        uow.commit()
    assert worker.run_once() == 1
    assert _rows(container)[job_id].status == DONE


def test_a_job_without_a_handler_is_dead_with_the_reason(container: Container) -> None:
    tenant_id = _tenant(container)
    (job_id,) = _enqueue(container, tenant_id, "nobody.handles")
    Worker(container, handlers={}, mailer=None).drain()
    row = _rows(container)[job_id]
    assert row.status == DEAD
    assert row.last_error == "no handler for job kind “nobody.handles”"


def test_a_stopping_worker_hands_back_the_jobs_it_did_not_start(container: Container) -> None:
    tenant_id = _tenant(container)
    ids = _enqueue(container, tenant_id, "test.job", 3)
    worker = Worker(container, handlers={}, mailer=None)

    def stop_after_first(unit: JobUnit, job: Job) -> Outcome:
        worker.request_stop()
        return Done()

    worker.handlers["test.job"] = stop_after_first
    assert worker.process_batch() == 1
    rows = _rows(container)
    assert sorted(rows[i].status for i in ids) == [DONE, PENDING, PENDING]
    assert sorted(rows[i].attempts for i in ids) == [0, 0, 1]
    assert all(rows[i].locked_by is None for i in ids)


def test_a_handler_returns_a_retry_at_a_chosen_time_or_a_dead_outcome(
    container: Container, clock: FrozenClock
) -> None:
    tenant_id = _tenant(container)
    later_id, dead_id = _enqueue(container, tenant_id, "test.decide", 2)
    when = clock.now() + timedelta(minutes=7)

    def decide(unit: JobUnit, job: Job) -> Outcome:
        if job.payload["n"] == 0:
            return RetryAt(when, "receiver said 503")
        return Dead("receiver said 400")

    worker = Worker(container, handlers={"test.decide": decide}, mailer=None)
    assert worker.drain() == 2
    later, dead = _rows(container)[later_id], _rows(container)[dead_id]
    assert (later.status, later.available_at, later.last_error) == (
        PENDING,
        when,
        "receiver said 503",
    )
    assert later.locked_by is None
    assert (dead.status, dead.last_error) == (DEAD, "receiver said 400")
    clock.set(when)
    assert [job.id for job in _claim(container, "next")] == [later_id]
