"""The worker loop: fire due timers, claim outbox jobs, perform them, settle them.

One worker is one thread performing jobs one after another; run more worker
processes to go faster (on PostgreSQL they share the work through ``SKIP
LOCKED``). Idle workers poll every ``worker_poll_seconds`` (0.5 s by default)
with one indexed query each for timers and jobs, so waiting work starts within
a second without LISTEN/NOTIFY adding a round trip to every write.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Literal

from pacetrack.adapters.smtp import SmtpConfig, SmtpMailer
from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.outbox import Job
from pacetrack.services.side_effects import fire_due_timers
from pacetrack.settings import Settings
from pacetrack.worker.handlers import HANDLERS, Handler, JobContext, JobOutbox
from pacetrack.worker.retry import backoff

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


class Worker:
    """Performs outbox jobs and fires timers; ``run_once``/``drain`` drive it in tests."""

    def __init__(
        self,
        container: Container,
        *,
        handlers: Mapping[str, Handler] | None = None,
        mailer: SmtpMailer | Literal["from_settings"] | None = "from_settings",
        worker_id: str | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.container = container
        self.settings = container.settings
        self.handlers = dict(HANDLERS if handlers is None else handlers)
        self.mailer = make_mailer(self.settings) if mailer == "from_settings" else mailer
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.rng = rng or random.random
        self.stop_requested = threading.Event()
        self._in_flight: list[Job] = []
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
        jobs = self.claim()
        if not jobs:
            return 0
        with self._lock:
            self._in_flight = list(jobs)
        heartbeat_stop = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(heartbeat_stop,), name="pacetrack-heartbeat", daemon=True
        )
        heartbeat.start()
        performed = 0
        try:
            for index, job in enumerate(jobs):
                if self.stop_requested.is_set():
                    self._release(jobs[index:])
                    break
                self.perform(job)
                performed += 1
                with self._lock:
                    self._in_flight = jobs[index + 1 :]
        finally:
            heartbeat_stop.set()
            heartbeat.join()
            with self._lock:
                self._in_flight = []
        return performed

    # --- one job ----------------------------------------------------------------------------

    def perform(self, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        if handler is None:
            self._fail(job, f"no handler for job kind “{job.kind}”", final=True)
            return
        context = JobContext(
            container=self.container,
            mailer=self.mailer,
            settlement=self._settlement(job),
        )
        try:
            handler(job, context)
        except Exception as exc:
            logger.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, exc)
            self._fail(job, f"{type(exc).__name__}: {exc}"[:2000], final=False)
            return
        if not context.settled:
            with self.container.uow() as uow:
                outbox.complete(
                    uow.session, job=job, worker_id=self.worker_id, now=self.container.clock.now()
                )
                uow.commit()

    def _settlement(self, job: Job) -> JobOutbox:
        clock = self.container.clock
        return JobOutbox(
            complete=lambda session: outbox.complete(
                session, job=job, worker_id=self.worker_id, now=clock.now()
            ),
            retry_at=lambda session, when, reason: outbox.retry_later(
                session, job=job, worker_id=self.worker_id, at=when, error=reason[:2000]
            ),
            bury=lambda session, reason: outbox.bury(
                session, job=job, worker_id=self.worker_id, now=clock.now(), error=reason[:2000]
            ),
        )

    def _fail(self, job: Job, error: str, *, final: bool) -> None:
        now = self.container.clock.now()
        with self.container.uow() as uow:
            if final or job.attempts >= self.settings.worker_max_attempts:
                outbox.bury(uow.session, job=job, worker_id=self.worker_id, now=now, error=error)
            else:
                delay = backoff(
                    job.attempts,
                    base_seconds=self.settings.worker_retry_base_seconds,
                    cap_seconds=self.settings.worker_retry_cap_seconds,
                    rng=self.rng,
                )
                outbox.retry_later(
                    uow.session, job=job, worker_id=self.worker_id, at=now + delay, error=error
                )
            uow.commit()

    def _release(self, jobs: list[Job]) -> None:
        with self.container.uow() as uow:
            outbox.release(
                uow.session, jobs=jobs, worker_id=self.worker_id, now=self.container.clock.now()
            )
            uow.commit()

    def _heartbeat(self, stop: threading.Event) -> None:
        """Extends the batch's leases every third of a lease while the batch runs."""
        lease = self.settings.worker_lease_seconds
        while not stop.wait(lease / 3):
            with self._lock:
                keys = [(job.tenant_id, job.id) for job in self._in_flight]
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
        while not self.stop_requested.is_set():
            try:
                done = self.run_once()
            except Exception:
                logger.exception("worker round failed; retrying after a pause")
                done = 0
            if done == 0:
                self.stop_requested.wait(self.settings.worker_poll_seconds)
        logger.info("worker %s stopped", self.worker_id)

    def request_stop(self) -> None:
        self.stop_requested.set()
