"""Network jobs performed concurrently on one event loop.

A claimed batch's network jobs (webhook deliveries, email) become tasks on the
worker's event loop, which lives as long as the worker and keeps its clients:
the pooled HTTP client (``adapters.outbound_pool``: keep-alive, every outbound
check on every request) and the SMTP connection. Two bounds hold:

- at most ``worker_network_concurrency`` jobs in flight for the worker;
- at most ``worker_endpoint_concurrency`` for one endpoint (a webhook
  endpoint; all email shares the one SMTP connection, so it goes one message
  at a time). Jobs of one endpoint take their turn in claim order (oldest
  first): the endpoint's semaphore serves its waiters first come, first served.

The per-endpoint rate limit is unchanged: ``prepare`` takes the token on the
locked endpoint row. The database steps run on threads (the loop never waits
on a lock); the request runs on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeVar

from pacetrack.db.outbox import Job
from pacetrack.worker.contract import Clients, JobUnit, NetworkHandler, checked_outcome

T = TypeVar("T")

logger = logging.getLogger("pacetrack.worker")

DATABASE_STEPS_AT_ONCE = 4


class _Steps(Protocol):
    """What the network runner needs from the worker: transactions and settlement."""

    def transact(self, job: Job, step: Callable[[JobUnit], object]) -> tuple[bool, object]: ...

    def fail(self, job: Job, error: str) -> None: ...

    def release(self, jobs: Sequence[Job]) -> None: ...

    def stopping(self) -> bool: ...


def endpoint_of(handler: NetworkHandler[Any, Any], job: Job) -> str:
    """The receiver a job talks to, for the per-endpoint bound."""
    key = getattr(handler, "endpoint", None)
    return str(key(job)) if callable(key) else job.kind


class NetworkRunner:
    """Performs network jobs concurrently on an event loop of its own.

    The loop runs in a thread of its own for the runner's whole life, so the pooled
    clients stay bound to one loop, and the worker may be called from a thread that
    already runs an event loop (an embedding application's, or a test browser's).
    """

    def __init__(
        self, steps: _Steps, clients: Clients, *, concurrency: int, per_endpoint: int
    ) -> None:
        self.steps = steps
        self.clients = clients
        self.concurrency = concurrency
        self.per_endpoint = per_endpoint
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="pacetrack-network", daemon=True
        )
        self._thread.start()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def perform(self, jobs: Sequence[tuple[Job, NetworkHandler[Any, Any]]]) -> int:
        """Performs the jobs (claim order kept per endpoint); returns how many were started."""
        if not jobs:
            return 0
        return self._run(self._perform_all(jobs))

    async def _perform_all(self, jobs: Sequence[tuple[Job, NetworkHandler[Any, Any]]]) -> int:
        everyone = asyncio.Semaphore(self.concurrency)
        database = asyncio.Semaphore(DATABASE_STEPS_AT_ONCE)
        endpoints: dict[str, asyncio.Semaphore] = {}
        for job, handler in jobs:
            endpoints.setdefault(endpoint_of(handler, job), asyncio.Semaphore(self.per_endpoint))

        async def one(job: Job, handler: NetworkHandler[Any, Any]) -> bool:
            async with endpoints[endpoint_of(handler, job)], everyone:
                if self.steps.stopping():
                    await asyncio.to_thread(self.steps.release, [job])
                    return False
                await self._perform_one(job, handler, database)
                return True

        # Tasks start in claim order, so each endpoint's semaphore queues them in that order.
        results = await asyncio.gather(*(one(job, handler) for job, handler in jobs))
        return sum(results)

    async def _perform_one(
        self, job: Job, handler: NetworkHandler[Any, Any], database: asyncio.Semaphore
    ) -> None:
        async with database:
            finished, prepared = await asyncio.to_thread(
                self.steps.transact, job, lambda unit: handler.prepare(unit, job)
            )
        if finished:
            return
        try:
            result = await handler.send(prepared, self.clients)
        except Exception as exc:
            logger.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, exc)
            async with database:
                await asyncio.to_thread(self.steps.fail, job, f"{type(exc).__name__}: {exc}")
            return
        async with database:
            await asyncio.to_thread(
                self.steps.transact,
                job,
                lambda unit: checked_outcome(handler.record(unit, job, prepared, result)),
            )

    def close(self) -> None:
        """Closes the kept connections, then stops and closes the loop."""
        if self.clients.http is not None:
            self._run(self.clients.http.aclose())
        if self.clients.mailer is not None:
            self.clients.mailer.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()
