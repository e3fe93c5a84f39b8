"""The network-job contract: prepare, send outside any transaction, record; each outcome lands.

A handler of the test's own writes an outbox row (kind ``test.written``) in
``prepare`` and in ``record``, so the test can see which writes were
committed with which outcome.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.db.tables_delivery import DEAD, DONE, PENDING, Outbox
from pacetrack.engine.retry_policy import DONE as DONE_OUTCOME
from pacetrack.engine.retry_policy import Dead, Outcome, RetryAt
from pacetrack.services.tenants import create_tenant
from pacetrack.worker import Clients, JobUnit, Worker

KIND = "test.network"
LATER = timedelta(minutes=7)


@dataclass
class Scripted:
    """Ends in ``prepare`` or ``record`` with the outcome the payload names."""

    clock: FrozenClock
    sent: list[uuid.UUID] = field(default_factory=list)

    def _write(self, unit: JobUnit, job: Job, step: str) -> None:
        outbox.enqueue(
            unit.session,
            tenant_id=job.tenant_id,
            kind="test.written",
            payload={"job": str(job.id), "step": step},
            now=self.clock.now(),
        )

    def _outcome(self, name: str) -> Outcome:
        if name == "done":
            return DONE_OUTCOME
        if name == "retry":
            return RetryAt(self.clock.now() + LATER, "receiver said 503")
        return Dead("receiver said 400")

    def prepare(self, unit: JobUnit, job: Job) -> str | Outcome:
        self._write(unit, job, "prepare")
        if job.payload["where"] == "prepare":
            return self._outcome(job.payload["outcome"])
        return "request"

    async def send(self, prepared: str, clients: Clients) -> str:
        if prepared != "request":
            raise AssertionError("send got what prepare did not return")
        return "response"

    def record(self, unit: JobUnit, job: Job, prepared: str, result: str) -> Outcome:
        self._write(unit, job, "record")
        if job.payload.get("raise"):
            raise RuntimeError("the record step broke")
        return self._outcome(job.payload["outcome"])


def _enqueue(container: Container, **payload: object) -> uuid.UUID:
    with container.uow() as uow:
        tenant_id = create_tenant(uow, name="Net", slug=f"net-{uuid.uuid4().hex[:6]}").id
    with container.uow() as uow:
        job_id = outbox.enqueue(
            uow.session, tenant_id=tenant_id, kind=KIND, payload=payload, now=uow.clock.now()
        )
        uow.commit()
    return job_id


def _row(container: Container, job_id: uuid.UUID) -> tuple[str, datetime, str | None]:
    with container.uow() as uow:
        row = uow.session.scalars(select(Outbox).where(Outbox.id == job_id)).one()
        return row.status, row.available_at, row.last_error


def _written(container: Container) -> list[str]:
    with container.uow() as uow:
        payloads = uow.session.scalars(select(Outbox.payload).where(Outbox.kind == "test.written"))
        return sorted(str(p["step"]) for p in payloads)


@pytest.mark.parametrize(
    ("where", "outcome", "status", "error"),
    [
        ("record", "done", DONE, None),
        ("record", "retry", PENDING, "receiver said 503"),
        ("record", "dead", DEAD, "receiver said 400"),
        ("prepare", "dead", DEAD, "receiver said 400"),
        ("prepare", "retry", PENDING, "receiver said 503"),
    ],
)
def test_each_outcome_is_written_with_the_steps_own_writes(
    container: Container,
    clock: FrozenClock,
    where: str,
    outcome: str,
    status: str,
    error: str | None,
) -> None:
    job_id = _enqueue(container, where=where, outcome=outcome)
    worker = Worker(container, handlers={KIND: Scripted(clock)}, mailer=None)
    assert worker.process_batch() == 1
    row_status, available_at, last_error = _row(container, job_id)
    assert (row_status, last_error) == (status, error)
    if outcome == "retry":
        assert available_at == clock.now() + LATER
    assert _written(container) == (["prepare"] if where == "prepare" else ["prepare", "record"])


def test_a_record_step_that_raises_keeps_none_of_its_writes_and_backs_off(
    container: Container, clock: FrozenClock
) -> None:
    job_id = _enqueue(container, where="record", outcome="done", **{"raise": True})
    worker = Worker(container, handlers={KIND: Scripted(clock)}, mailer=None, rng=lambda: 0.5)
    assert worker.process_batch() == 1
    status, available_at, last_error = _row(container, job_id)
    assert status == PENDING
    assert last_error == "RuntimeError: the record step broke"
    assert available_at == clock.now() + timedelta(
        seconds=container.settings.worker_retry_base_seconds
    )
    assert _written(container) == ["prepare"]  # prepare committed alone; record's write is gone
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Outbox)) == 2


def test_network_jobs_run_when_the_calling_thread_already_runs_an_event_loop(
    container: Container, clock: FrozenClock
) -> None:
    # An embedding application (or a test browser's sync driver) may call the worker from a
    # thread whose event loop is running; the network loop must be the worker's own.
    job_id = _enqueue(container, where="record", outcome="done")
    worker = Worker(container, handlers={KIND: Scripted(clock)}, mailer=None)

    async def inside_a_running_loop() -> int:
        return worker.process_batch()

    # In a thread of its own, whatever loop the test process itself may be running.
    with ThreadPoolExecutor(max_workers=1) as thread:
        performed = thread.submit(asyncio.run, inside_a_running_loop()).result(timeout=60)

    assert performed == 1
    assert _row(container, job_id)[0] == DONE
    assert _written(container) == ["prepare", "record"]
