"""Bearer tokens checked by this process are reused for a few seconds (auth_cache_seconds);
a revocation, deactivation or role change made through this process applies to the very
next request, and one made elsewhere within the bound."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from pacetrack.adapters.clock import FrozenClock
from pacetrack.adapters.passwords import hash_token
from pacetrack.bootstrap import Container
from pacetrack.db.tables import ApiToken
from pacetrack.services import auth
from pacetrack.services.errors import Unauthenticated
from tests.conftest import Login


def test_the_api_runs_with_the_token_check_reused(container: Container) -> None:
    assert container.settings.auth_cache_seconds > 0


def test_logout_stops_the_token_at_once_although_it_was_just_checked(
    client: TestClient, member: Login
) -> None:
    assert client.get("/api/account/me", headers=member.headers).status_code == 200

    assert client.post("/api/auth/logout", headers=member.headers).status_code == 204

    assert client.get("/api/account/me", headers=member.headers).status_code == 401


def test_a_role_change_applies_to_the_next_request(
    client: TestClient, admin: Login, member: Login
) -> None:
    before = client.get("/api/account/list", headers=member.headers)
    denied = client.post(
        "/api/role/create", json={"name": "auditor"}, headers=member.headers
    ).status_code

    promoted = client.post(
        "/api/account/update",
        json={"id": str(member.account_id), "roles": ["admin"]},
        headers=admin.headers,
    )
    allowed = client.post("/api/role/create", json={"name": "auditor"}, headers=member.headers)

    assert before.status_code == 200
    assert denied == 403
    assert promoted.status_code == 200, promoted.text
    assert allowed.status_code == 201, allowed.text


def test_an_expired_token_is_refused_even_when_checked_moments_ago(
    client: TestClient, container: Container, clock: FrozenClock, admin: Login
) -> None:
    with container.uow() as work:
        issued = auth.issue_token(
            work,
            tenant_id=admin.tenant_id,
            account_id=admin.account_id,
            name="short",
            ttl=timedelta(minutes=5),
        )
        work.commit()
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/api/account/me", headers=headers).status_code == 200

    clock.advance(timedelta(minutes=5))

    assert client.get("/api/account/me", headers=headers).status_code == 401


def _revoke_outside_the_orm(container: Container, token: str) -> None:
    """As another process would: a plain SQL update this process's sessions never see."""
    with container.engine.begin() as connection:
        connection.execute(
            update(ApiToken.__table__)  # type: ignore[arg-type]
            .where(ApiToken.__table__.c.token_hash == hash_token(token))
            .values(revoked_at=container.clock.now())
        )


def test_a_revocation_by_another_process_waits_for_the_bound_or_a_reset(
    container: Container, admin: Login
) -> None:
    def check() -> object:
        with container.uow() as work:
            return auth.authenticate(work, admin.token, cache_seconds=60)

    assert check() is not None
    _revoke_outside_the_orm(container, admin.token)

    still = check()
    auth.forget_checked_tokens()

    assert still is not None
    with pytest.raises(Unauthenticated):
        check()


def test_a_revocation_by_another_process_is_seen_once_the_bound_has_passed(
    container: Container, admin: Login
) -> None:
    def accepted() -> bool:
        try:
            with container.uow() as work:
                auth.authenticate(work, admin.token, cache_seconds=0.2)
        except Unauthenticated:
            return False
        return True

    assert accepted()
    _revoke_outside_the_orm(container, admin.token)

    deadline = time.monotonic() + 10
    while accepted() and time.monotonic() < deadline:
        time.sleep(0.05)

    assert not accepted()
