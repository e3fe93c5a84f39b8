"""The caches belong to the Container that built them: its sessions carry them, another
Container keeps its own, OAuth tokens expire by its clock, and importing a module
registers nothing on SQLAlchemy's sessions."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from pacetrack.adapters.clock import FrozenClock
from pacetrack.adapters.oauth_tokens import usable_until
from pacetrack.bootstrap import Container, build
from pacetrack.db.tables import Step
from pacetrack.services.caches import caches_of
from pacetrack.services.step_configs import effective_config, field_specs, tenant_calendar
from pacetrack.services.tenants import create_tenant
from pacetrack.settings import Settings
from pacetrack.worker import Worker
from tests.services.moves_support import FieldDef, StepDef, build_pipeline, define_fields
from tests.support.token_server import TokenServer, cached_tokens

CONFIG = {
    "validations": [
        {"id": "cap", "type": "field_max_value", "field_id": "deal_value", "max_value": 1000}
    ]
}


@pytest.fixture
def other(database_url: str, clock: FrozenClock) -> Iterator[Container]:
    """A second Container on the same database, as a second server process would have."""
    settings = Settings(database_url=database_url, embedded_worker=False, _env_file=None)  # type: ignore[call-arg]
    built = build(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def acme(container: Container) -> uuid.UUID:
    with container.uow() as uow:
        tenant_id = create_tenant(uow, name="Acme", slug="acme").id
    define_fields(container, tenant_id, [FieldDef(name="deal_value", field_type="currency")])
    return tenant_id


def test_a_session_of_the_container_carries_its_caches_and_no_other_session_does(
    container: Container,
) -> None:
    with container.uow() as uow:
        assert caches_of(uow.session) is container.caches
    with Session(container.engine) as elsewhere, pytest.raises(RuntimeError):
        caches_of(elsewhere)


def test_two_containers_do_not_share_cache_state(
    container: Container, other: Container, acme: uuid.UUID
) -> None:
    pipeline = build_pipeline(container, acme, [StepDef(name="Qualify", config=CONFIG)])
    step_id = pipeline.steps["Qualify"]
    container.caches.clear()
    other.caches.clear()

    def read(owner: Container) -> tuple[object, object, object]:
        with owner.uow() as uow:
            step = uow.session.get(Step, (acme, step_id))
            assert step is not None
            return (
                effective_config(uow, tenant_id=acme, step=step),
                field_specs(uow, tenant_id=acme),
                tenant_calendar(uow, tenant_id=acme),
            )

    mine = read(container)
    assert len(container.caches.configs) == 1
    assert len(container.caches.versions) == 1
    assert len(other.caches) == 0

    theirs = read(other)
    assert theirs == mine
    assert all(a is not b for a, b in zip(theirs, mine, strict=True))
    assert read(container) == mine
    assert all(a is b for a, b in zip(read(container), mine, strict=True))

    container.caches.clear()
    assert len(container.caches) == 0
    assert all(a is b for a, b in zip(read(other), theirs, strict=True))
    assert container.caches.oauth_tokens is not other.caches.oauth_tokens
    assert Worker(container, mailer=None).clients.tokens is container.caches.oauth_tokens


def test_the_containers_token_cache_expires_a_token_by_its_clock_without_waiting(
    container: Container, clock: FrozenClock
) -> None:
    cache = container.caches.oauth_tokens
    with TokenServer(client_id="c", client_secret="s", expires_in=3600) as server:
        [first] = cached_tokens(server, ["endpoint"], cache=cache)
        expiry = usable_until(clock.now(), 3600)
        clock.advance(expiry - clock.now() - timedelta(seconds=1))
        assert cached_tokens(server, ["endpoint"], cache=cache) == [first]
        assert len(server.requests) == 1
        clock.advance(timedelta(seconds=1))
        assert len(cache) == 0
        [second] = cached_tokens(server, ["endpoint"], cache=cache)
        assert second != first
        assert len(server.requests) == 2


def test_importing_the_code_registers_no_session_listener(tmp_path: Path) -> None:
    probe = textwrap.dedent(
        f"""
        import importlib, pkgutil
        import pacetrack
        from sqlalchemy.orm import Session, SessionEvents

        for module in pkgutil.walk_packages(pacetrack.__path__, "pacetrack."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)

        def listeners(session):
            names = [n for n in dir(SessionEvents) if not n.startswith("_")]
            return {{
                name: len(getattr(session.dispatch, name))
                for name in names
                if hasattr(session.dispatch, name) and len(getattr(session.dispatch, name))
            }}

        assert listeners(Session()) == {{}}, listeners(Session())

        from pacetrack.bootstrap import build
        from pacetrack.settings import Settings

        settings = Settings(database_url="sqlite:///{tmp_path}/probe.db", _env_file=None)
        first = build(settings)
        registered = listeners(first.session_factory())
        assert registered, "a Container's sessions record changes and audit entries"
        second = build(settings)
        assert listeners(second.session_factory()) == registered
        assert listeners(first.session_factory()) == registered
        assert listeners(Session()) == {{}}
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
