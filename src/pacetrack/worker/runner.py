"""The worker loop: fire due timers, claim outbox jobs, perform them, settle them.

One worker claims a batch of due jobs at a time (``worker_batch_size``) and
performs it in two parts (``worker.contract``):

- the database jobs of the batch in ONE transaction. The jobs of a kind with a
  set-wise handler (``handlers.SET_HANDLERS``: notification firing) are
  performed together and settled in one statement, in one savepoint; if that
  fails, the savepoint is rolled back and they join the others, each in a
  savepoint of its own: a job that raises is rolled back to its savepoint and
  retried alone, the others commit together with their outcomes. If the batch's commit itself
  fails, its jobs are performed again one transaction each;
- the network jobs one after another, each in a read transaction, the
  request outside any transaction, and a record transaction.

Run more worker processes to go faster (on PostgreSQL they share the work
through ``SKIP LOCKED``). On PostgreSQL a committed enqueue wakes idle workers
at once (``db.wakeup``: ``LISTEN``/``NOTIFY``); the poll every
``worker_poll_seconds`` (0.5 s by default, one indexed query each for timers
and jobs) stays as the fallback, and is how due timers and retries are found.
A heartbeat thread extends the batch's leases every third of a lease, so
leases stay short (10 s) and a killed worker's claims are taken over soon.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Literal

from sqlalchemy.orm import Session

from pacetrack.adapters.outbound_pool import OutboundPool
from pacetrack.adapters.smtp import SmtpConfig, SmtpMailer
from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.db.wakeup import OutboxListener
from pacetrack.engine.retry_policy import (
    MAX_REASON,
    OUTCOME_TYPES,
    Backoff,
    Dead,
    Outcome,
)
from pacetrack.services import webhooks
from pacetrack.services.side_effects import fire_due_timers
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.settings import Settings
from pacetrack.worker.contract import (
    AnyHandler,
    BatchUnit,
    Clients,
    JobUnit,
    SetHandler,
    checked_outcome,
    is_network,
)
from pacetrack.worker.handlers import HANDLERS, SET_HANDLERS
from pacetrack.worker.network import NetworkRunner
from pacetrack.worker.settlement import settle

logger = logging.getLogger("pacetrack.worker")

TIMER_BATCH = 500


def make_mailer(settings: Settings) -> SmtpMailer | None:
    """The SMTP sender the settings describe; None when no SMTP host is configured."""
    if not settings.smtp_host:
        return None
    return SmtpMailer(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,  # type: ignore[arg-type]
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.smtp_from,
        )
    )


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_REASON]


class Worker:
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
        self.mailer = make_mailer(self.settings) if mailer == "from_settings" else mailer
        self.clients = Clients(mailer=self.mailer)
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
        self._network: NetworkRunner | None = None
        self._running = False
        """True inside ``run``: the network loop and its connections stay open between
        batches; otherwise they are closed after each batch's network jobs."""
        self._in_flight: dict[tuple[uuid.UUID, uuid.UUID], Job] = {}
        self._lock = threading.Lock()

    # --- one round --------------------------------------------------------------------------

    def run_once(self) -> int:
        """Fires due timers, then performs one batch of due jobs; returns how much was done."""
        fired = self.fire_timers()
        return fired + self.process_batch()

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
        fired = 0
        while not self.stop_requested.is_set():
            with self.container.uow() as uow:
                count = fire_due_timers(uow, limit=TIMER_BATCH)
            fired += count
            if count < TIMER_BATCH:
                break
        return fired

    def claim(self) -> list[Job]:
        now = self.container.clock.now()
        with self.container.uow() as uow:
            jobs = outbox.claim(
                uow.session,
                worker_id=self.worker_id,
                now=now,
                lease_until=now + timedelta(seconds=self.settings.worker_lease_seconds),
                limit=self.settings.worker_batch_size,
            )
            uow.commit()
        return jobs

    def process_batch(self) -> int:
        """Claims a batch and performs it: database jobs together, then network jobs."""
        jobs = self.claim()
        if not jobs:
            return 0
        self._track(jobs)
        heartbeat_stop = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(heartbeat_stop,), name="pacetrack-heartbeat", daemon=True
        )
        heartbeat.start()
        try:
            database = [job for job in jobs if not self._is_network(job)]
            network = [job for job in jobs if self._is_network(job)]
            performed = self.perform_database_batch(database)
            if network and self.stop_requested.is_set():
                self.release(network)
            elif network:
                performed += self.perform_network(network)
        finally:
            heartbeat_stop.set()
            heartbeat.join()
            with self._lock:
                self._in_flight.clear()
        return performed

    def _is_network(self, job: Job) -> bool:
        handler = self.handlers.get(job.kind)
        return handler is not None and is_network(handler)

    # --- database jobs ------------------------------------------------------------------------

    def perform_database_batch(self, jobs: Sequence[Job]) -> int:
        """Performs database jobs in one transaction, a savepoint each; returns how many."""
        if not jobs:
            return 0
        try:
            with self.container.uow() as uow:
                performed = self._perform_in(uow, jobs)
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
        self._untrack(jobs)
        return performed

    def _perform_in(self, uow: UnitOfWork, jobs: Sequence[Job]) -> int:
        one_by_one: list[Job] = []
        performed = 0
        for set_handler, group in self._set_wise_groups(jobs, one_by_one):
            if self.stop_requested.is_set():
                self._release_in(uow.session, [*group, *one_by_one])
                return performed
            if self._perform_set_wise(uow, set_handler, group):
                performed += len(group)
            else:
                one_by_one.extend(group)
        for index, job in enumerate(one_by_one):
            if self.stop_requested.is_set():
                self._release_in(uow.session, one_by_one[index:])
                return performed + index
            self._perform_in_savepoint(uow, job)
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

    def _perform_set_wise(self, uow: UnitOfWork, set_handler: SetHandler, jobs: list[Job]) -> bool:
        """Performs ``jobs`` together and settles them done in one savepoint; False (and
        nothing written) when a job failed or a lease was lost, for the one-by-one path."""
        session = uow.session
        savepoint = session.begin_nested()
        try:
            set_handler(BatchUnit(uow, settings=self.settings, clients=self.clients), jobs)
            uow.flush()
            settled = outbox.complete_all(
                session, jobs=jobs, worker_id=self.worker_id, now=self.container.clock.now()
            )
        except Exception as exc:
            savepoint.rollback()
            logger.info("%d %s jobs together failed (%s); one by one", len(jobs), jobs[0].kind, exc)
            return False
        if settled != len(jobs):
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def _perform_in_savepoint(self, uow: UnitOfWork, job: Job) -> None:
        session = uow.session
        handler = self.handlers.get(job.kind)
        if handler is None:
            self._settle(session, job, Dead(f"no handler for job kind “{job.kind}”"))
            return
        unit = self._unit(uow, job)
        savepoint = session.begin_nested()
        try:
            outcome = checked_outcome(handler(unit, job))  # type: ignore[operator]
            unit.flush()
        except Exception as exc:
            savepoint.rollback()
            logger.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, exc)
            self._settle(session, job, unit.failed(_error_text(exc)))
            return
        if self._settle(session, job, outcome):
            savepoint.commit()
        else:
            savepoint.rollback()  # the lease was lost: the job's new owner does the work

    # --- one job ------------------------------------------------------------------------------

    def perform(self, job: Job) -> None:
        """Performs one job in transactions of its own."""
        if self._is_network(job):
            self.perform_network([job])
            return
        try:
            with self.container.uow() as uow:
                self._perform_in_savepoint(uow, job)
                uow.commit()
        except Exception as exc:
            logger.warning("job %s (%s) could not be committed: %s", job.id, job.kind, exc)
            self.fail(job, _error_text(exc))

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
            per_endpoint = self.settings.worker_endpoint_concurrency
            clients = replace(
                self.clients,
                # Several endpoints may share a host: the per-endpoint bound is the
                # network runner's, the host's connections are bounded by the global one.
                http=OutboundPool(
                    connections_per_host=self.settings.worker_network_concurrency,
                    keepalive_per_host=per_endpoint,
                    tls_context=webhooks.tls_context(),
                ),
            )
            self._network = NetworkRunner(
                self,
                clients,
                concurrency=self.settings.worker_network_concurrency,
                per_endpoint=per_endpoint,
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
                value = step(self._unit(uow, job))
                uow.flush()
                if isinstance(value, OUTCOME_TYPES):
                    if self._settle(uow.session, job, value):
                        uow.commit()
                    return True, None
                uow.commit()
                return False, value
        except Exception as exc:
            logger.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, exc)
            self.fail(job, _error_text(exc))
            return True, None

    def _unit(self, uow: UnitOfWork, job: Job) -> JobUnit:
        return JobUnit(
            uow,
            job=job,
            settings=self.settings,
            clients=self.clients,
            backoff=self.backoff,
            rng=self.rng,
        )

    # --- settling -----------------------------------------------------------------------------

    def _settle(self, session: Session, job: Job, outcome: Outcome) -> bool:
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
            self._settle(uow.session, job, outcome)
            uow.commit()

    def release(self, jobs: Sequence[Job]) -> None:
        with self.container.uow() as uow:
            self._release_in(uow.session, jobs)
            uow.commit()

    def _release_in(self, session: Session, jobs: Sequence[Job]) -> None:
        outbox.release(session, jobs=jobs, worker_id=self.worker_id, now=self.container.clock.now())

    # --- leases -------------------------------------------------------------------------------

    def _track(self, jobs: Sequence[Job]) -> None:
        with self._lock:
            self._in_flight.update({(job.tenant_id, job.id): job for job in jobs})

    def _untrack(self, jobs: Sequence[Job]) -> None:
        with self._lock:
            for job in jobs:
                self._in_flight.pop((job.tenant_id, job.id), None)

    def _heartbeat(self, stop: threading.Event) -> None:
        """Extends the batch's leases every third of a lease while the batch runs."""
        lease = self.settings.worker_lease_seconds
        while not stop.wait(lease / 3):
            with self._lock:
                keys = list(self._in_flight)
            if not keys:
                continue
            try:
                with self.container.uow() as uow:
                    outbox.extend_leases(
                        uow.session,
                        keys=keys,
                        worker_id=self.worker_id,
                        until=self.container.clock.now() + timedelta(seconds=lease),
                    )
                    uow.commit()
            except Exception:
                logger.exception("heartbeat failed; leases may expire and be taken over")

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
