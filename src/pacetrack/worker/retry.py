"""How long a failed job waits before its next attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta


def backoff(
    attempts: int,
    *,
    base_seconds: float,
    cap_seconds: float,
    rng: Callable[[], float],
) -> timedelta:
    """Exponential backoff with jitter: ``base * 2^(attempts-1)``, capped, times 0.5 to 1.5.

    Jitter spreads jobs that failed together (an SMTP outage) so they do not
    all come back in the same second.
    """
    nominal = min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=nominal * (0.5 + rng()))
