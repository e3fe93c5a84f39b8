"""The webhook retry decision, with a fixed clock and seeded randomness."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pacetrack.engine.delivery_policy import (
    DEFAULT_DELAYS,
    DEFAULT_RETRY_POLICY,
    DeliveryOutcome,
    FailureKind,
    RateLimiter,
    RetryPolicy,
    decide_delivery,
    parse_retry_after,
    should_disable_for_continuous_failure,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIRST_DELAY = DEFAULT_DELAYS[0]


def seeded() -> random.Random:
    return random.Random(20260302)


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def outcome(
    status: int | None = None,
    *,
    error: FailureKind | None = None,
    retry_after: str | None = None,
    attempt: int = 1,
    first_failure_at: datetime | None = None,
    now: datetime = NOW,
) -> DeliveryOutcome:
    return DeliveryOutcome(
        status_code=status,
        error=error,
        retry_after=retry_after,
        attempt=attempt,
        first_failure_at=first_failure_at,
        now=now,
    )


SUCCESS = "success"
DEAD = "dead"
DISABLED = "disabled"
BACKOFF = "backoff"  # retry after the jittered first delay

# (case id, outcome of attempt 1, expected verdict, exact retry delay when Retry-After decides)
MATRIX: list[tuple[str, DeliveryOutcome, str, timedelta | None]] = [
    ("200", outcome(200), SUCCESS, None),
    ("204", outcome(204), SUCCESS, None),
    ("301", outcome(301), DEAD, None),
    ("302", outcome(302), DEAD, None),
    ("400", outcome(400), DEAD, None),
    ("404", outcome(404), DEAD, None),
    ("408", outcome(408), BACKOFF, None),
    ("410", outcome(410), DISABLED, None),
    ("425", outcome(425), BACKOFF, None),
    ("429", outcome(429), BACKOFF, None),
    ("429 Retry-After 120", outcome(429, retry_after="120"), BACKOFF, timedelta(seconds=120)),
    (
        "429 Retry-After date",
        outcome(429, retry_after=http_date(NOW + timedelta(hours=1))),
        BACKOFF,
        timedelta(hours=1),
    ),
    ("429 Retry-After 1 (shorter than backoff)", outcome(429, retry_after="1"), BACKOFF, None),
    (
        "429 Retry-After in the past",
        outcome(429, retry_after=http_date(NOW - timedelta(hours=1))),
        BACKOFF,
        None,
    ),
    ("429 Retry-After unreadable", outcome(429, retry_after="soon"), BACKOFF, None),
    (
        "429 Retry-After 30 days (capped)",
        outcome(429, retry_after=str(30 * 86400)),
        BACKOFF,
        timedelta(hours=24),
    ),
    ("500", outcome(500), BACKOFF, None),
    ("502", outcome(502), BACKOFF, None),
    ("503", outcome(503), BACKOFF, None),
    ("503 Retry-After 60", outcome(503, retry_after="60"), BACKOFF, timedelta(seconds=60)),
    ("network error", outcome(error=FailureKind.NETWORK), BACKOFF, None),
    ("timeout", outcome(error=FailureKind.TIMEOUT), BACKOFF, None),
    ("refused by outbound policy", outcome(error=FailureKind.REFUSED), DEAD, None),
    ("no access token from the token server", outcome(error=FailureKind.TOKEN), BACKOFF, None),
]


@pytest.mark.parametrize(
    ("case", "attempt_outcome", "verdict", "exact_delay"), MATRIX, ids=[row[0] for row in MATRIX]
)
def test_retry_matrix(
    case: str, attempt_outcome: DeliveryOutcome, verdict: str, exact_delay: timedelta | None
) -> None:
    decision = decide_delivery(attempt_outcome, rng=seeded().random)

    assert decision.succeeded is (verdict == SUCCESS)
    assert decision.give_up is (verdict in (DEAD, DISABLED))
    assert decision.disable_endpoint is (verdict == DISABLED)
    assert decision.reason
    if verdict != BACKOFF:
        assert decision.retry_at is None
        return
    assert decision.retry_at is not None
    delay = decision.retry_at - NOW
    if exact_delay is not None:
        assert delay == exact_delay
        assert "Retry-After honoured" in decision.reason
    else:
        assert FIRST_DELAY * 0.8 <= delay <= FIRST_DELAY * 1.2


def test_redirect_reason_says_it_was_not_followed() -> None:
    decision = decide_delivery(outcome(302), rng=seeded().random)

    assert "redirects are not followed" in decision.reason


def test_without_jitter_the_schedule_is_the_documented_one() -> None:
    delays = []
    for attempt in range(1, DEFAULT_RETRY_POLICY.max_attempts):
        decision = decide_delivery(outcome(503, attempt=attempt), rng=lambda: 0.5)
        assert decision.retry_at is not None
        delays.append(decision.retry_at - NOW)

    assert delays == [
        timedelta(seconds=5),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=5),
        timedelta(hours=10),
        timedelta(hours=14),
        timedelta(hours=20),
        timedelta(hours=24),
    ]


def test_ten_attempts_span_about_three_days_then_give_up() -> None:
    rng = seeded()
    now = NOW
    attempts = 0
    while True:
        attempts += 1
        decision = decide_delivery(
            outcome(503, attempt=attempts, first_failure_at=NOW, now=now), rng=rng.random
        )
        if decision.retry_at is None:
            break
        now = decision.retry_at

    assert attempts == 10
    assert decision.give_up and not decision.disable_endpoint
    assert "attempt 10 of 10 was the last" in decision.reason
    assert timedelta(days=2.5) <= now - NOW <= timedelta(days=3.8)


def test_the_nominal_schedule_totals_a_little_over_three_days() -> None:
    assert sum(DEFAULT_DELAYS, timedelta()) == timedelta(hours=75, minutes=35, seconds=5)
    assert DEFAULT_RETRY_POLICY.max_attempts == 10


def test_the_ninth_failure_still_retries_the_tenth_gives_up() -> None:
    ninth = decide_delivery(outcome(500, attempt=9), rng=seeded().random)
    tenth = decide_delivery(outcome(500, attempt=10), rng=seeded().random)

    assert ninth.retry_at is not None and not ninth.give_up
    assert tenth.retry_at is None and tenth.give_up


@given(
    attempt=st.integers(min_value=1, max_value=9),
    draw=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_jitter_stays_within_twenty_percent_of_the_schedule(attempt: int, draw: float) -> None:
    decision = decide_delivery(outcome(500, attempt=attempt), rng=lambda: draw)

    assert decision.retry_at is not None
    nominal = DEFAULT_DELAYS[attempt - 1]
    assert nominal * 0.8 <= decision.retry_at - NOW <= nominal * 1.2


@given(
    attempt=st.integers(min_value=1, max_value=9),
    draw=st.floats(min_value=0, max_value=1, exclude_max=True),
    asked=st.integers(min_value=0, max_value=10**8),
)
def test_retry_after_never_makes_a_retry_earlier_nor_beyond_the_cap(
    attempt: int, draw: float, asked: int
) -> None:
    without = decide_delivery(outcome(429, attempt=attempt), rng=lambda: draw)
    with_header = decide_delivery(
        outcome(429, attempt=attempt, retry_after=str(asked)), rng=lambda: draw
    )

    assert without.retry_at is not None and with_header.retry_at is not None
    assert with_header.retry_at >= without.retry_at
    assert with_header.retry_at - NOW <= max(without.retry_at - NOW, timedelta(hours=24))


def test_same_seed_same_schedule() -> None:
    first = decide_delivery(outcome(500, attempt=4), rng=seeded().random)
    second = decide_delivery(outcome(500, attempt=4), rng=seeded().random)

    assert first == second


@pytest.mark.parametrize(
    ("first_failure_at", "disabled"),
    [
        (None, False),
        (NOW, False),
        (NOW - timedelta(days=4, hours=23, minutes=59), False),
        (NOW - timedelta(days=5), True),
        (NOW - timedelta(days=12), True),
    ],
)
def test_disable_after_five_days_of_continuous_failure(
    first_failure_at: datetime | None, disabled: bool
) -> None:
    assert should_disable_for_continuous_failure(first_failure_at, NOW) is disabled


def test_a_failure_on_the_fifth_day_of_a_streak_disables_the_endpoint() -> None:
    decision = decide_delivery(
        outcome(503, attempt=2, first_failure_at=NOW - timedelta(days=5)), rng=seeded().random
    )

    assert decision.disable_endpoint and decision.give_up
    assert decision.retry_at is None
    assert "failing for 5 days" in decision.reason


def test_a_success_after_a_long_streak_is_a_success() -> None:
    decision = decide_delivery(
        outcome(200, attempt=3, first_failure_at=NOW - timedelta(days=6)), rng=seeded().random
    )

    assert decision.succeeded and not decision.disable_endpoint


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("120", timedelta(seconds=120)),
        (" 7 ", timedelta(seconds=7)),
        ("0", timedelta(0)),
        (http_date(NOW + timedelta(minutes=90)), timedelta(minutes=90)),
        ("Mon, 02 Mar 2026 09:00:30 GMT", timedelta(seconds=30)),
        (http_date(NOW - timedelta(days=1)), timedelta(0)),
        ("-5", None),
        ("1.5", None),
        ("tomorrow", None),
        ("", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    "arguments",
    [
        {"status_code": 500, "error": FailureKind.NETWORK, "attempt": 1, "now": NOW},
        {"attempt": 1, "now": NOW},
        {"status_code": 500, "attempt": 0, "now": NOW},
        {"status_code": 500, "attempt": 1, "now": datetime(2026, 3, 2, 9, 0)},
    ],
    ids=["status-and-error", "neither", "attempt-zero", "naive-now"],
)
def test_malformed_outcomes_are_refused(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        DeliveryOutcome(**arguments)


def test_a_custom_policy_shortens_the_schedule() -> None:
    policy = RetryPolicy(delays=(timedelta(seconds=1),), jitter=0)

    first = decide_delivery(outcome(500, attempt=1), rng=seeded().random, policy=policy)
    second = decide_delivery(outcome(500, attempt=2), rng=seeded().random, policy=policy)

    assert first.retry_at == NOW + timedelta(seconds=1)
    assert second.give_up


# --- per-endpoint rate limit -----------------------------------------------------------------


def test_rate_limiter_allows_the_burst_then_spaces_requests() -> None:
    limiter = RateLimiter(rate_per_second=2, burst=2)

    first = limiter.acquire(now=NOW)
    second = first.limiter.acquire(now=NOW)
    third = second.limiter.acquire(now=NOW)

    assert first.allowed and second.allowed
    assert not third.allowed
    assert third.retry_at == NOW + timedelta(seconds=0.5)
    assert third.limiter.acquire(now=NOW + timedelta(seconds=0.5)).allowed


def test_rate_limiter_refills_no_further_than_the_burst() -> None:
    limiter = RateLimiter(rate_per_second=1, burst=3)
    drained = limiter
    for _ in range(3):
        drained = drained.acquire(now=NOW).limiter

    later = NOW + timedelta(hours=1)
    allowed = 0
    state = drained
    for _ in range(10):
        decision = state.acquire(now=later)
        allowed += decision.allowed
        state = decision.limiter

    assert allowed == 3


def test_rate_limiter_gains_nothing_when_the_clock_steps_back() -> None:
    drained = RateLimiter(rate_per_second=1).acquire(now=NOW).limiter

    decision = drained.acquire(now=NOW - timedelta(minutes=5))

    assert not decision.allowed


@given(
    rate=st.sampled_from([0.5, 1.0, 2.0, 10.0]),
    burst=st.integers(min_value=1, max_value=5),
    gaps=st.lists(st.integers(min_value=0, max_value=3000), min_size=1, max_size=60),
)
def test_rate_limiter_never_exceeds_burst_plus_rate_times_elapsed(
    rate: float, burst: int, gaps: list[int]
) -> None:
    limiter = RateLimiter(rate_per_second=rate, burst=burst)
    now = NOW
    allowed = 0
    for gap_ms in gaps:
        now += timedelta(milliseconds=gap_ms)
        decision = limiter.acquire(now=now)
        allowed += decision.allowed
        limiter = decision.limiter

    elapsed = (now - NOW).total_seconds()
    assert allowed <= burst + rate * elapsed + 1e-9


@pytest.mark.parametrize(
    "arguments",
    [
        {"rate_per_second": 0},
        {"rate_per_second": 1, "burst": 0.5},
        {"rate_per_second": 1, "tokens": 5},
    ],
)
def test_invalid_rate_limiters_are_refused(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RateLimiter(**arguments)
