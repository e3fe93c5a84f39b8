"""What happens after a webhook delivery attempt: succeed, retry when, give up, disable.

Pure decisions: the attempt's outcome, the time and a random source come in,
a ``DeliveryDecision`` comes out. The worker records it and arms the retry.

The retry schedule is ``retry_policy.WEBHOOK_SCHEDULE`` (documented there):
ten attempts over a little more than three days, ``Retry-After`` honoured.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from pacetrack.engine.retry_policy import (
    DEFAULT_DELAYS,
    WEBHOOK_SCHEDULE,
    RandomSource,
    Schedule,
    jittered_delay,
    parse_retry_after,
)

__all__ = [
    "DEFAULT_DELAYS",
    "DEFAULT_RETRY_POLICY",
    "RandomSource",
    "RetryPolicy",
    "jittered_delay",
    "parse_retry_after",
]

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
    TOKEN = "token"
    """The endpoint's OAuth token server gave no access token (refused, failed, unreachable)."""


RetryPolicy = Schedule
"""The webhook's retry policy is a ``retry_policy.Schedule``."""

DEFAULT_RETRY_POLICY = WEBHOOK_SCHEDULE


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
        if outcome.error is FailureKind.TOKEN:
            return True, "no access token"
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

    wait = policy.next_attempt_delay(
        outcome.attempt, now=outcome.now, retry_after=outcome.retry_after, rng=rng
    )
    assert wait is not None  # the last attempt was handled above
    delay, asked_for = wait
    if asked_for:
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
