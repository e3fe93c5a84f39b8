"""What happens after a webhook delivery attempt: succeed, retry when, give up, disable.

Pure decisions: the attempt's outcome, the time and a random source come in,
a ``DeliveryDecision`` comes out. The worker records it and arms the retry.

Retry schedule (delay after a failed attempt, before the next one)::

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
failed together during a receiver's outage do not return together. Plain full
jitter (anywhere between zero and the nominal delay) would spread them further
but could let a day-long wait end after a minute and shrink the three-day
window at random; the bounded draw keeps the schedule's promise.

``Retry-After`` (seconds or an HTTP date) moves a retry later, never earlier,
and is capped at 24 h so a receiver cannot park a message for ever.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

RandomSource = Callable[[], float]
"""Returns a float in [0, 1), e.g. ``random.Random(seed).random``."""

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

# Statuses that describe a temporary condition on the receiver's side.
_RETRYABLE_4XX = frozenset({408, 425, 429})
_GONE = 410


class FailureKind(enum.Enum):
    """Why an attempt got no HTTP response."""

    NETWORK = "network"
    """Connection refused or reset, DNS failure, TLS or protocol error."""
    TIMEOUT = "timeout"
    """No complete response within the timeout."""
    REFUSED = "refused"
    """The outbound policy refused the destination (private address, bad URL)."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """The tunable part of the policy; the defaults are the documented schedule."""

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


DEFAULT_RETRY_POLICY = RetryPolicy()


@dataclass(frozen=True, kw_only=True)
class DeliveryOutcome:
    """What one attempt produced, and where the message stands.

    Exactly one of ``status_code`` and ``error`` is set. ``attempt`` is the
    1-based number of the attempt that just ended. ``first_failure_at`` is when
    the endpoint's current run of failures began (``None`` while it was
    healthy), so a failure streak spans messages.
    """

    status_code: int | None = None
    error: FailureKind | None = None
    retry_after: str | None = None
    attempt: int
    first_failure_at: datetime | None = None
    now: datetime

    def __post_init__(self) -> None:
        if (self.status_code is None) == (self.error is None):
            raise ValueError("an outcome has either a status code or an error")
        if self.attempt < 1:
            raise ValueError("attempts are numbered from 1")
        for moment in (self.now, self.first_failure_at):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("datetimes must be timezone-aware")


@dataclass(frozen=True, kw_only=True)
class DeliveryDecision:
    """The verdict on one attempt.

    ``succeeded``: done. ``retry_at``: try again then. ``give_up``: the message is
    dead (no more attempts). ``disable_endpoint``: stop sending to the endpoint
    and tell its owner. ``reason`` is for the attempt log.
    """

    succeeded: bool
    retry_at: datetime | None = None
    give_up: bool = False
    disable_endpoint: bool = False
    reason: str


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


def jittered_delay(nominal: timedelta, *, jitter: float, rng: RandomSource) -> timedelta:
    """``nominal`` scaled by a uniform factor in ``[1 - jitter, 1 + jitter)``."""
    return nominal * (1 - jitter + 2 * jitter * rng())


def should_disable_for_continuous_failure(
    first_failure_at: datetime | None,
    now: datetime,
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> bool:
    """Whether an endpoint failing since ``first_failure_at`` has failed long enough (5 days)."""
    return first_failure_at is not None and now - first_failure_at >= policy.disable_after


def _classify(outcome: DeliveryOutcome) -> tuple[bool, str]:
    """(retryable, reason) for a failed attempt."""
    if outcome.error is not None:
        if outcome.error is FailureKind.REFUSED:
            return False, "destination refused by the outbound policy"
        return True, f"{outcome.error.value} error"
    status = outcome.status_code
    assert status is not None
    if 300 <= status < 400:
        return False, f"HTTP {status}: redirects are not followed"
    if status in _RETRYABLE_4XX:
        return True, f"HTTP {status}"
    if 400 <= status < 500:
        return False, f"HTTP {status}: the receiver rejected the request"
    if 500 <= status < 600:
        return True, f"HTTP {status}"
    return True, f"HTTP {status}: not a valid final status"


def decide_delivery(
    outcome: DeliveryOutcome,
    *,
    rng: RandomSource,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> DeliveryDecision:
    """Succeed, retry (and when), give up, or disable the endpoint."""
    status = outcome.status_code
    if status is not None and 200 <= status < 300:
        return DeliveryDecision(succeeded=True, reason=f"HTTP {status}")
    if status == _GONE:
        return DeliveryDecision(
            succeeded=False,
            give_up=True,
            disable_endpoint=True,
            reason="HTTP 410: the receiver asked to stop sending to this endpoint",
        )

    retryable, reason = _classify(outcome)
    if should_disable_for_continuous_failure(outcome.first_failure_at, outcome.now, policy=policy):
        return DeliveryDecision(
            succeeded=False,
            give_up=True,
            disable_endpoint=True,
            reason=f"{reason}; the endpoint has been failing for {policy.disable_after.days} days",
        )
    if not retryable:
        return DeliveryDecision(succeeded=False, give_up=True, reason=reason)
    if outcome.attempt >= policy.max_attempts:
        return DeliveryDecision(
            succeeded=False,
            give_up=True,
            reason=f"{reason}; attempt {outcome.attempt} of {policy.max_attempts} was the last",
        )

    delay = jittered_delay(policy.delays[outcome.attempt - 1], jitter=policy.jitter, rng=rng)
    asked = parse_retry_after(outcome.retry_after, now=outcome.now)
    if asked is not None and min(asked, policy.max_retry_after) > delay:
        delay = min(asked, policy.max_retry_after)
        reason = f"{reason}; Retry-After honoured"
    return DeliveryDecision(succeeded=False, retry_at=outcome.now + delay, reason=reason)


@dataclass(frozen=True, kw_only=True)
class RateDecision:
    """Whether a request may go now; if not, the earliest moment it may."""

    allowed: bool
    limiter: RateLimiter
    retry_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RateLimiter:
    """A token bucket for one endpoint: ``rate_per_second`` sustained, ``burst`` at once.

    A value: ``acquire`` returns the decision and the bucket's next state, which
    the caller keeps for the next request. A new bucket (``tokens=None``) is full.
    """

    rate_per_second: float
    burst: float = 1.0
    tokens: float | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        if self.burst < 1:
            raise ValueError("burst must allow at least one request")
        if self.tokens is not None and not 0 <= self.tokens <= self.burst:
            raise ValueError("tokens must lie between 0 and burst")
        if self.updated_at is not None and self.updated_at.tzinfo is None:
            raise ValueError("updated_at must be timezone-aware")

    def _refilled(self, now: datetime) -> float:
        if self.tokens is None or self.updated_at is None:
            return self.burst
        # A clock that steps backwards must not mint or burn tokens.
        elapsed = max((now - self.updated_at).total_seconds(), 0.0)
        return min(self.burst, self.tokens + elapsed * self.rate_per_second)

    def acquire(self, *, now: datetime) -> RateDecision:
        tokens = self._refilled(now)
        if tokens >= 1:
            return RateDecision(
                allowed=True, limiter=replace(self, tokens=tokens - 1, updated_at=now)
            )
        wait = timedelta(seconds=(1 - tokens) / self.rate_per_second)
        return RateDecision(
            allowed=False,
            limiter=replace(self, tokens=tokens, updated_at=now),
            retry_at=now + wait,
        )
