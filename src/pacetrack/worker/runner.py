"""The worker loop: fire due timers, claim outbox jobs, perform them, settle them.

One worker claims a batch of due jobs at a time (``worker_batch_size``) and
performs it in two parts (``worker.contract``):

- the database jobs of the batch in the transaction that claims them, so the
  claim, the jobs' writes and their outcomes are one commit. The jobs of a kind
  with a set-wise handler (``handlers.SET_HANDLERS``: notification firing) are
  performed together, optimistically, without a savepoint, and settled in one
  statement; the other database jobs each get a savepoint (a job that raises is
  rolled back to it and retried alone). When anything outside a job's savepoint
  fails (a set-wise handler, the commit), the whole transaction is rolled back,
  which undoes the claim too, and a batch is claimed again in a transaction of
  its own and performed the careful way: each job in a savepoint of its own, and
  if that batch's commit fails, each job in a transaction of its own;
- the network jobs, after that commit, concurrently (``worker.network``): the
  jobs of one endpoint in one read transaction, the requests outside any
  transaction, and one record transaction.

Run more worker processes to go faster (on PostgreSQL they share the work
through ``SKIP LOCKED``: a claiming transaction's rows are locked until it
commits, so the others pass over them). On PostgreSQL a committed enqueue wakes idle workers
at once (``db.wakeup``: ``LISTEN``/``NOTIFY``); the poll every
``worker_poll_seconds`` (0.5 s by default, one indexed query each for timers
and jobs) stays as the fallback, and is how due timers and retries are found.
While a backlog keeps every batch full, due timers are looked for once per poll
interval rather than before every batch. A heartbeat thread extends the leases
of claims committed before their jobs end (network jobs, the careful path) every
third of a lease, so leases stay short (10 s) and a killed worker's claims are
taken over soon; a killed worker's uncommitted claims come back at once.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Literal

from pacetrack.adapters.smtp import SmtpMailer
from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.db.wakeup import OutboxListener
from pacetrack.engine.retry_policy import OUTCOME_TYPES, Backoff, Done
from pacetrack.services.side_effects import fire_due_timers
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.worker.contract import AnyHandler, Clients, JobUnit, is_network
from pacetrack.worker.database_jobs import DatabaseJobs, error_text
from pacetrack.worker.handlers import HANDLERS
from pacetrack.worker.leases import LeaseKeeper
from pacetrack.worker.network import NetworkRunner

logger = logging.getLogger("pacetrack.worker")

TIMER_BATCH = 500


class LeaseLost(Exception):
    """Another worker now owns a job of a transaction performing several."""


class Worker(DatabaseJobs):
    """Performs outbox jobs and fires timers; ``run_once``/``drain`` drive it in tests."""

    def __init__(
        self,
        container: Container,
        *,
        handlers: Mapping[str, AnyHandler] | None = None,
        mailer: SmtpMailer | Literal["from_settings"] | None = "from_settings",
        worker_id: str | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.container = container
        self.settings = container.settings
        self.handlers = dict(HANDLERS if handlers is None else handlers)
        self.mailer = container.mailer() if mailer == "from_settings" else mailer
        self.clients = Clients(mailer=self.mailer, tokens=container.caches.oauth_tokens)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.rng = rng or random.random
        self.backoff = Backoff(
            base_seconds=self.settings.worker_retry_base_seconds,
            cap_seconds=self.settings.worker_retry_cap_seconds,
            max_attempts=self.settings.worker_max_attempts,
        )
        self.stop_requested = threading.Event()
        self.wake = threading.Event()
        """Set when there may be new work: a notification, or a stop request."""
        self.idle = threading.Event()
        """Set while the worker waits for work (nothing was due in its last round)."""
        self.listener = OutboxListener(container.engine, self.wake)
        self.leases = LeaseKeeper(container, worker_id=self.worker_id)
        self._network: NetworkRunner | None = None
        self._running = False
        """True inside ``run``: the network loop and its connections stay open between
        batches; otherwise they are closed after each batch's network jobs."""
        self._busy = False
        """True while the last batch was full: a backlog is being worked off."""
        self._timers_checked_at = float("-inf")
        """When due timers were last looked for (``time.monotonic``)."""

    # --- one round --------------------------------------------------------------------------

    def run_once(self) -> int:
        """Fires due timers, then performs one batch of due jobs; returns how much was done.

        While every batch is full, timers are looked for once per poll interval; a round
        whose batch is not full always looks, so ``drain`` never ends before it has."""
        looked = not self._busy or self._timer_check_due()
        fired = self.fire_timers() if looked else 0
        performed = self.process_batch()
        self._busy = performed >= self.settings.worker_batch_size
        if not looked and not self._busy:
            fired += self.fire_timers()
        return fired + performed

    def _timer_check_due(self) -> bool:
        return time.monotonic() - self._timers_checked_at >= self.settings.worker_poll_seconds

    def drain(self, *, max_rounds: int = 10_000) -> int:
        """Repeats ``run_once`` until nothing is due (tests, ``worker --drain``)."""
        total = 0
        for _ in range(max_rounds):
            done = self.run_once()
            total += done
            if done == 0 or self.stop_requested.is_set():
                break
        return total

    def fire_timers(self) -> int:
        self._timers_checked_at = time.monotonic()
        fired = 0
        while not self.stop_requested.is_set():
            with self.container.uow() as uow:
                count = fire_due_timers(uow, limit=TIMER_BATCH)
            fired += count
            if count < TIMER_BATCH:
                break
        return fired

    # --- one batch ----------------------------------------------------------------------------

    def claim(self) -> list[Job]:
        """Claims a batch in a transaction of its own: the leases are committed."""
        with self.container.uow() as uow:
            jobs = self._claim_in(uow)
            uow.commit()
        return jobs

    def _claim_in(self, uow: UnitOfWork) -> list[Job]:
        now = self.container.clock.now()
        return outbox.claim(
            uow.session,
            worker_id=self.worker_id,
            now=now,
            lease_until=now + timedelta(seconds=self.settings.worker_lease_seconds),
            limit=self.settings.worker_batch_size,
        )

    def process_batch(self) -> int:
        """Claims a batch and performs it: its database jobs in the claiming transaction,
        then its network jobs. When that transaction fails it is rolled back, claim and
        all, and a batch is claimed again and performed the careful way."""
        try:
            jobs, performed = self._claim_and_perform()
        except Exception as exc:
            logger.warning("a batch failed in one transaction (%s); a savepoint per job", exc)
            return self.perform_claimed(self.claim())
        network = [job for job in jobs if self._is_network(job)]
        if network:
            with self.leases.kept(network):
                performed += self._perform_or_release(network)
        return performed

    def _claim_and_perform(self) -> tuple[list[Job], int]:
        with self.container.uow() as uow:
            jobs = self._claim_in(uow)
            database = [job for job in jobs if not self._is_network(job)]
            if not database:
                uow.commit()  # the network jobs' claims
                return jobs, 0
            started = time.monotonic()
            performed = self.perform_in(uow, database, optimistic=True)
            network = [job for job in jobs if self._is_network(job)]
            if network and time.monotonic() - started > self.settings.worker_lease_seconds / 3:
                # Their leases were counted from the claim; they start after the commit.
                self.extend_leases_in(uow.session, network)
            uow.commit()
        return jobs, performed

    def perform_claimed(self, jobs: Sequence[Job]) -> int:
        """Performs jobs whose claim is committed, the careful way: database jobs in one
        transaction, a savepoint each, then network jobs, their leases kept meanwhile."""
        if not jobs:
            return 0
        with self.leases.kept(jobs):
            database = [job for job in jobs if not self._is_network(job)]
            performed = self.perform_database_batch(database, set_wise=False)
            network = [job for job in jobs if self._is_network(job)]
            return performed + self._perform_or_release(network)

    def _perform_or_release(self, network: Sequence[Job]) -> int:
        if not network:
            return 0
        if self.stop_requested.is_set():
            self.release(network)
            return 0
        return self.perform_network(network)

    def _is_network(self, job: Job) -> bool:
        handler = self.handlers.get(job.kind)
        return handler is not None and is_network(handler)

    def perform_database_batch(self, jobs: Sequence[Job], *, set_wise: bool = True) -> int:
        """Performs claimed database jobs in one transaction, a savepoint each (set-wise
        kinds in one savepoint when ``set_wise``); if its commit fails, one transaction
        each. Returns how many were performed."""
        if not jobs:
            return 0
        try:
            with self.container.uow() as uow:
                performed = self.perform_in(uow, jobs, optimistic=False, set_wise=set_wise)
                uow.commit()
        except Exception:
            logger.exception("a batch of %d jobs failed; performing them one by one", len(jobs))
            performed = 0
            for index, job in enumerate(jobs):
                if self.stop_requested.is_set():
                    self.release(jobs[index:])
                    break
                self.perform(job)
                performed += 1
        self.leases.done(jobs)
        return performed

    # --- one job ------------------------------------------------------------------------------

    def perform(self, job: Job) -> None:
        """Performs one job in transactions of its own."""
        if self._is_network(job):
            self.perform_network([job])
            return
        try:
            with self.container.uow() as uow:
                self.perform_in_savepoint(uow, job)
                uow.commit()
        except Exception as exc:
            logger.warning("job %s (%s) could not be committed: %s", job.id, job.kind, exc)
            self.fail(job, error_text(exc))

    # --- network jobs -------------------------------------------------------------------------

    def perform_network(self, jobs: Sequence[Job]) -> int:
        """Performs network jobs concurrently (``worker.network``); returns how many started."""
        pairs = [(job, self.handlers[job.kind]) for job in jobs]
        try:
            return self._network_runner().perform(pairs)  # type: ignore[arg-type]
        finally:
            if not self._running:
                self.close()

    def _network_runner(self) -> NetworkRunner:
        if self._network is None:
            clients = replace(self.clients, http=self.container.outbound_pool())
            self._network = NetworkRunner(
                self,
                clients,
                concurrency=self.settings.worker_network_concurrency,
                per_endpoint=self.settings.worker_endpoint_concurrency,
            )
        return self._network

    def close(self) -> None:
        """Closes the kept connections (HTTP, SMTP) and the network loop."""
        if self._network is not None:
            network, self._network = self._network, None
            network.close()

    def stopping(self) -> bool:
        return self.stop_requested.is_set()

    def transact(self, job: Job, step: Callable[[JobUnit], object]) -> tuple[bool, object]:
        """Runs ``step`` in a transaction of the worker's; (True, None) when the job ended
        there (an outcome, or a failure), else (False, what the step returned)."""
        try:
            with self.container.uow() as uow:
                value = step(self.unit(uow, job))
                uow.flush()
                if isinstance(value, OUTCOME_TYPES):
                    if self.settle_in(uow.session, job, value):
                        uow.commit()
                    return True, None
                uow.commit()
                return False, value
        except Exception as exc:
            logger.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, exc)
            self.fail(job, error_text(exc))
            return True, None

    def transact_all(
        self, steps: Sequence[tuple[Job, Callable[[JobUnit], object]]]
    ) -> list[tuple[bool, object]]:
        """``transact`` for many jobs (one endpoint's) in one transaction: one commit, one
        lock of the endpoint's row, the done jobs settled in one statement. When anything
        fails there (a step raising, a lost lease, the commit), it is all rolled back and
        each job gets ``transact`` of its own, so a failure stays that job's."""
        if len(steps) > 1:
            try:
                return self._transact_together(steps)
            except Exception as exc:
                logger.info("%d jobs in one transaction failed (%s); one by one", len(steps), exc)
        return [self.transact(job, step) for job, step in steps]

    def _transact_together(
        self, steps: Sequence[tuple[Job, Callable[[JobUnit], object]]]
    ) -> list[tuple[bool, object]]:
        results: list[tuple[bool, object]] = []
        done: list[Job] = []
        together = [job for job, _ in steps]
        with self.container.uow() as uow:
            for job, step in steps:
                value = step(self.unit(uow, job, together=together))
                if isinstance(value, Done):
                    done.append(job)
                elif isinstance(value, OUTCOME_TYPES) and not self.settle_in(
                    uow.session, job, value
                ):
                    raise LeaseLost(f"job {job.id} is no longer this worker's")
                results.append((True, None) if isinstance(value, OUTCOME_TYPES) else (False, value))
            uow.flush()
            if done:
                settled = outbox.complete_all(
                    uow.session, jobs=done, worker_id=self.worker_id, now=self.container.clock.now()
                )
                if settled != len(done):
                    raise LeaseLost(f"{len(done) - settled} jobs are no longer this worker's")
            uow.commit()
        return results

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> None:
        """Works until ``request_stop``; finishes the job in hand and hands back the rest."""
        logger.info("worker %s started", self.worker_id)
        self.listener.start()
        self._running = True
        try:
            while not self.stop_requested.is_set():
                self.wake.clear()
                try:
                    done = self.run_once()
                except Exception:
                    logger.exception("worker round failed; retrying after a pause")
                    done = 0
                if done == 0:
                    self.idle.set()
                    self.wake.wait(self.settings.worker_poll_seconds)
                    self.idle.clear()
        finally:
            self._running = False
            self.listener.stop()
            self.close()
        logger.info("worker %s stopped", self.worker_id)

    def request_stop(self) -> None:
        self.stop_requested.set()
        self.wake.set()
