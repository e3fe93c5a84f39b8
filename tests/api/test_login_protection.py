"""Failed logins slow guessing down, then stop it for a while, per account and per client
address; every login, failure and lockout is in the tenant's audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Account
from pacetrack.services import auth
from pacetrack.web.app import create_app
from tests.conftest import Login, make_login

PASSWORD = "correct horse"
WRONG = "wrong horse"


def log_in(client: TestClient, login: str, password: str, *, tenant: str = "acme") -> Any:
    return client.post(
        "/api/auth/login", json={"tenant": tenant, "login": login, "password": password}
    )


def fail(client: TestClient, login: str, times: int = 1, *, tenant: str = "acme") -> None:
    for _ in range(times):
        assert log_in(client, login, WRONG, tenant=tenant).status_code == 401


def tune(container: Container, **values: object) -> None:
    container.settings = container.settings.model_copy(update=values)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many password hashes the login service has checked (the real checks run)."""
    calls = [0]
    for name in ("verify_password", "verify_against_nothing"):
        real = getattr(auth, name)

        def counted(*args: Any, _real: Any = real) -> Any:
            calls[0] += 1
            return _real(*args)

        monkeypatch.setattr(auth, name, counted)
    return lambda: calls[0]


def audit_events(client: TestClient, admin: Login, **params: int) -> list[dict[str, Any]]:
    response = client.get("/api/audit/list", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def test_after_five_failures_a_login_is_refused_without_checking_the_password(
    client: TestClient, admin: Login, verifications: Callable[[], int]
) -> None:
    fail(client, "ada", 5)
    checked = verifications()

    throttled = log_in(client, "ada", PASSWORD)

    assert checked == 5
    assert throttled.status_code == 429
    assert throttled.headers["content-type"].startswith("application/problem+json")
    assert throttled.headers["retry-after"] == "1"
    body = throttled.json()
    assert body["status"] == 429
    assert body["title"] == "Too many requests"
    assert body["retry_after"] == 1
    assert body["detail"] == (
        "Too many failed logins for this account or from this address; try again in 1 second."
    )
    assert verifications() == checked
    failures = [e for e in audit_events(client, admin) if e["kind"] == "login.failed"]
    assert sorted(event["details"]["failures"] for event in failures) == [1, 2, 3, 4, 5]


def test_each_further_failure_doubles_the_wait(
    client: TestClient, clock: FrozenClock, admin: Login
) -> None:
    fail(client, "ada", 5)
    waits = []
    for _ in range(4):
        refused = log_in(client, "ada", WRONG)
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        clock.advance(timedelta(seconds=waits[-1]))
        fail(client, "ada")

    clock.advance(timedelta(seconds=10))
    almost = log_in(client, "ada", PASSWORD)

    assert waits == [1, 2, 4, 8]
    assert almost.status_code == 429
    assert almost.headers["retry-after"] == "6"
    assert almost.json()["detail"].endswith("try again in 6 seconds.")


def test_a_lock_lasts_its_time_then_the_right_password_works_again(
    client: TestClient, container: Container, clock: FrozenClock, admin: Login
) -> None:
    tune(container, login_free_failures=2, login_lock_failures=4, login_lock_seconds=900)
    fail(client, "ada", 2)
    for _ in range(2):
        clock.advance(timedelta(seconds=int(log_in(client, "ada", WRONG).headers["retry-after"])))
        fail(client, "ada")

    locked = log_in(client, "ada", PASSWORD)
    clock.advance(timedelta(seconds=899))
    still = log_in(client, "ada", PASSWORD)
    clock.advance(timedelta(seconds=1))
    again = log_in(client, "ada", PASSWORD)

    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "900"
    assert locked.json()["detail"].endswith("try again in 15 minutes.")
    assert still.status_code == 429
    assert still.headers["retry-after"] == "1"
    assert again.status_code == 200, again.text
    lockouts = [e for e in audit_events(client, admin) if e["kind"] == "login.locked"]
    assert len(lockouts) == 1
    assert lockouts[0]["account_id"] == str(admin.account_id)
    assert lockouts[0]["details"]["scope"] == "account"
    assert lockouts[0]["details"]["failures"] == 4


def test_a_successful_login_ends_the_accounts_streak(client: TestClient, admin: Login) -> None:
    fail(client, "ada", 4)
    assert log_in(client, "ada", PASSWORD).status_code == 200

    fail(client, "ada", 4)

    assert log_in(client, "ada", PASSWORD).status_code == 200


def test_a_streak_is_forgotten_after_an_hour_without_failures(
    client: TestClient, clock: FrozenClock, admin: Login
) -> None:
    fail(client, "ada", 5)
    assert log_in(client, "ada", WRONG).status_code == 429

    clock.advance(timedelta(hours=1))
    fail(client, "ada", 4)

    assert log_in(client, "ada", PASSWORD).status_code == 200


def test_failures_from_one_address_hold_back_every_account_and_tenant_from_it(
    client: TestClient, container: Container, admin: Login, member: Login, other_admin: Login
) -> None:
    tune(container, login_address_free_failures=3)
    fail(client, "ada")
    fail(client, "max")
    fail(client, "nobody", tenant="no-such-tenant")

    from_here = log_in(client, "gus", PASSWORD, tenant="globex")
    with TestClient(create_app(container), client=("203.0.113.7", 40000)) as elsewhere:
        from_elsewhere = log_in(elsewhere, "gus", PASSWORD, tenant="globex")

    assert from_here.status_code == 429
    assert from_here.headers["retry-after"] == "1"
    assert from_elsewhere.status_code == 200, from_elsewhere.text
    globex = audit_events(client, other_admin)
    assert [(e["kind"], e["client_address"]) for e in globex] == [
        ("login.succeeded", "203.0.113.7")
    ]
    acme = audit_events(client, admin)
    assert [e["kind"] for e in acme] == ["login.failed", "login.failed"]


def test_an_unknown_account_counts_for_its_address_and_is_recorded_without_its_name(
    client: TestClient, container: Container, admin: Login
) -> None:
    tune(container, login_address_free_failures=2)
    fail(client, "typed-my-password-here", 2)

    assert log_in(client, "ada", PASSWORD).status_code == 429
    events = audit_events(client, admin)
    assert [(e["kind"], e["account_id"], e["details"]) for e in events] == [
        ("login.failed", None, {"reason": "unknown account"})
    ] * 2
    assert "typed-my-password-here" not in str(events)


def test_the_audit_trail_lists_logins_failures_and_lockouts_newest_first(
    client: TestClient, container: Container, clock: FrozenClock, admin: Login, member: Login
) -> None:
    tune(container, login_free_failures=1, login_lock_failures=1)
    clock.advance(timedelta(seconds=1))
    token = log_in(client, "max", PASSWORD).json()["token"]
    clock.advance(timedelta(seconds=1))
    fail(client, "ada")
    clock.advance(timedelta(seconds=1))
    client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})

    listed = client.get("/api/audit/list", headers=admin.headers)
    page = client.get("/api/audit/list", params={"limit": 2, "offset": 1}, headers=admin.headers)
    denied = client.get("/api/audit/list", headers=member.headers)

    assert listed.status_code == 200
    body = listed.json()
    kinds = [(e["kind"], e["account_id"]) for e in body["events"]]
    assert kinds[0] == ("token.revoked", str(member.account_id))
    # The failure and the lockout it caused are one transaction, at one moment.
    assert set(kinds[1:3]) == {
        ("login.failed", str(admin.account_id)),
        ("login.locked", str(admin.account_id)),
    }
    assert kinds[3] == ("login.succeeded", str(member.account_id))
    details = {e["kind"]: e["details"] for e in body["events"]}
    assert details["login.failed"] == {"reason": "wrong password", "failures": 1}
    assert details["login.locked"] == {
        "scope": "account",
        "failures": 1,
        "until": "2026-03-02T09:15:02+00:00",
    }
    assert body["total"] == 4
    assert {e["client_address"] for e in body["events"]} == {"testclient"}
    assert [e["at"] for e in body["events"]] == sorted(
        (e["at"] for e in body["events"]), reverse=True
    )
    assert PASSWORD not in listed.text and WRONG not in listed.text and token not in listed.text
    assert page.json()["events"] == body["events"][1:3]
    assert (page.json()["limit"], page.json()["offset"]) == (2, 1)
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")
    assert denied.json()["detail"] == "Only admins can read the audit trail."


