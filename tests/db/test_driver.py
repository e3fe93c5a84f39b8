"""Driver-level statements (``db.driver``): the session's transaction, SQLAlchemy's errors,
and rows attached as ORM objects as if a query had loaded them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, exc, insert, select

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container, build
from pacetrack.db.driver import DriverStatement, attach, columns_of, fetch_all
from pacetrack.db.tables import Activity, Tenant
from pacetrack.services.tenants import create_tenant
from pacetrack.settings import Settings
from tests.support.databases import migrated_database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

_LOG = DriverStatement(
    insert(Activity)
    .values(
        tenant_id=bindparam("tenant_id"),
        id=bindparam("id"),
        item_id=None,
        actor_account_id=None,
        kind="test.logged",
        data=bindparam("data"),
        created_at=bindparam("now"),
    )
    .returning(Activity.id, Activity.kind, Activity.data),
    json_params=("data",),
)


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """PostgreSQL only: the driver path is taken for psycopg; on SQLite the same
    statements run through SQLAlchemy, which the move tests cover on both databases."""
    with migrated_database("postgresql", tmp_path_factory.mktemp("driver")) as url:
        settings = Settings(database_url=url, embedded_worker=False, _env_file=None)  # type: ignore[call-arg]
        built = build(settings, clock=FrozenClock(NOW))
        yield built
        built.close()


def _tenant(container: Container) -> uuid.UUID:
    with container.uow() as uow:
        return create_tenant(uow, name="Driver", slug=f"driver-{uuid.uuid4().hex[:8]}").id


def test_a_driver_statement_runs_in_the_session_transaction(postgres: Container) -> None:
    tenant_id = _tenant(postgres)
    kept, dropped = uuid.uuid4(), uuid.uuid4()
    with postgres.uow() as uow:
        rows = fetch_all(
            uow.session,
            _LOG,
            {"tenant_id": tenant_id, "id": dropped, "data": {"n": "1.50"}, "now": NOW},
        )
        assert rows == [(dropped, "test.logged", {"n": "1.50"})]
        uow.session.rollback()
        fetch_all(uow.session, _LOG, {"tenant_id": tenant_id, "id": kept, "data": {}, "now": NOW})
        uow.commit()
    with postgres.uow() as uow:
        stored = uow.session.scalars(select(Activity.id).where(Activity.tenant_id == tenant_id))
        assert set(stored) == {kept}


def test_a_driver_error_is_sqlalchemys_error_and_the_session_recovers(
    postgres: Container,
) -> None:
    tenant_id = _tenant(postgres)
    row_id = uuid.uuid4()
    params = {"tenant_id": tenant_id, "id": row_id, "data": {}, "now": NOW}
    with postgres.uow() as uow:
        fetch_all(uow.session, _LOG, params)
        uow.commit()
        with pytest.raises(exc.IntegrityError, match="pk_activity"):
            fetch_all(uow.session, _LOG, params)
        uow.session.rollback()
        kind = uow.session.scalar(select(Activity.kind).where(Activity.id == row_id))
        assert kind == "test.logged"


def test_attach_gives_a_clean_object_of_the_session(container: Container) -> None:
    with container.uow() as uow:
        tenant = create_tenant(uow, name="Acme", slug="acme")
    with container.uow() as uow:
        session = uow.session
        row = session.execute(select(*columns_of(Tenant)).where(Tenant.id == tenant.id)).one()
        attached = attach(session, Tenant, row)
        assert attached in session
        assert (attached.name, attached.slug) == ("Acme", "acme")
        assert not session.dirty and not session.is_modified(attached)
        assert session.get(Tenant, tenant.id) is attached
        attached.name = "Acme Ltd"
        uow.commit()
    with container.uow() as uow:
        assert uow.session.get(Tenant, tenant.id).name == "Acme Ltd"  # type: ignore[union-attr]


def test_attach_refreshes_the_object_the_session_already_holds(container: Container) -> None:
    with container.uow() as uow:
        tenant = create_tenant(uow, name="Acme", slug="acme")
    with container.uow() as uow:
        session = uow.session
        held = session.get(Tenant, tenant.id)
        assert held is not None
        row = list(session.execute(select(*columns_of(Tenant)).where(Tenant.id == tenant.id)).one())
        row[[column.key for column in columns_of(Tenant)].index("name")] = "Renamed elsewhere"
        assert attach(session, Tenant, row) is held
        assert held.name == "Renamed elsewhere"
        assert not session.is_modified(held)
