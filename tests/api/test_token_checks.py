"""Every request checks its bearer token in the database: a logout, an expiry, a revocation
or a deactivation holds in every server process from the moment it is committed, including
processes that accepted the token a moment before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from pacetrack.adapters.clock import FrozenClock
from pacetrack.adapters.passwords import hash_token
from pacetrack.bootstrap import Container, build
from pacetrack.db.tables import ApiToken
from pacetrack.db.tables_auth import AuditEvent
from pacetrack.services import auth
from pacetrack.settings import Settings
from pacetrack.web.app import create_app
from tests.conftest import Login


@pytest.fixture
def other_process(database_url: str, clock: FrozenClock) -> Iterator[TestClient]:
    """A second server on the same database: its own container, engine, pool and app,
    as another ``pacetrack serve`` worker process has."""
    settings = Settings(database_url=database_url, embedded_worker=False, _env_file=None)  # type: ignore[call-arg]
    second = build(settings, clock=clock)
    try:
        with TestClient(create_app(second), raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        second.close()


def me(client: TestClient, login: Login) -> int:
    return client.get("/api/account/me", headers=login.headers).status_code


def test_the_setting_to_reuse_checked_tokens_is_gone() -> None:
    assert "auth_cache_seconds" not in Settings.model_fields


def test_logout_stops_the_token_at_once_although_it_was_just_checked(
    client: TestClient, member: Login
) -> None:
    assert me(client, member) == 200

    assert client.post("/api/auth/logout", headers=member.headers).status_code == 204

    assert me(client, member) == 401


def test_a_logout_through_one_process_is_refused_at_once_by_another(
    client: TestClient, other_process: TestClient, member: Login
) -> None:
    assert me(other_process, member) == 200
    assert me(client, member) == 200

    assert client.post("/api/auth/logout", headers=member.headers).status_code == 204

    refused = other_process.get("/api/account/me", headers=member.headers)
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["detail"] == "Unknown or revoked token."


def test_a_revocation_written_by_another_program_is_refused_at_once(
    client: TestClient, container: Container, admin: Login
) -> None:
    assert me(client, admin) == 200
    # As the command line or another process would: a plain SQL update this app's
    # sessions never see.
    with container.engine.begin() as connection:
        connection.execute(
            update(ApiToken.__table__)  # type: ignore[arg-type]
            .where(ApiToken.__table__.c.token_hash == hash_token(admin.token))
            .values(revoked_at=container.clock.now())
        )

    assert me(client, admin) == 401


def test_a_deactivation_through_one_process_is_refused_at_once_by_another(
    client: TestClient, other_process: TestClient, admin: Login, member: Login
) -> None:
    assert me(other_process, member) == 200

    deactivated = client.post(
        "/api/account/deactivate", json={"id": str(member.account_id)}, headers=admin.headers
    )

    assert deactivated.status_code == 200, deactivated.text
    assert me(other_process, member) == 401
    assert me(client, member) == 401


def test_deactivating_revokes_the_tokens_so_reactivating_does_not_revive_them(
    client: TestClient, other_process: TestClient, container: Container, admin: Login
) -> None:
    created = client.post(
        "/api/account/create",
        json={"email": "temp@acme.example", "username": "temp", "password": "long enough"},
        headers=admin.headers,
    ).json()
    body = {"tenant": "acme", "login": "temp", "password": "long enough"}
    token = client.post("/api/auth/login", json=body).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert other_process.get("/api/account/me", headers=headers).status_code == 200

    client.post("/api/account/deactivate", json={"id": created["id"]}, headers=admin.headers)
    client.post("/api/account/reactivate", json={"id": created["id"]}, headers=admin.headers)

    assert other_process.get("/api/account/me", headers=headers).status_code == 401
    assert client.get("/api/account/me", headers=headers).status_code == 401
    fresh = other_process.post("/api/auth/login", json=body)
    assert fresh.status_code == 200
    fresh_headers = {"Authorization": f"Bearer {fresh.json()['token']}"}
    assert client.get("/api/account/me", headers=fresh_headers).status_code == 200
    with container.uow() as work:
        revoked = work.session.scalars(
            select(ApiToken.revoked_at).where(ApiToken.token_hash == hash_token(token))
        ).one()
        kinds = [
            (row.kind, row.details.get("revoked_tokens"))
            for row in work.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.account_id == uuid.UUID(created["id"]))
                .where(AuditEvent.kind.like("account.%"))
            )
        ]
    assert revoked == container.clock.now()
    assert sorted(kinds, key=str) == [("account.deactivated", 1), ("account.reactivated", None)]


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


def test_an_expired_token_is_refused_by_every_process_the_moment_it_expires(
    client: TestClient,
    other_process: TestClient,
    container: Container,
    clock: FrozenClock,
    admin: Login,
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
    clock.advance(timedelta(minutes=5) - timedelta(microseconds=1))
    assert other_process.get("/api/account/me", headers=headers).status_code == 200

    clock.advance(timedelta(microseconds=1))

    assert client.get("/api/account/me", headers=headers).status_code == 401
    expired = other_process.get("/api/account/me", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["detail"] == "The token has expired; log in again."


def test_a_logout_is_recorded_in_the_audit_trail_without_the_token(
    client: TestClient, container: Container, member: Login
) -> None:
    client.post("/api/auth/logout", headers=member.headers)

    with container.uow() as work:
        events = [
            (event.kind, event.account_id, event.client_address, event.details)
            for event in work.session.scalars(select(AuditEvent))
        ]
    assert len(events) == 1
    kind, account_id, address, details = events[0]
    assert (kind, account_id, address) == ("token.revoked", member.account_id, "testclient")
    assert details["reason"] == "logout"
    assert member.token not in str(details)
