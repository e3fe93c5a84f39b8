"""The configuration audit at the unit of work: who acted, one entry per entity, savepoints."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import Role, Tenant
from pacetrack.db.tables_auth import ConfigAuditEntry
from pacetrack.db.tables_automations import WebhookEndpoint
from pacetrack.services.context import ADMIN, Actor, system_actor
from pacetrack.services.people import accounts
from pacetrack.services.people.accounts import RoleCreate
from pacetrack.services.webhooks import new_endpoint
from tests.conftest import Login


def entries(container: Container, kind: str) -> list[ConfigAuditEntry]:
    with container.uow() as uow:
        rows = list(
            uow.session.scalars(
                select(ConfigAuditEntry)
                .where(ConfigAuditEntry.entity_kind == kind)
                .order_by(ConfigAuditEntry.at)
            ).all()
        )
        uow.session.expunge_all()  # readable after the unit of work
        return rows


def admin_actor(login: Login) -> Actor:
    return Actor(tenant_id=login.tenant_id, account_id=login.account_id, roles=frozenset({ADMIN}))


def test_a_unit_of_work_without_an_actor_records_the_system(
    container: Container, admin: Login
) -> None:
    with container.uow() as uow:
        accounts.create_role(uow, system_actor(admin.tenant_id), RoleCreate(name="nightly"))

    (entry,) = [row for row in entries(container, "role") if row.entity_name == "nightly"]
    assert entry.actor_account_id is None
    assert entry.at == container.clock.now()


def test_act_as_records_the_actor(container: Container, admin: Login) -> None:
    with container.uow() as uow:
        accounts.create_role(
            uow.act_as(admin_actor(admin)), admin_actor(admin), RoleCreate(name="x")
        )

    (entry,) = [row for row in entries(container, "role") if row.entity_name == "x"]
    assert entry.actor_account_id == admin.account_id


def test_an_actor_of_another_tenant_is_not_recorded(
    container: Container, admin: Login, other_admin: Login
) -> None:
    with container.uow() as uow:
        uow.act_as(admin_actor(other_admin))
        accounts.create_role(uow, system_actor(admin.tenant_id), RoleCreate(name="crossed"))

    (entry,) = [row for row in entries(container, "role") if row.entity_name == "crossed"]
    assert entry.actor_account_id is None


def test_changes_over_several_flushes_are_one_entry_with_the_last_state(
    container: Container, admin: Login
) -> None:
    with container.uow() as uow:
        role = Role(tenant_id=admin.tenant_id, id=uuid.uuid4(), name="draft", description="")
        uow.session.add(role)
        uow.flush()
        role.name = "final"
        uow.flush()
        role.description = "after two flushes"
        uow.commit()

    (entry,) = [row for row in entries(container, "role") if row.entity_id == role.id]
    assert entry.action == "created"
    assert entry.after == {"name": "final", "description": "after two flushes"}


def test_what_a_rolled_back_savepoint_wrote_leaves_no_entry(
    container: Container, admin: Login
) -> None:
    with container.uow() as uow:
        savepoint = uow.session.begin_nested()
        uow.session.add(Role(tenant_id=admin.tenant_id, id=uuid.uuid4(), name="undone"))
        tenant = uow.session.get(Tenant, admin.tenant_id)
        assert tenant is not None
        tenant.currency = "JPY"
        uow.session.flush()
        savepoint.rollback()
        uow.session.add(Role(tenant_id=admin.tenant_id, id=uuid.uuid4(), name="kept"))
        uow.commit()

    names = [row.entity_name for row in entries(container, "role")]
    assert "kept" in names and "undone" not in names
    assert entries(container, "tenant_settings") == []


def test_a_change_of_no_configuration_column_records_nothing(
    container: Container, admin: Login, clock: FrozenClock
) -> None:
    with container.uow() as uow:
        endpoint = new_endpoint(
            uow.session,
            tenant_id=admin.tenant_id,
            url="https://hooks.example/in",
            now=uow.clock.now(),
            owner_account_id=None,
            description="",
            auto_registered=True,
        )
        uow.commit()
    with container.uow() as uow:
        row = uow.session.get(WebhookEndpoint, (admin.tenant_id, endpoint.id))
        assert row is not None
        row.rate_tokens = 3.0
        row.first_failure_at = uow.clock.now()
        uow.commit()
    with container.uow() as uow:
        row = uow.session.get(WebhookEndpoint, (admin.tenant_id, endpoint.id))
        assert row is not None
        clock.advance(timedelta(minutes=1))
        row.is_enabled = False
        row.disabled_reason = "410 Gone"
        uow.commit()

    created, disabled = entries(container, "webhook_endpoint")
    assert created.action == "created" and created.actor_account_id is None
    assert disabled.before == {"is_enabled": True, "disabled_reason": None}
    assert disabled.after == {"is_enabled": False, "disabled_reason": "410 Gone"}
