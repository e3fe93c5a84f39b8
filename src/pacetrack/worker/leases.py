"""Keeping a worker's committed claims: a heartbeat extends their leases while they run.

A claim committed before its job ends (a network job, a batch performed the
careful way) is a lease of ``worker_lease_seconds``; while the worker holds such
jobs a heartbeat thread extends their leases every third of a lease, so leases
stay short and a killed worker's jobs are taken over soon. Jobs claimed and
settled in one transaction need none: their rows stay locked until it commits.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from pacetrack.bootstrap import Container
from pacetrack.db import outbox
from pacetrack.db.outbox import Job

logger = logging.getLogger("pacetrack.worker")


class LeaseKeeper:
    def __init__(self, container: Container, *, worker_id: str) -> None:
        self.container = container
        self.worker_id = worker_id
        self._in_flight: dict[tuple[uuid.UUID, uuid.UUID], Job] = {}
        self._lock = threading.Lock()

    @contextmanager
    def kept(self, jobs: Sequence[Job]) -> Iterator[None]:
        """Extends the leases of ``jobs`` until the block ends or ``done`` drops them."""
        with self._lock:
            self._in_flight.update({(job.tenant_id, job.id): job for job in jobs})
        stop = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(stop,), name="pacetrack-heartbeat", daemon=True
        )
        heartbeat.start()
        try:
            yield
        finally:
            stop.set()
            heartbeat.join()
            with self._lock:
                self._in_flight.clear()

    def done(self, jobs: Sequence[Job]) -> None:
        """These jobs are settled (or handed back): their leases need no more extending."""
        with self._lock:
            for job in jobs:
                self._in_flight.pop((job.tenant_id, job.id), None)

    def _heartbeat(self, stop: threading.Event) -> None:
        lease = self.container.settings.worker_lease_seconds
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
