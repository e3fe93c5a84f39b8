"""Round robin under concurrent entries: the locked cursor spreads work exactly evenly."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

from pacetrack.bootstrap import Container
from pacetrack.db import repository
from pacetrack.db.tables import Item
from pacetrack.services import assignment_rules
from tests.services.assignments_support import make_world

ENTRIES = 20


def test_twenty_concurrent_entries_are_spread_exactly_evenly_over_four_members(
    container: Container,
) -> None:
    world = make_world(container)
    for name in ("sdr_1", "sdr_2", "sdr_3", "sdr_4"):
        world.add_person(name)
    world.add_person("sdr_away", active=False)
    world.add_group("sdr_team", ["sdr_1", "sdr_2", "sdr_3", "sdr_4", "sdr_away"])
    world.add_step("Start")
    world.add_step("Lead", assignments=[{"type": "round_robin", "id": "sdr_team"}])
    items = [world.add_item(f"Deal {n}", step="Start") for n in range(ENTRIES)]
    barrier = threading.Barrier(ENTRIES)
    errors: list[BaseException] = []

    def enter(item_id: uuid.UUID) -> None:
        try:
            barrier.wait(timeout=30)
            with container.uow() as uow:
                item = repository.get_for_update(
                    uow.session, Item, tenant_id=world.tenant_id, id=item_id
                )
                assert item is not None
                step = world.enter(uow, item, "Lead")
                _step, config = world.step(uow, "Lead")
                assignment_rules.assign_on_entry(
                    uow, actor=world.actor(), item=item, step=step, config=config
                )
                uow.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=enter, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    chosen = [world.assignees(item) for item in items]
    assert all(len(names) == 1 for names in chosen), chosen
    assert Counter(names[0] for names in chosen) == {
        "sdr_1": 5,
        "sdr_2": 5,
        "sdr_3": 5,
        "sdr_4": 5,
    }
