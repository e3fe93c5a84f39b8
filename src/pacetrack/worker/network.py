"""Network jobs performed concurrently on one event loop.

A claimed batch's network jobs (webhook deliveries, email) become tasks on the
worker's event loop, which lives as long as the worker and keeps its clients:
the pooled HTTP client (``adapters.outbound_pool``: keep-alive, every outbound
check on every request) and the SMTP connection. Two bounds hold, across every
batch in flight:

- at most ``worker_network_concurrency`` jobs in flight for the worker;
- at most ``worker_endpoint_concurrency`` for one endpoint (a webhook
  endpoint; all email shares the one SMTP connection, so it goes one message
  at a time). Jobs of one endpoint take their turn in claim order (oldest
  first): the endpoint's semaphore, kept from one batch to the next, serves its
  waiters first come, first served, and a batch's requests are queued only
  after the previous batch's.

A batch's jobs of one endpoint are prepared in one transaction
(``Worker.transact_all``): one commit and one lock of the endpoint's row
instead of one per job. The per-endpoint rate limit is unchanged: ``prepare``
takes each job's token on the locked endpoint row. Results are recorded by one
recorder task, which writes what the requests have brought back meanwhile
(``RECORD_GROUP`` at most, waiting ``RECORD_LINGER`` at most for more) in one
transaction per endpoint. When such a transaction fails, each job gets a
transaction of its own, so a failure stays that job's. The database steps run
on threads (the loop never waits on a lock); the requests run on the loop.

``perform`` returns when every job it was given has ended (tests, ``drain``);
``submit`` returns once the batch's requests are queued, so a running worker
claims and prepares the next batch, and records the last one's results, while
requests are in flight: at most ``PIPELINE_DEPTH`` batches at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pacetrack.db.outbox import Job
from pacetrack.worker.contract import Clients, JobUnit, NetworkHandler, checked_outcome

T = TypeVar("T")

logger = logging.getLogger("pacetrack.worker")

DATABASE_STEPS_AT_ONCE = 4
PIPELINE_DEPTH = 2
"""Batches a running worker has in flight: one whose requests go out, the next one claimed
and prepared meanwhile."""
RECORD_GROUP = 50
RECORD_LINGER = 0.05
"""Seconds the recorder waits, after a result came, for more to write with it."""


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


@dataclass
class _Endpoint:
    """One endpoint's turn-taking, shared by the batches in flight that go to it."""

    turns: asyncio.Semaphore
    users: int = 0


@dataclass
class _Record:
    endpoint: str
    step: tuple[Job, Callable[[JobUnit], object]]
    written: asyncio.Future[None]


