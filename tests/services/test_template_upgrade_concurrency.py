"""An upgrade running while 20 items are being moved loses no move and leaves every item in
a step of one version, with one open stay at that step (threads on a real database:
PostgreSQL's row locks, SQLite's serialised writers)."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import select

from pacetrack.bootstrap import Container
from pacetrack.db.tables import ItemStepHistory
from pacetrack.services import items, moves, pipelines, template_upgrade
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
from pacetrack.services.moves import MoveItem
from tests.conftest import Login
from tests.services.moves_support import StepDef, actor_for, build_pipeline
from tests.services.test_template_upgrade import delete_step, new_item, publish_draft

MOVERS = 20


def test_an_upgrade_during_twenty_moves_loses_none(container: Container, admin: Login) -> None:
    actor: Actor = actor_for(admin.tenant_id, admin.account_id, "admin")
    pipeline = build_pipeline(
        container, admin.tenant_id, [StepDef(name="New"), StepDef(name="Won"), StepDef(name="Old")]
    )
    item_ids = [new_item(container, actor, pipeline, f"Deal {n}") for n in range(MOVERS)]
    delete_step(container, actor, pipeline.step_templates["Old"])
    publish_draft(container, actor, pipeline)
    # Half the items go to the step version 2 removes, half to one it keeps.
    targets = {
        item_id: pipeline.step("Old" if n % 2 else "Won") for n, item_id in enumerate(item_ids)
    }
    barrier = threading.Barrier(MOVERS + 1)
    outcome: dict[uuid.UUID, str] = {}
    errors: list[BaseException] = []

    def mover(item_id: uuid.UUID) -> None:
        barrier.wait()
        try:
            with container.uow() as uow:
                moves.move_item(uow, actor, MoveItem(id=item_id, step_id=targets[item_id]))
            outcome[item_id] = "moved"
        except InvalidInput:
            outcome[item_id] = "refused"  # the upgrade came first: "Old" is gone
        except BaseException as exc:
            errors.append(exc)

    def upgrader() -> None:
        barrier.wait()
        try:
            with container.uow() as uow:
                template_upgrade.upgrade_instance(
                    uow,
                    actor,
                    pipeline.instance_id,
                    step_mapping={pipeline.step_templates["Old"]: pipeline.step_templates["Won"]},
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=mover, args=(item_id,)) for item_id in item_ids]
    threads.append(threading.Thread(target=upgrader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with container.uow() as uow:
        instance = pipelines.get_instance(uow, actor, pipeline.instance_id)
        running = {step.id for step in instance.steps or []}
        final = {
            item_id: items.get_item(uow, actor, item_id).item.current_step_id
            for item_id in item_ids
        }
        stays = uow.session.execute(
            select(ItemStepHistory.item_id, ItemStepHistory.step_id).where(
                ItemStepHistory.tenant_id == admin.tenant_id, ItemStepHistory.exited_at.is_(None)
            )
        ).all()
    assert instance.template_version == 2
    assert running == {pipeline.step("New"), pipeline.step("Won")}
    for item_id in item_ids:
        # A move either happened (its item is where it went, or where the upgrade mapped
        # "Old" to) or was refused with a reason; none is lost.
        expected = pipeline.step("Won") if outcome[item_id] == "moved" else pipeline.step("New")
        assert final[item_id] == expected, outcome[item_id]
    assert sorted(stays) == sorted(final.items())
    assert set(outcome) == set(item_ids)
