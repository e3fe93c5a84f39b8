"""The one job contract: what a handler gets and what it gives back.

A handler receives the unit of work and the job, and returns an ``Outcome``
(``retry_policy``: done, retry at a time with a reason, dead with a reason).
The worker owns the transaction: it commits the handler's writes together
with the outcome written to the job's outbox row, or rolls both back when it
lost the job's lease. Handlers never commit and get no callbacks. A handler
that raises has failed its attempt: its writes are rolled back and the job
is retried with the worker's ``Backoff`` (dead after ``worker_max_attempts``).

Two kinds of handler:

- a **database job** (``Handler``) only reads and writes the database;
  the worker performs many in one transaction, each in its own savepoint, so
  a failing one is rolled back and retried alone;
  a kind may also have a set-wise handler (``SetHandler``) that performs all
  of a batch's jobs of that kind in a few statements, in one savepoint; when
  it raises or a lease was lost, the savepoint is rolled back and the jobs
  are performed one by one, so nothing is written twice;
- a **network job** (``NetworkHandler``) waits on a receiver (webhook, SMTP):
  ``prepare`` reads in one short transaction (an outcome returned there ends
  the job), ``send`` (a coroutine, run concurrently with other jobs' on the
  worker's event loop) talks to the network outside any transaction with the
  worker's long-lived ``Clients``, and ``record`` writes the result in a
  second transaction and returns the outcome. The worker may prepare (and
  record) several jobs of one endpoint in one transaction: a handler's writes
  must not rely on being the transaction's only ones.

Handlers must tolerate running more than once for the same job (the outbox
delivers at least once); the job id is the idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pacetrack.adapters.oauth_tokens import TokenCache
from pacetrack.adapters.outbound_pool import OutboundPool
from pacetrack.adapters.smtp import SmtpMailer
from pacetrack.db.outbox import Job
from pacetrack.engine.retry_policy import (
    OUTCOME_TYPES,
    Backoff,
    Dead,
    Outcome,
    RandomSource,
    RetryAt,
)
from pacetrack.services.unit_of_work import LentUnit, UnitOfWork
from pacetrack.settings import Settings

Prepared = TypeVar("Prepared")
Result = TypeVar("Result")


@dataclass(frozen=True, kw_only=True)
class Clients:
    """The worker's long-lived network clients, shared by every job it performs."""

    mailer: SmtpMailer | None
    """The SMTP sender, one kept connection (None: no SMTP server is configured)."""
    tokens: TokenCache
    """The OAuth tokens of the webhook endpoints (the Container's ``caches.oauth_tokens``)."""
    http: OutboundPool | None = None
    """The pooled hardened HTTP client (keep-alive); lives on the worker's event loop."""


class BatchUnit(LentUnit):
    """The worker's transaction lent to a handler: it reads and writes, never commits."""

    def __init__(
        self, outer: UnitOfWork, *, settings: Settings, clients: Clients, optimistic: bool = False
    ) -> None:
        super().__init__(outer)
        self.settings = settings
        self.clients = clients
        """The worker's clients; a database job only asks whether one is configured."""
        self.optimistic = optimistic
        """True in the transaction that claimed the jobs: a set-wise handler may leave out
        a check whose miss fails the transaction anyway (a duplicate key), since the
        worker then rolls it all back and performs the jobs the careful way."""

    def commit(self) -> None:
        raise RuntimeError("a job handler never commits: the worker commits with the outcome")


class JobUnit(BatchUnit):
    """The worker's transaction lent to the handler of one job."""

    def __init__(
        self,
        outer: UnitOfWork,
        *,
        job: Job,
        settings: Settings,
        clients: Clients,
        backoff: Backoff,
        rng: RandomSource,
        together: Sequence[Job] = (),
    ) -> None:
        super().__init__(outer, settings=settings, clients=clients)
        self.job = job
        self.together = together
        """The jobs performed in this transaction, this one among them (empty: it alone),
        so a handler may read what all of them need at once."""
        self._backoff = backoff
        self._rng = rng

    def failed(self, reason: str) -> RetryAt | Dead:
        """The outcome the worker's backoff gives this attempt failing for ``reason``."""
        return self._backoff.after_failure(
            self.job.attempts, reason=reason, now=self.clock.now(), rng=self._rng
        )


Handler = Callable[[JobUnit, Job], Outcome]
"""A database job: performs the job in the lent transaction and says how it ended."""

SetHandler = Callable[[BatchUnit, Sequence[Job]], None]
"""A database job's handler performing many jobs of its kind at once, set-wise: each
ends done, or it raises and the worker performs them one by one with ``Handler``."""


class NetworkHandler(Protocol, Generic[Prepared, Result]):
    """A job that waits on the network: read, send outside any transaction, record."""

    def prepare(self, unit: JobUnit, job: Job) -> Prepared | Outcome:
        """Reads what the request needs; an ``Outcome`` ends the job here."""
        ...

    async def send(self, prepared: Prepared, clients: Clients) -> Result:
        """Talks to the receiver on the worker's event loop; failures the handler
        understands come back as values. A handler may also define ``endpoint(job)``,
        the receiver's key for the per-endpoint concurrency bound."""
        ...

    def record(self, unit: JobUnit, job: Job, prepared: Prepared, result: Result) -> Outcome:
        """Writes what happened and says how the job ends."""
        ...


AnyHandler = Handler | NetworkHandler[Any, Any]
Handlers = Mapping[str, AnyHandler]


def is_network(handler: AnyHandler) -> bool:
    return hasattr(handler, "send") and hasattr(handler, "record")


def checked_outcome(value: object) -> Outcome:
    """``value``, which a handler returned as its outcome; TypeError when it is none."""
    if not isinstance(value, OUTCOME_TYPES):
        raise TypeError(f"the handler returned {type(value).__name__}, not an outcome")
    return value
