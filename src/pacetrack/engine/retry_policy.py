"""How a job ends an attempt, and when a failed one runs again: the one retry-policy module.

A job's handler returns an ``Outcome``: ``Done``, ``RetryAt`` (run again at
a time, with the reason) or ``Dead`` (give up, with the reason). The worker
writes the outcome to the job's outbox row in the transaction that holds the
handler's own writes.

Two policies say when a failed attempt runs again:

- ``Backoff``, every job's default: an attempt that raised is retried after
  ``base * 2^(attempts-1)`` seconds, capped, times a jitter factor in
  [0.5, 1.5), and is dead after ``max_attempts``. Jitter spreads jobs that
  failed together (an SMTP outage) so they do not all come back in the same
  second.
- ``Schedule``, a fixed list of delays with bounded jitter and ``Retry-After``
  honoured. ``WEBHOOK_SCHEDULE`` is the webhook delivery schedule (delay after a
  failed attempt, before the next one)::

    attempt  1 fails -> wait  5 s
    attempt  2 fails -> wait  5 min
    attempt  3 fails -> wait 30 min
    attempt  4 fails -> wait  2 h
    attempt  5 fails -> wait  5 h
    attempt  6 fails -> wait 10 h
    attempt  7 fails -> wait 14 h
    attempt  8 fails -> wait 20 h
    attempt  9 fails -> wait 24 h
    attempt 10 fails -> give up (dead)

  Ten attempts over 75 h 35 min 5 s, a little more than three days. Each delay
  is drawn uniformly from ±20 % around its nominal value, so deliveries that
  failed together during a receiver's outage do not return together. Plain
  full jitter (anywhere between zero and the nominal delay) would spread them
  further but could let a day-long wait end after a minute and shrink the
  three-day window at random; the bounded draw keeps the schedule's promise.
  ``Retry-After`` (seconds or an HTTP date) moves a retry later, never
  earlier, and is capped at 24 h so a receiver cannot park a message for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

RandomSource = Callable[[], float]
"""Returns a float in [0, 1), e.g. ``random.Random(seed).random``."""

MAX_REASON = 2000


@dataclass(frozen=True)
class Done:
    """The job is finished."""


@dataclass(frozen=True)
class RetryAt:
    """The job runs again at ``at``; ``reason`` is kept as its last error."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class Dead:
    """The job is given up (visible, and re-runnable, until someone re-runs it)."""

    reason: str


Outcome = Done | RetryAt | Dead
DONE = Done()
OUTCOME_TYPES = (Done, RetryAt, Dead)


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """Exponential backoff with jitter for attempts that failed with an error."""

    base_seconds: float
    cap_seconds: float
    max_attempts: int

    def delay(self, attempts: int, *, rng: RandomSource) -> timedelta:
        """``base * 2^(attempts-1)``, capped, times 0.5 to 1.5."""
        nominal = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=nominal * (0.5 + rng()))

    def after_failure(
        self, attempts: int, *, reason: str, now: datetime, rng: RandomSource
    ) -> RetryAt | Dead:
        """The outcome of attempt number ``attempts`` (1-based) that failed for ``reason``."""
        reason = reason[:MAX_REASON]
        if attempts >= self.max_attempts:
            return Dead(reason)
        return RetryAt(now + self.delay(attempts, rng=rng), reason)


DEFAULT_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)


def jittered_delay(nominal: timedelta, *, jitter: float, rng: RandomSource) -> timedelta:
    """``nominal`` scaled by a uniform factor in ``[1 - jitter, 1 + jitter)``."""
    return nominal * (1 - jitter + 2 * jitter * rng())


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """The wait a ``Retry-After`` header asks for; ``None`` if absent or unreadable.

    Accepts delay-seconds (``"120"``) and an HTTP date; a date in the past means
    no wait.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return timedelta(seconds=int(text))
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        # RFC 9110: HTTP dates are always in GMT.
        moment = moment.replace(tzinfo=UTC)
    return max(moment - now, timedelta(0))


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """A fixed list of delays; the defaults are the webhook schedule above.

    ``disable_after`` belongs to the webhook use of the schedule: an endpoint
    failing that long is disabled (``delivery_policy``).
    """

    delays: tuple[timedelta, ...] = DEFAULT_DELAYS
    jitter: float = 0.2
    max_retry_after: timedelta = timedelta(hours=24)
    disable_after: timedelta = timedelta(days=5)

    def __post_init__(self) -> None:
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")
        if any(delay <= timedelta(0) for delay in self.delays):
            raise ValueError("retry delays must be positive")

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def next_attempt_delay(
        self, attempt: int, *, now: datetime, retry_after: str | None, rng: RandomSource
    ) -> tuple[timedelta, bool] | None:
        """The wait after failed attempt ``attempt`` and whether ``Retry-After`` set it;
        None when that attempt was the last."""
        if attempt >= self.max_attempts:
            return None
        delay = jittered_delay(self.delays[attempt - 1], jitter=self.jitter, rng=rng)
        asked = parse_retry_after(retry_after, now=now)
        if asked is not None and min(asked, self.max_retry_after) > delay:
            return min(asked, self.max_retry_after), True
        return delay, False


WEBHOOK_SCHEDULE = Schedule()
