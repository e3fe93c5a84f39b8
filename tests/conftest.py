"""Shared fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container, build
from pacetrack.db.tables import Tenant
from pacetrack.services.tenants import AccountSpec, create_account_with_token, create_tenant
from pacetrack.settings import Settings
from pacetrack.web.app import create_app
from tests.support.databases import migrated_database, wipe

BACKENDS = ("sqlite", "postgresql")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday

# The cheapest argon2id parameters: the suite hashes a password for nearly every test,
# and at the production cost (19 MiB, 2 passes) that was a large part of its time. Set in
# the environment, so the settings of every container and of every process a test
# starts (``pacetrack`` commands, servers, workers) read them. Tests marked
# ``production_password_cost`` get the production parameters (the settings' defaults).
TEST_PASSWORD_COST = {
    "PACETRACK_PASSWORD_MEMORY_KIB": "8",
    "PACETRACK_PASSWORD_TIME_COST": "1",
    "PACETRACK_PASSWORD_PARALLELISM": "1",
}
PASSWORD_SETTINGS = ("password_memory_kib", "password_time_cost", "password_parallelism")


def pytest_configure(config: pytest.Config) -> None:
    os.environ.update(TEST_PASSWORD_COST)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database of each kind, shared by the tests of one session."""
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def production_password_settings() -> dict[str, object]:
    """The settings' own defaults for the password cost, whatever the environment says."""
    return {name: Settings.model_fields[name].default for name in PASSWORD_SETTINGS}


@pytest.fixture
def container(
    request: pytest.FixtureRequest, database_url: str, clock: FrozenClock
) -> Iterator[Container]:
    # Tests drive the worker themselves (``Worker.run_once``/``drain``).
    settings = Settings(database_url=database_url, embedded_worker=False, _env_file=None)  # type: ignore[call-arg]
    if request.node.get_closest_marker("production_password_cost") is not None:
        settings = settings.model_copy(update=production_password_settings())
    built = build(settings, clock=clock)
    wipe(built.engine)
    yield built
    built.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass(frozen=True)
class Login:
    """A tenant member with a token, ready to call the API."""

    tenant_id: uuid.UUID
    tenant_slug: str
    account_id: uuid.UUID
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_login(container: Container, *, slug: str, username: str, roles: list[str]) -> Login:
    with container.uow() as uow:
        exists = uow.session.scalars(select(Tenant).where(Tenant.slug == slug)).first()
        if exists is None:
            create_tenant(uow, name=slug.title(), slug=slug)
    with container.uow() as uow:
        account, token = create_account_with_token(
            uow,
            tenant_slug=slug,
            spec=AccountSpec(
                email=f"{username}@{slug}.example",
                username=username,
                password="correct horse",
                roles=roles,
            ),
            token_ttl=None,
        )
    return Login(
        tenant_id=token.tenant_id, tenant_slug=slug, account_id=account.id, token=token.token
    )


@pytest.fixture
def admin(container: Container) -> Login:
    return make_login(container, slug="acme", username="ada", roles=["admin"])


@pytest.fixture
def member(container: Container, admin: Login) -> Login:
    return make_login(container, slug="acme", username="max", roles=["member"])


@pytest.fixture
def other_admin(container: Container) -> Login:
    return make_login(container, slug="globex", username="gus", roles=["admin"])
