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

A batch's jobs of one endpoint are prepared in one transaction and recorded in
one transaction (``Worker.transact_all``): one commit and one lock of the
endpoint's row for each instead of one per job, which is what kept deliveries
to one endpoint, and several worker processes, waiting on each other. When
such a transaction fails, each job gets a transaction of its own, so a failure
stays that job's. The per-endpoint rate limit is unchanged: ``prepare`` takes
each job's token on the locked endpoint row. The database steps run on
threads (the loop never waits on a lock); the requests run on the loop.
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

    def transact_all(
        self, steps: Sequence[tuple[Job, Callable[[JobUnit], object]]]
    ) -> list[tuple[bool, object]]: ...

    def fail(self, job: Job, error: str) -> None: ...

    def release(self, jobs: Sequence[Job]) -> None: ...

    def stopping(self) -> bool: ...


def _preparing(handler: NetworkHandler[Any, Any], job: Job) -> Callable[[JobUnit], object]:
    return lambda unit: handler.prepare(unit, job)


def _recording(
    handler: NetworkHandler[Any, Any], job: Job, prepared: object, result: object
) -> Callable[[JobUnit], object]:
    return lambda unit: checked_outcome(handler.record(unit, job, prepared, result))


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
        groups: dict[str, list[tuple[Job, NetworkHandler[Any, Any]]]] = {}
        for job, handler in jobs:
            groups.setdefault(endpoint_of(handler, job), []).append((job, handler))
        results = await asyncio.gather(
            *(self._perform_group(group, everyone, database) for group in groups.values())
        )
        return sum(results)

    async def _perform_group(
        self,
        group: Sequence[tuple[Job, NetworkHandler[Any, Any]]],
        everyone: asyncio.Semaphore,
        database: asyncio.Semaphore,
    ) -> int:
        """One endpoint's jobs: prepared in one transaction, sent at most ``per_endpoint``
        at a time in claim order, recorded in one transaction."""
        if self.steps.stopping():
            await asyncio.to_thread(self.steps.release, [job for job, _ in group])
            return 0
        async with database:
            prepared = await asyncio.to_thread(
                self.steps.transact_all,
                [(job, _preparing(handler, job)) for job, handler in group],
            )
        endpoint = asyncio.Semaphore(self.per_endpoint)

        async def send(
            job: Job, handler: NetworkHandler[Any, Any], value: object
        ) -> tuple[Job, Callable[[JobUnit], object]] | None:
            async with endpoint, everyone:
                try:
                    result = await handler.send(value, self.clients)
                except Exception as exc:
                    logger.warning(
                        "job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, exc
                    )
                    async with database:
                        await asyncio.to_thread(
                            self.steps.fail, job, f"{type(exc).__name__}: {exc}"
                        )
                    return None
            return job, _recording(handler, job, value, result)

        # Tasks start in claim order, so the endpoint's semaphore serves them in that order.
        sent = await asyncio.gather(
            *(
                send(job, handler, value)
                for (job, handler), (finished, value) in zip(group, prepared, strict=True)
                if not finished
            )
        )
        records = [record for record in sent if record is not None]
        if records:
            async with database:
                await asyncio.to_thread(self.steps.transact_all, records)
        return len(group)

    def close(self) -> None:
        """Closes the kept connections, then stops and closes the loop."""
        if self.clients.http is not None:
            self._run(self.clients.http.aclose())
        if self.clients.mailer is not None:
            self.clients.mailer.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()
