"""Domain events: what happened to an item, in the past tense.

Services emit them when they change an item; ``services.side_effects`` turns
them into durable side effects (outbox rows, timers) in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class ItemEvent:
    item_id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class ItemCreated(ItemEvent):
    step_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class StepEntered(ItemEvent):
    step_id: uuid.UUID
    history_id: uuid.UUID
    from_step_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class StepExited(ItemEvent):
    step_id: uuid.UUID
    history_id: uuid.UUID
    to_step_id: uuid.UUID | None


@dataclass(frozen=True, kw_only=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True, kw_only=True)
class FieldsChanged(ItemEvent):
    step_id: uuid.UUID | None
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, kw_only=True)
class ItemAssigned(ItemEvent):
    """Accounts newly assigned to the item (``added``) and those taken off (``removed``)."""

    step_id: uuid.UUID | None
    added: tuple[uuid.UUID, ...]
    removed: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AssignmentUnresolved(ItemEvent):
    """An assignment rule of the step found nobody eligible; the item is left unassigned."""

    step_id: uuid.UUID
    rule_type: str
    reason: str


DomainEvent = (
    ItemCreated | StepEntered | StepExited | FieldsChanged | ItemAssigned | AssignmentUnresolved
)