def test_the_audit_list_refuses_a_limit_out_of_range(client: TestClient, admin: Login) -> None:
    response = client.get("/api/audit/list", params={"limit": 0}, headers=admin.headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


@pytest.mark.production_password_cost
def test_a_hash_made_with_other_argon2_parameters_is_replaced_at_the_next_login(
    client: TestClient, container: Container, clock: FrozenClock, admin: Login
) -> None:
    old = PasswordHasher().hash(PASSWORD)  # argon2-cffi's defaults: m=65536, t=3, p=4
    with container.uow() as work:
        row = work.session.get(Account, (admin.tenant_id, admin.account_id))
        assert row is not None
        row.password_hash = old
        work.commit()

    first = log_in(client, "ada", PASSWORD)
    clock.advance(timedelta(seconds=1))
    second = log_in(client, "ada", PASSWORD)

    with container.uow() as work:
        now = work.session.scalars(
            select(Account.password_hash).where(Account.id == admin.account_id)
        ).one()
    assert first.status_code == 200 and second.status_code == 200
    assert "$m=65536,t=3,p=4$" in old
    assert now is not None and now.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    successes = [e for e in audit_events(client, admin) if e["kind"] == "login.succeeded"]
    assert [e["details"] for e in successes] == [{}, {"password_rehashed": True}]  # newest first


def test_the_login_page_tells_the_person_to_wait(client: TestClient, admin: Login) -> None:
    fail(client, "ada", 5)
    client.get("/login")
    csrf = client.cookies.get("pacetrack_login_csrf")

    page = client.post(
        "/login",
        data={"tenant": "acme", "login": "ada", "password": PASSWORD, "csrf_token": csrf or ""},
        follow_redirects=False,
    )

    assert page.status_code == 429
    assert page.headers["retry-after"] == "1"
    assert "Too many failed logins for this account or from this address" in page.text
    assert "pacetrack_token" not in page.headers.get("set-cookie", "")


def test_a_deactivated_account_logging_in_counts_as_a_failure(
    client: TestClient, container: Container, admin: Login
) -> None:
    other = make_login(container, slug="acme", username="leaver", roles=["member"])
    body = {"id": str(other.account_id)}
    client.post("/api/account/deactivate", json=body, headers=admin.headers)

    refused = log_in(client, "leaver", PASSWORD)

    assert refused.status_code == 401
    failed = [e for e in audit_events(client, admin) if e["kind"] == "login.failed"]
    assert [(e["account_id"], e["details"]) for e in failed] == [
        (str(other.account_id), {"reason": "deactivated account", "failures": 1})
    ]
