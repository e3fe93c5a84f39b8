"""Slowing down, then stopping, password guessing.

Failed logins are counted per account and per client address in the database,
so every server process sees the same streak. After ``free_failures`` failures
each attempt must wait ``first_delay`` after the last failure, doubling with each
further failure; at ``lock_failures`` the account (or the address) is locked for
``lock``. A throttled attempt is refused before its password is checked, so
guessing stops costing the server a password hash too. A successful login ends
the account's streak; an address's streak, like any streak, is forgotten after
``forget_after`` without a failure (a success from an address proves nothing
about the other accounts tried from it).
"""

from __future__ import annotations

import ipaddress
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pacetrack.db.repositories.login_failures import Streak
from pacetrack.db.tables_auth import ADDRESS_LENGTH
from pacetrack.services.errors import ServiceError
from pacetrack.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class Threshold:
    free_failures: int
    """Failures that cost nothing but the failure."""
    lock_failures: int
    """Failures that lock for ``LoginPolicy.lock``."""


@dataclass(frozen=True, kw_only=True)
class LoginPolicy:
    account: Threshold
    address: Threshold
    first_delay: timedelta
    lock: timedelta
    """How long a lock lasts after the failure that caused it; also the longest wait."""
    forget_after: timedelta


class LoginThrottled(ServiceError):
    """Too many failed logins; try again later."""

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(
            "Too many failed logins for this account or from this address; "
            f"try again in {_in_words(retry_after)}."
        )
        self.retry_after = retry_after

    @property
    def problem_extra(self) -> dict[str, int]:
        return {"retry_after": self.retry_after}

    @property
    def problem_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def wait_after(policy: LoginPolicy, threshold: Threshold, failures: int) -> timedelta | None:
    """How long after the last of ``failures`` failures the next attempt must wait."""
    if failures >= threshold.lock_failures:
        return policy.lock
    if failures >= threshold.free_failures:
        doublings = min(failures - threshold.free_failures, 40)
        delay: timedelta = policy.first_delay * (2**doublings)
        return min(delay, policy.lock)
    return None


def blocked_until(
    policy: LoginPolicy, threshold: Threshold, streak: Streak | None, *, now: datetime
) -> datetime | None:
    """Until when a streak holds attempts back, or None when it does not (now)."""
    if streak is None or streak.last_failed_at <= now - policy.forget_after:
        return None
    wait = wait_after(policy, threshold, streak.failures)
    if wait is None or streak.last_failed_at + wait <= now:
        return None
    return streak.last_failed_at + wait


def address_key(host: str) -> str:
    """The key an address is counted under. An IPv6 client usually holds a whole /64
    network, so the network is counted, not each of its addresses."""
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        return host[:ADDRESS_LENGTH]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


def check(
    uow: UnitOfWork,
    policy: LoginPolicy,
    *,
    address: str,
    account: tuple[uuid.UUID, uuid.UUID] | None,
) -> None:
    """Raises LoginThrottled while the address or the account (tenant id, account id)
    must wait."""
    now = uow.clock.now()
    failures = uow.login_failures
    untils = [
        blocked_until(policy, policy.address, failures.address_streak(address=address), now=now)
    ]
    if account is not None:
        tenant_id, account_id = account
        streak = failures.account_streak(tenant_id=tenant_id, account_id=account_id)
        untils.append(blocked_until(policy, policy.account, streak, now=now))
    latest = max((until for until in untils if until is not None), default=None)
    if latest is not None:
        raise LoginThrottled(retry_after=max(1, math.ceil((latest - now).total_seconds())))


@dataclass(frozen=True, kw_only=True)
class Counted:
    """The streaks after one more failure, and the locks it started."""

    address_failures: int
    account_failures: int | None
    address_locked_until: datetime | None
    account_locked_until: datetime | None


def count_failure(
    uow: UnitOfWork,
    policy: LoginPolicy,
    *,
    address: str,
    account: tuple[uuid.UUID, uuid.UUID] | None,
) -> Counted:
    now = uow.clock.now()
    forget_before = now - policy.forget_after
    address_failures = uow.login_failures.count_address_failure(
        address=address, now=now, forget_before=forget_before
    )
    account_failures = None
    if account is not None:
        tenant_id, account_id = account
        account_failures = uow.login_failures.count_account_failure(
            tenant_id=tenant_id,
            account_id=account_id,
            now=now,
            forget_before=forget_before,
        )

    def locked(threshold: Threshold, failures: int | None) -> datetime | None:
        if failures is None or failures < threshold.lock_failures:
            return None
        return now + policy.lock

    return Counted(
        address_failures=address_failures,
        account_failures=account_failures,
        address_locked_until=locked(policy.address, address_failures),
        account_locked_until=locked(policy.account, account_failures),
    )


def forget_account(uow: UnitOfWork, *, tenant_id: uuid.UUID, account_id: uuid.UUID) -> None:
    uow.login_failures.forget_account_failures(tenant_id=tenant_id, account_id=account_id)
