"""Many rows at once (``db.bulk.insert_many``): ``COPY`` on PostgreSQL, an executemany on
SQLite; the same rows either way, in the caller's transaction."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import exc, select

from pacetrack.bootstrap import Container
from pacetrack.db import bulk
from pacetrack.db.outbox import job_values
from pacetrack.db.tables_delivery import Outbox
from pacetrack.services.tenants import create_tenant


def _tenant(container: Container) -> uuid.UUID:
    with container.uow() as uow:
        return create_tenant(uow, name="Bulk", slug=f"bulk-{uuid.uuid4().hex[:6]}").id


def test_rows_with_json_documents_and_times_are_stored_as_given(container: Container) -> None:
    tenant_id = _tenant(container)
    now = container.clock.now()
    payloads = [{"n": n, "text": "tab\tnew line\n\\ “quoted”", "list": [1, None]} for n in range(5)]
    rows = [job_values(tenant_id=tenant_id, kind="test.bulk", payload=p, now=now) for p in payloads]
    with container.uow() as uow:
        bulk.insert_many(uow.session, Outbox.__table__, rows)
        uow.commit()
    with container.uow() as uow:
        stored = {
            row.id: row
            for row in uow.session.scalars(select(Outbox).where(Outbox.tenant_id == tenant_id))
        }
        assert {row.id: row.payload for row in stored.values()} == {
            row["id"]: row["payload"] for row in rows
        }
        assert {row.available_at for row in stored.values()} == {now}
        assert {row.status for row in stored.values()} == {"pending"}


def test_a_column_left_out_gets_its_default(container: Container) -> None:
    tenant_id = _tenant(container)
    row = job_values(tenant_id=tenant_id, kind="test.bulk", payload={}, now=container.clock.now())
    del row["status"], row["attempts"]
    with container.uow() as uow:
        bulk.insert_many(uow.session, Outbox.__table__, [row])
        uow.commit()
    with container.uow() as uow:
        stored = uow.session.get(Outbox, (tenant_id, row["id"]))
        assert stored is not None
        assert (stored.status, stored.attempts) == ("pending", 0)


def test_a_row_that_breaks_a_constraint_raises_sqlalchemys_error(container: Container) -> None:
    tenant_id = _tenant(container)
    row = job_values(tenant_id=tenant_id, kind="test.bulk", payload={}, now=container.clock.now())
    with container.uow() as uow, pytest.raises(exc.IntegrityError):
        bulk.insert_many(uow.session, Outbox.__table__, [row, dict(row)])
