"""Database jobs of a batch in one transaction: set-wise kinds together, others a savepoint each.

Two ways, both in the caller's transaction (``worker.runner`` owns it):

- **optimistic** (``perform_in(..., optimistic=True)``), in the transaction that
  claimed the jobs: the jobs of a kind with a set-wise handler are performed
  together with no savepoint and settled in one statement. Anything failing there
  raises, the caller rolls the whole transaction back (its claim too) and claims
  again the careful way. A savepoint would cost two round trips per batch that
  nearly every batch wastes; on PostgreSQL a failed statement leaves the
  transaction unusable anyway, so only a savepoint or the whole rollback can
  recover it.
- **careful** (``optimistic=False``), for jobs whose claim is committed: set-wise
  kinds in one savepoint when asked (``set_wise``), and when that fails, or for
  the other kinds, each job in a savepoint of its own, so a job that raises is
  rolled back to it and retried alone.

In both, a job of a kind without a set-wise handler gets its own savepoint: its
handler may raise after writing, and only its own writes may be rolled back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.engine.retry_policy import MAX_REASON, Backoff, Dead, Outcome, RandomSource
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.settings import Settings
from pacetrack.worker.contract import (
    AnyHandler,
    BatchUnit,
    Clients,
    JobUnit,
    SetHandler,
    checked_outcome,
)
from pacetrack.worker.handlers import SET_HANDLERS
from pacetrack.worker.settlement import settle

logger = logging.getLogger("pacetrack.worker")


class SetWiseFailed(Exception):
    """The set-wise jobs of an optimistic batch could not be performed together."""


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_REASON]


class DatabaseJobs:
    """The worker's database-job side; ``worker.runner.Worker`` sets these attributes."""

    container: Container
    settings: Settings
    handlers: dict[str, AnyHandler]
    clients: Clients
    worker_id: str
    backoff: Backoff
    rng: RandomSource
    stop_requested: threading.Event

    def perform_in(
        self, uow: UnitOfWork, jobs: Sequence[Job], *, optimistic: bool, set_wise: bool = True
    ) -> int:
        """Performs ``jobs`` (database jobs) in ``uow``'s transaction; returns how many.
        A stop request hands the rest back. Optimistic: raises when the set-wise part fails."""
        one_by_one: list[Job] = []
        groups = self._set_wise_groups(jobs, one_by_one) if set_wise else []
        if not set_wise:
            one_by_one.extend(jobs)
        performed = 0
        for set_handler, group in groups:
            if self.stop_requested.is_set():
                self._release_in(uow.session, [*group, *one_by_one])
                return performed
            if optimistic:
                self._perform_together(uow, set_handler, group, optimistic=True)
                performed += len(group)
            elif self._perform_set_wise(uow, set_handler, group):
                performed += len(group)
            else:
                one_by_one.extend(group)
        for index, job in enumerate(one_by_one):
            if self.stop_requested.is_set():
                self._release_in(uow.session, one_by_one[index:])
                return performed + index
            self.perform_in_savepoint(uow, job)
        return performed + len(one_by_one)

    def _set_wise_groups(
        self, jobs: Sequence[Job], one_by_one: list[Job]
    ) -> list[tuple[SetHandler, list[Job]]]:
        """The jobs whose handler has a set-wise form, by kind; the others go to ``one_by_one``."""
        groups: dict[str, tuple[SetHandler, list[Job]]] = {}
        for job in jobs:
            set_handler = SET_HANDLERS.get(self.handlers.get(job.kind))
            if set_handler is None:
                one_by_one.append(job)
            else:
                groups.setdefault(job.kind, (set_handler, []))[1].append(job)
        return list(groups.values())

    def _perform_together(
        self, uow: UnitOfWork, set_handler: SetHandler, jobs: list[Job], *, optimistic: bool
    ) -> None:
        """Performs ``jobs`` together and settles them done; raises on failure."""
        unit = BatchUnit(uow, settings=self.settings, clients=self.clients, optimistic=optimistic)
        set_handler(unit, jobs)
        uow.flush()
        settled = outbox.complete_all(
            uow.session, jobs=jobs, worker_id=self.worker_id, now=self.container.clock.now()
        )
        if settled != len(jobs):
            raise SetWiseFailed(f"{len(jobs) - settled} of {len(jobs)} jobs are no longer ours")

    def _perform_set_wise(self, uow: UnitOfWork, set_handler: SetHandler, jobs: list[Job]) -> bool:
        """``_perform_together`` in a savepoint; False (and nothing written) when a job
        failed or a lease was lost, for the one-by-one path."""
        savepoint = uow.session.begin_nested()
        try:
            self._perform_together(uow, set_handler, jobs, optimistic=False)
        except Exception as exc:
            savepoint.rollback()
            logger.info("%d %s jobs together failed (%s); one by one", len(jobs), jobs[0].kind, exc)
            return False
        savepoint.commit()
        return True

    def perform_in_savepoint(self, uow: UnitOfWork, job: Job) -> None:
        session = uow.session
        handler = self.handlers.get(job.kind)
        if handler is None:
            self.settle_in(session, job, Dead(f"no handler for job kind “{job.kind}”"))
            return
        unit = self.unit(uow, job)
        savepoint = session.begin_nested()
        try:
            outcome = checked_outcome(handler(unit, job))  # type: ignore[operator]
            unit.flush()
        except Exception as exc:
            savepoint.rollback()
            logger.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, exc)
            self.settle_in(session, job, unit.failed(error_text(exc)))
            return
        if self.settle_in(session, job, outcome):
            savepoint.commit()
        else:
            savepoint.rollback()  # the lease was lost: the job's new owner does the work

    def unit(self, uow: UnitOfWork, job: Job, *, together: Sequence[Job] = ()) -> JobUnit:
        return JobUnit(
            uow,
            job=job,
            together=together,
            settings=self.settings,
            clients=self.clients,
            backoff=self.backoff,
            rng=self.rng,
        )

    # --- settling -----------------------------------------------------------------------------

    def settle_in(self, session: Session, job: Job, outcome: Outcome) -> bool:
        """Writes ``outcome`` to the job's row; False when another worker now owns the job."""
        return settle(
            session,
            job=job,
            outcome=outcome,
            worker_id=self.worker_id,
            now=self.container.clock.now(),
        )

    def fail(self, job: Job, error: str) -> None:
        outcome = self.backoff.after_failure(
            job.attempts, reason=error, now=self.container.clock.now(), rng=self.rng
        )
        with self.container.uow() as uow:
            self.settle_in(uow.session, job, outcome)
            uow.commit()

    def release(self, jobs: Sequence[Job]) -> None:
        with self.container.uow() as uow:
            self._release_in(uow.session, jobs)
            uow.commit()

    def _release_in(self, session: Session, jobs: Sequence[Job]) -> None:
        outbox.release(session, jobs=jobs, worker_id=self.worker_id, now=self.container.clock.now())

    def extend_leases_in(self, session: Session, jobs: Sequence[Job]) -> None:
        outbox.extend_leases(
            session,
            keys=[(job.tenant_id, job.id) for job in jobs],
            worker_id=self.worker_id,
            until=self.container.clock.now()
            + timedelta(seconds=self.settings.worker_lease_seconds),
        )
