"""The change feed: a commit announces what it wrote, a rollback (of the whole transaction or
of a savepoint) announces nothing of what it undid; on both databases."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

from pacetrack.bootstrap import Container
from pacetrack.db import changes
from pacetrack.db.changes import Change
from pacetrack.db.tables import Item
from pacetrack.services import auth, items
from pacetrack.services.items import ItemCreate
from tests.conftest import Login
from tests.services.moves_support import StepDef, build_pipeline


def create(container: Container, admin: Login, name: str) -> uuid.UUID:
    pipeline = build_pipeline(container, admin.tenant_id, [StepDef(name="Lead")])
    with container.uow() as work:
        actor = auth.authenticate(work, admin.token)
    with container.uow() as work:
        created = items.create_item(
            work, actor, ItemCreate(pipeline_instance_id=pipeline.instance_id, name=name)
        )
    return created.id


def test_a_rolled_back_savepoint_is_not_announced_and_the_rest_is(
    container: Container, admin: Login
) -> None:
    kept = create(container, admin, "Kept")
    undone = create(container, admin, "Undone")
    with container.uow() as work:
        session = work.session
        savepoint = session.begin_nested()
        row = session.get(Item, (admin.tenant_id, undone))
        assert row is not None
        row.name, row.version = "Renamed", row.version + 1
        session.flush()
        savepoint.rollback()
        row = session.get(Item, (admin.tenant_id, kept))
        assert row is not None
        row.name, row.version = "Renamed", row.version + 1
        session.flush()

        announced = changes.take(session)

    assert [(c.kind, c.item_id, c.version) for c in announced] == [("item.updated", kept, 2)]


def test_only_committed_transactions_reach_a_subscriber(container: Container, admin: Login) -> None:
    item = create(container, admin, "Deal")

    async def scenario() -> Change | None:
        subscription = container.feed.subscribe()
        assert await asyncio.to_thread(container.feed.ready, 30), "the LISTEN did not start"

        def write() -> None:
            with container.uow() as work:  # left without commit: rolled back
                row = work.session.get(Item, (admin.tenant_id, item))
                assert row is not None
                row.name, row.version = "Never", 5
                work.session.flush()
            with container.uow() as work:
                row = work.session.get(Item, (admin.tenant_id, item))
                assert row is not None
                row.name, row.version = "Committed", 2
                work.commit()

        await asyncio.to_thread(write)
        try:
            return await subscription.next(30)
        finally:
            subscription.close()

    # On a thread of its own: a browser test earlier in the same process may have left its
    # event loop set on this one, where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as thread:
        first = thread.submit(asyncio.run, scenario()).result(timeout=120)

    assert first is not None
    assert (first.kind, first.item_id, first.version) == ("item.updated", item, 2)


def test_a_change_survives_the_round_trip_through_its_notify_payload() -> None:
    change = Change(
        kind=changes.ITEM_MOVED,
        tenant_id=uuid.uuid4(),
        pipeline_id=uuid.uuid4(),
        item_id=uuid.uuid4(),
        step_id=uuid.uuid4(),
        version=7,
    )

    assert Change.decode(change.encode()) == change
