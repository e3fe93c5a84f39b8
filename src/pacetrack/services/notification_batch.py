"""Firing ``notification.fire`` jobs: every job of one worker batch together.

The worker's one-job path calls this too, with a batch of one, so the rows a
job writes (``notifications.notification_rows``) never depend on the path. A
few statements for the whole group: one read of the history rows already
written (a repeated job does nothing; left out in the worker's optimistic
transaction, see ``fire_notifications``), one read each of the items, steps,
pipelines, actors and step-history rows the jobs name (loaded into the
session, so each job's own look-ups find them there), the recipients,
pipeline access and preferences read once for each distinct set
(``notifications.BatchReads``), then one insert of every history row and one
per table of the rows that refer to them (in-app notifications, channel
outcomes, email jobs).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from pacetrack.db.outbox import Job
from pacetrack.db.tables import Account, Item, ItemStepHistory, PipelineInstance, Step
from pacetrack.db.tables_delivery import NotificationLog
from pacetrack.engine.ids import as_uuid
from pacetrack.services.notifications import (
    BatchReads,
    insert_rows,
    notification_rows,
)
from pacetrack.services.unit_of_work import UnitOfWork

Key = tuple[uuid.UUID, uuid.UUID]


def _load(session: Session, entity: Any, keys: Iterable[Key]) -> list[Any]:
    """The rows of ``entity`` with these (tenant, id) keys, in one statement; the
    caller holds the list so the session's identity map keeps them for ``get``."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return []
    return list(
        session.scalars(select(entity).where(tuple_(entity.tenant_id, entity.id).in_(wanted)))
    )


def _payload_keys(jobs: Sequence[Job], name: str) -> list[Key]:
    keys = []
    for job in jobs:
        value = as_uuid(job.payload.get(name))
        if value is not None:
            keys.append((job.tenant_id, value))
    return keys


def _already_logged(session: Session, jobs: Sequence[Job]) -> set[Key]:
    rows = session.execute(
        select(NotificationLog.tenant_id, NotificationLog.id).where(
            tuple_(NotificationLog.tenant_id, NotificationLog.id).in_(
                [(job.tenant_id, job.id) for job in jobs]
            )
        )
    )
    return {(row.tenant_id, row.id) for row in rows}


def fire_notifications(
    uow: UnitOfWork,
    jobs: Sequence[Job],
    *,
    base_url: str,
    email_enabled: bool,
    repeats_fail: bool = False,
) -> None:
    """Performs ``notification.fire`` jobs together in the caller's transaction; each ends
    done (a job whose history row exists already writes nothing). Raises as soon as
    one job cannot be performed: the caller then performs them one by one.

    ``repeats_fail``: the history rows already written are not looked for, so a job
    performed again fails the insert of its history row (a duplicate key) instead; for
    a caller that then performs the jobs again the careful way. A history row commits
    together with its job's done state, so a due job that has one is rare (a job put
    back by hand), while the look-up costs a statement in every batch."""
    if not jobs:
        return
    session = uow.session
    now = uow.clock.now()
    logged: set[Key] = set() if repeats_fail else _already_logged(session, jobs)
    fresh = [job for job in jobs if (job.tenant_id, job.id) not in logged]
    items: list[Item] = _load(session, Item, _payload_keys(fresh, "item_id"))
    step_keys = _payload_keys(fresh, "step_id")
    step_keys += [(item.tenant_id, item.current_step_id) for item in items if item.current_step_id]
    loaded = [
        items,
        _load(session, Step, step_keys),
        _load(session, PipelineInstance, [(i.tenant_id, i.pipeline_instance_id) for i in items]),
        _load(session, Account, _payload_keys(fresh, "actor_id")),
        _load(session, ItemStepHistory, _payload_keys(fresh, "history_id")),
    ]
    reads = BatchReads(uow)
    logs, rows = [], []
    for job in fresh:
        log, referring = notification_rows(
            session,
            reads,
            tenant_id=job.tenant_id,
            job_id=job.id,
            payload=job.payload,
            base_url=base_url,
            email_enabled=email_enabled,
            now=now,
        )
        logs.append(log)
        rows.extend(referring)
    insert_rows(session, [*logs, *rows])
    del loaded
