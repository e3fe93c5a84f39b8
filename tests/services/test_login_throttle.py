"""Login throttling: the waits the policy gives, the keys addresses are counted under, and
failed logins counted exactly under concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pacetrack.bootstrap import Container
from pacetrack.db.repositories import login_failures
from pacetrack.db.tables_auth import AuditEvent
from pacetrack.services import auth
from pacetrack.services.auth import LoginRequest
from pacetrack.services.errors import Unauthenticated
from pacetrack.services.login_throttle import (
    LoginPolicy,
    Threshold,
    address_key,
    blocked_until,
    wait_after,
)
from tests.conftest import Login

POLICY = LoginPolicy(
    account=Threshold(free_failures=5, lock_failures=15),
    address=Threshold(free_failures=20, lock_failures=100),
    first_delay=timedelta(seconds=1),
    lock=timedelta(minutes=15),
    forget_after=timedelta(hours=1),
)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failures", "wait"),
    [
        (0, None),
        (4, None),
        (5, timedelta(seconds=1)),
        (6, timedelta(seconds=2)),
        (9, timedelta(seconds=16)),
        (14, timedelta(seconds=512)),
        (15, timedelta(minutes=15)),
        (500, timedelta(minutes=15)),
    ],
)
def test_the_wait_doubles_after_the_free_failures_up_to_the_lock(
    failures: int, wait: timedelta | None
) -> None:
    assert wait_after(POLICY, POLICY.account, failures) == wait


def test_a_doubling_wait_never_exceeds_the_lock() -> None:
    policy = LoginPolicy(
        account=Threshold(free_failures=1, lock_failures=1000),
        address=POLICY.address,
        first_delay=timedelta(seconds=1),
        lock=timedelta(minutes=15),
        forget_after=timedelta(hours=1),
    )

    assert wait_after(policy, policy.account, 999) == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("failures", "last_failed", "until"),
    [
        (5, NOW, NOW + timedelta(seconds=1)),
        (5, NOW - timedelta(seconds=1), None),
        (15, NOW - timedelta(minutes=14), NOW + timedelta(minutes=1)),
        (15, NOW - timedelta(minutes=15), None),
        (3, NOW, None),
    ],
)
def test_a_streak_holds_back_until_its_wait_after_the_last_failure_has_passed(
    failures: int, last_failed: datetime, until: datetime | None
) -> None:
    streak = login_failures.Streak(failures=failures, last_failed_at=last_failed)

    assert blocked_until(POLICY, POLICY.account, streak, now=NOW) == until


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_network(host: str, key: str) -> None:
    assert address_key(host) == key


def test_concurrent_failed_logins_are_each_counted(container: Container, admin: Login) -> None:
    attempts = 12
    policy = LoginPolicy(
        account=Threshold(free_failures=1000, lock_failures=1000),
        address=Threshold(free_failures=1000, lock_failures=1000),
        first_delay=timedelta(seconds=1),
        lock=timedelta(minutes=15),
        forget_after=timedelta(hours=1),
    )
    barrier = threading.Barrier(attempts)
    refused: list[bool] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            with container.uow() as uow:
                auth.login(
                    uow,
                    LoginRequest(tenant="acme", login="ada", password="wrong horse"),
                    ttl=timedelta(days=1),
                    policy=policy,
                    client_address="198.51.100.4",
                )
        except Unauthenticated:
            refused.append(True)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(refused) == attempts
    with container.uow() as uow:
        account = uow.login_failures.account_streak(
            tenant_id=admin.tenant_id, account_id=admin.account_id
        )
        address = uow.login_failures.address_streak(address="198.51.100.4")
        counts = sorted(
            event.details["failures"]
            for event in uow.session.scalars(
                select(AuditEvent).where(AuditEvent.kind == "login.failed")
            )
        )
    assert account is not None and account.failures == attempts
    assert address is not None and address.failures == attempts
    assert counts == list(range(1, attempts + 1))
