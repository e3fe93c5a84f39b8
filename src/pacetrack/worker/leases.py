"""Keeping a worker's committed claims: a heartbeat extends their leases while they run.

A claim committed before its job ends (a network job, a batch performed the
careful way) is a lease of ``worker_lease_seconds``; while the worker holds such
jobs a heartbeat thread extends their leases every third of a lease, so leases
stay short and a killed worker's jobs are taken over soon. A running worker keeps
one heartbeat for its whole life: its network jobs settle one by one, in the
background, while it claims and performs the next batches. Jobs claimed and
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
    """The worker's running claims and the heartbeat thread that extends their leases.

    The thread runs while at least one ``kept`` block is open; jobs join with
    ``kept`` or ``add`` and leave with ``done`` (or when their ``kept`` block
    ends), so the claims of batches that overlap (the network jobs of one batch
    still in flight while the next is performed) are kept together.
    """

    def __init__(self, container: Container, *, worker_id: str) -> None:
        self.container = container
        self.worker_id = worker_id
        self._in_flight: dict[tuple[uuid.UUID, uuid.UUID], Job] = {}
        self._lock = threading.Lock()
        self._blocks = 0
        self._stop = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None

    @contextmanager
    def kept(self, jobs: Sequence[Job] = ()) -> Iterator[None]:
        """Extends the leases of ``jobs`` (and of any added meanwhile) until the block ends
        or ``done`` drops them."""
        self.add(jobs)
        with self._lock:
            self._blocks += 1
            if self._heartbeat_thread is None:
                self._stop = threading.Event()
                self._heartbeat_thread = threading.Thread(
                    target=self._heartbeat,
                    args=(self._stop,),
                    name="pacetrack-heartbeat",
                    daemon=True,
                )
                self._heartbeat_thread.start()
        try:
            yield
        finally:
            self.done(jobs)
            with self._lock:
                self._blocks -= 1
                last = self._blocks == 0
                heartbeat, stop = self._heartbeat_thread, self._stop
                if last:
                    self._heartbeat_thread = None
                    self._in_flight.clear()
            if last and heartbeat is not None:
                stop.set()
                heartbeat.join()

    def add(self, jobs: Sequence[Job]) -> None:
        """These claimed jobs are running: extend their leases while a block is open."""
        with self._lock:
            self._in_flight.update({(job.tenant_id, job.id): job for job in jobs})

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
