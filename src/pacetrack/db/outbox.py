"""Writing, claiming and settling outbox jobs.

Claiming is one ``UPDATE … RETURNING`` over a sub-select of due rows. On
PostgreSQL the sub-select takes ``FOR UPDATE SKIP LOCKED``, so concurrent
workers pass over each other's rows instead of queueing on them. SQLite has
no row locks (SQLAlchemy drops ``FOR UPDATE`` there); its transactions begin
``IMMEDIATE`` (``db.session``), so claims are serialised by the write lock.

A claim is a lease: ``locked_until`` and ``available_at`` are both set to the
lease end. A running row whose lease has passed therefore satisfies the same
"due" condition as new work and is claimed again by whoever comes next: a
killed worker's jobs come back without a sweeper. Every settling statement
checks ``locked_by``, so a worker that lost its lease cannot settle a job
another worker now owns.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, tuple_, update
from sqlalchemy.orm import Session

from pacetrack.db.tables_delivery import DEAD, DONE, PENDING, RUNNING, Outbox


@dataclass(frozen=True, kw_only=True)
class Job:
    """A claimed outbox row."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    kind: str
    payload: Mapping[str, Any]
    attempts: int
    """Attempts so far, this one included."""
    created_at: datetime


def job_values(
    *,
    tenant_id: uuid.UUID,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    available_at: datetime | None = None,
    id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A pending job's column values, for the caller to insert (with others, in one insert)."""
    return {
        "tenant_id": tenant_id,
        "id": id or uuid.uuid4(),
        "kind": kind,
        "payload": dict(payload),
        "status": PENDING,
        "attempts": 0,
        "available_at": available_at or now,
        "created_at": now,
    }


def enqueue(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    available_at: datetime | None = None,
    id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Adds a pending job to the caller's transaction and returns its id."""
    row = Outbox(
        **job_values(
            tenant_id=tenant_id,
            kind=kind,
            payload=payload,
            now=now,
            available_at=available_at,
            id=id,
        )
    )
    session.add(row)
    return row.id


def _due(now: datetime) -> Any:
    return and_(Outbox.status.in_((PENDING, RUNNING)), Outbox.available_at <= now)


def claim(
    session: Session,
    *,
    worker_id: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    kinds: Sequence[str] | None = None,
) -> list[Job]:
    """Leases up to ``limit`` due jobs to ``worker_id``, oldest due first."""
    candidates = (
        select(Outbox.tenant_id, Outbox.id)
        .where(_due(now))
        .order_by(Outbox.available_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if kinds is not None:
        candidates = candidates.where(Outbox.kind.in_(kinds))
    statement = (
        update(Outbox)
        .where(tuple_(Outbox.tenant_id, Outbox.id).in_(candidates.scalar_subquery()))
        .values(
            status=RUNNING,
            attempts=Outbox.attempts + 1,
            locked_by=worker_id,
            locked_until=lease_until,
            available_at=lease_until,
        )
        .returning(
            Outbox.tenant_id,
            Outbox.id,
            Outbox.kind,
            Outbox.payload,
            Outbox.attempts,
            Outbox.created_at,
        )
        .execution_options(synchronize_session=False)
    )
    jobs = [
        Job(
            tenant_id=row.tenant_id,
            id=row.id,
            kind=row.kind,
            payload=row.payload,
            attempts=row.attempts,
            created_at=row.created_at,
        )
        for row in session.execute(statement)
    ]
    jobs.sort(key=lambda job: job.created_at)
    return jobs


def _owned(job: Job, worker_id: str) -> Any:
    return and_(
        Outbox.tenant_id == job.tenant_id,
        Outbox.id == job.id,
        Outbox.status == RUNNING,
        Outbox.locked_by == worker_id,
    )


def complete(session: Session, *, job: Job, worker_id: str, now: datetime) -> bool:
    """Marks the job done; False when the lease was lost to another worker."""
    return complete_all(session, jobs=[job], worker_id=worker_id, now=now) == 1


def complete_all(session: Session, *, jobs: Sequence[Job], worker_id: str, now: datetime) -> int:
    """Marks the jobs done in one statement; how many the worker still owned."""
    result = session.execute(
        update(Outbox)
        .where(
            tuple_(Outbox.tenant_id, Outbox.id).in_([(job.tenant_id, job.id) for job in jobs]),
            Outbox.status == RUNNING,
            Outbox.locked_by == worker_id,
        )
        .values(status=DONE, done_at=now, locked_until=None, locked_by=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def retry_later(session: Session, *, job: Job, worker_id: str, at: datetime, error: str) -> bool:
    result = session.execute(
        update(Outbox)
        .where(_owned(job, worker_id))
        .values(
            status=PENDING, available_at=at, locked_until=None, locked_by=None, last_error=error
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def bury(session: Session, *, job: Job, worker_id: str, now: datetime, error: str) -> bool:
    """Gives up on the job: ``dead`` rows stay visible until re-run."""
    result = session.execute(
        update(Outbox)
        .where(_owned(job, worker_id))
        .values(status=DEAD, done_at=now, locked_until=None, locked_by=None, last_error=error)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def release(session: Session, *, jobs: Sequence[Job], worker_id: str, now: datetime) -> None:
    """Hands claimed jobs that were never started back, without counting an attempt."""
    for job in jobs:
        session.execute(
            update(Outbox)
            .where(_owned(job, worker_id))
            .values(
                status=PENDING,
                attempts=Outbox.attempts - 1,
                available_at=now,
                locked_until=None,
                locked_by=None,
            )
            .execution_options(synchronize_session=False)
        )


def extend_leases(
    session: Session,
    *,
    keys: Sequence[tuple[uuid.UUID, uuid.UUID]],
    worker_id: str,
    until: datetime,
) -> int:
    """The heartbeat: pushes the lease of the worker's running jobs to ``until``.

    Rows another transaction holds locked are skipped (``SKIP LOCKED``): they are
    the worker's own batch settling them right now, and waiting for them while
    holding the locks of the batch's later rows could deadlock with it.
    """
    if not keys:
        return 0
    running = (
        select(Outbox.tenant_id, Outbox.id)
        .where(
            tuple_(Outbox.tenant_id, Outbox.id).in_(list(keys)),
            Outbox.status == RUNNING,
            Outbox.locked_by == worker_id,
        )
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        update(Outbox)
        .where(tuple_(Outbox.tenant_id, Outbox.id).in_(running.scalar_subquery()))
        .values(locked_until=until, available_at=until)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def rerun_dead(
    session: Session,
    *,
    now: datetime,
    tenant_id: uuid.UUID | None = None,
    ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Puts dead jobs back to pending with a fresh attempt count."""
    statement = update(Outbox).where(Outbox.status == DEAD)
    if tenant_id is not None:
        statement = statement.where(Outbox.tenant_id == tenant_id)
    if ids is not None:
        statement = statement.where(Outbox.id.in_(list(ids)))
    result = session.execute(
        statement.values(
            status=PENDING, attempts=0, available_at=now, done_at=None
        ).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def next_due_at(session: Session) -> datetime | None:
    """When the earliest waiting job becomes due (``None`` when there is none)."""
    return session.scalar(
        select(func.min(Outbox.available_at)).where(Outbox.status.in_((PENDING, RUNNING)))
    )


def counts(session: Session) -> dict[str, int]:
    """Jobs per status (for operators and tests)."""
    return {
        status: int(count)
        for status, count in session.execute(
            select(Outbox.status, func.count()).group_by(Outbox.status)
        )
    }
