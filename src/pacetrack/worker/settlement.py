"""Writing a job's outcome to its outbox row: the only code that ends a job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.engine.retry_policy import MAX_REASON, Done, Outcome, RetryAt


def settle(session: Session, *, job: Job, outcome: Outcome, worker_id: str, now: datetime) -> bool:
    """Done, retry at a time, or dead, in ``session``'s transaction; False when the lease
    was lost (another worker now owns the job, and the caller must roll back)."""
    if isinstance(outcome, Done):
        return outbox.complete(session, job=job, worker_id=worker_id, now=now)
    if isinstance(outcome, RetryAt):
        return outbox.retry_later(
            session, job=job, worker_id=worker_id, at=outcome.at, error=outcome.reason[:MAX_REASON]
        )
    return outbox.bury(
        session, job=job, worker_id=worker_id, now=now, error=outcome.reason[:MAX_REASON]
    )