class NetworkRunner:
    """Performs network jobs concurrently on an event loop of its own.

    The loop runs in a thread of its own for the runner's whole life, so the pooled
    clients stay bound to one loop, and the worker may be called from a thread that
    already runs an event loop (an embedding application's, or a test browser's).
    """

    def __init__(
        self,
        steps: _Steps,
        clients: Clients,
        *,
        concurrency: int,
        per_endpoint: int,
        settled: Callable[[Sequence[Job]], None] = lambda jobs: None,
    ) -> None:
        self.steps = steps
        self.clients = clients
        self.concurrency = concurrency
        self.per_endpoint = per_endpoint
        self.settled = settled
        """Told of each batch's jobs once they have all ended (the leases to drop)."""
        self._everyone = asyncio.Semaphore(concurrency)
        self._database = asyncio.Semaphore(DATABASE_STEPS_AT_ONCE)
        self._endpoints: dict[str, _Endpoint] = {}
        self._records: list[_Record] = []
        self._records_waiting = asyncio.Event()
        self._unrecorded = 0
        """Requests queued or in flight whose result is not handed to the recorder yet."""
        self._recorder: asyncio.Task[None] | None = None
        self._batches = 0
        self._batches_changed = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="pacetrack-network", daemon=True
        )
        self._thread.start()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def perform(self, jobs: Sequence[tuple[Job, NetworkHandler[Any, Any]]]) -> int:
        """Performs the jobs (claim order kept per endpoint) and returns when all have
        ended; returns how many were started."""
        if not jobs:
            return 0
        self._batch_started()
        return self._run(self._perform_all(jobs, queued=threading.Event()))

    def submit(self, jobs: Sequence[tuple[Job, NetworkHandler[Any, Any]]]) -> int:
        """Starts performing the jobs and returns once their requests are queued (or the
        batch has ended); a failure is logged. Returns how many were given."""
        if not jobs:
            return 0
        queued = threading.Event()
        self._batch_started()
        future = asyncio.run_coroutine_threadsafe(self._perform_all(jobs, queued), self.loop)
        future.add_done_callback(_log_failure)
        queued.wait()
        return len(jobs)

    def wait_for_room(self) -> None:
        """Blocks while ``PIPELINE_DEPTH`` batches are in flight."""
        with self._batches_changed:
            self._batches_changed.wait_for(lambda: self._batches < PIPELINE_DEPTH)

    def wait_until_idle(self) -> None:
        """Blocks until every batch given has ended."""
        with self._batches_changed:
            self._batches_changed.wait_for(lambda: self._batches == 0)

    def _batch_started(self) -> None:
        with self._batches_changed:
            self._batches += 1

    def _batch_ended(self) -> None:
        with self._batches_changed:
            self._batches -= 1
            self._batches_changed.notify_all()

    async def _perform_all(
        self, jobs: Sequence[tuple[Job, NetworkHandler[Any, Any]]], queued: threading.Event
    ) -> int:
        try:
            groups: dict[str, list[tuple[Job, NetworkHandler[Any, Any]]]] = {}
            for job, handler in jobs:
                groups.setdefault(endpoint_of(handler, job), []).append((job, handler))
            prepared = await asyncio.gather(
                *(self._prepare_group(key, group) for key, group in groups.items())
            )
            queued.set()
            await asyncio.gather(*(task for _, tasks in prepared for task in tasks))
            return sum(started for started, _ in prepared)
        finally:
            queued.set()
            self.settled([job for job, _ in jobs])
            self._batch_ended()

    async def _prepare_group(
        self, key: str, group: Sequence[tuple[Job, NetworkHandler[Any, Any]]]
    ) -> tuple[int, list[asyncio.Task[None]]]:
        """One endpoint's jobs of a batch, prepared in one transaction; returns how many
        were started and the tasks of their requests, started in claim order."""
        if self.steps.stopping():
            await asyncio.to_thread(self.steps.release, [job for job, _ in group])
            return 0, []
        async with self._database:
            prepared = await asyncio.to_thread(
                self.steps.transact_all,
                [(job, _preparing(handler, job)) for job, handler in group],
            )
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            endpoint = self._endpoints[key] = _Endpoint(asyncio.Semaphore(self.per_endpoint))
        # Tasks start in claim order, so the endpoint's semaphore serves them in that order.
        return len(group), [
            self._started(endpoint, self._send(key, endpoint, job, handler, value))
            for (job, handler), (finished, value) in zip(group, prepared, strict=True)
            if not finished
        ]

    def _started(
        self, endpoint: _Endpoint, coroutine: Coroutine[Any, Any, None]
    ) -> asyncio.Task[None]:
        # Counted now, not when the task first runs: the endpoint (its semaphore) must
        # outlive the last request of the batch before as long as this one waits to start.
        endpoint.users += 1
        self._unrecorded += 1
        return asyncio.get_running_loop().create_task(coroutine)

    async def _send(
        self,
        key: str,
        endpoint: _Endpoint,
        job: Job,
        handler: NetworkHandler[Any, Any],
        value: object,
    ) -> None:
        try:
            async with endpoint.turns, self._everyone:
                try:
                    result = await handler.send(value, self.clients)
                except Exception as exc:
                    self._handed_over()
                    logger.warning(
                        "job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, exc
                    )
                    async with self._database:
                        await asyncio.to_thread(
                            self.steps.fail, job, f"{type(exc).__name__}: {exc}"
                        )
                    return
            await self._recorded(key, (job, _recording(handler, job, value, result)))
        finally:
            endpoint.users -= 1
            if endpoint.users == 0 and self._endpoints.get(key) is endpoint:
                del self._endpoints[key]

    def _handed_over(self) -> None:
        """A request's result went to the recorder (or its failure was settled)."""
        self._unrecorded -= 1
        waiting = len(self._records)
        # The first wakes an idle recorder; the others end its wait when the group is full
        # or no request is left whose result could join them.
        if waiting == 1 or waiting >= RECORD_GROUP or self._unrecorded == 0:
            self._records_waiting.set()

    async def _recorded(self, key: str, step: tuple[Job, Callable[[JobUnit], object]]) -> None:
        """Hands the result to the recorder; returns once it is written."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._records.append(_Record(endpoint=key, step=step, written=written))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.get_running_loop().create_task(self._record_forever())
        self._handed_over()
        await written

    async def _record_forever(self) -> None:
        """Writes the results handed over, once ``RECORD_GROUP`` are waiting, no request
        is left whose result could join them, or ``RECORD_LINGER`` has passed."""
        while True:
            if not self._records:
                self._records_waiting.clear()
                await self._records_waiting.wait()
                continue
            if self._unrecorded and len(self._records) < RECORD_GROUP:
                self._records_waiting.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RECORD_LINGER):
                        await self._records_waiting.wait()
            records, self._records = self._records, []
            groups: dict[str, list[_Record]] = {}
            for record in records:
                groups.setdefault(record.endpoint, []).append(record)
            await asyncio.gather(*(self._write(group) for group in groups.values()))

    async def _write(self, records: Sequence[_Record]) -> None:
        try:
            async with self._database:
                await asyncio.to_thread(
                    self.steps.transact_all, [record.step for record in records]
                )
        except Exception as exc:
            for record in records:
                record.written.set_exception(exc)
            return
        for record in records:
            record.written.set_result(None)

    def close(self) -> None:
        """Waits for the batches in flight, closes the kept connections, then stops and
        closes the loop."""
        self.wait_until_idle()
        if self._recorder is not None:
            self.loop.call_soon_threadsafe(self._recorder.cancel)
        if self.clients.http is not None:
            self._run(self.clients.http.aclose())
        if self.clients.mailer is not None:
            self.clients.mailer.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def _log_failure(future: concurrent.futures.Future[int]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("a batch of network jobs failed", exc_info=future.exception())
