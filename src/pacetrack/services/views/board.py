"""The board of a pipeline: per column the count of items and the exact total of the
template's money field (one grouped query), and the column's newest cards (one query of
per-column slices)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from pacetrack.db.repositories.item_views import ItemScope
from pacetrack.services.context import Actor
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.views.pipeline_view import (
    FieldValue,
    ItemFilters,
    Person,
    PipelineView,
    StepColumn,
    days_in_step,
    is_at_risk,
    load,
    scope,
)

CARDS_PER_COLUMN = 25
MORE_CARDS = 200


@dataclass(frozen=True, kw_only=True)
class Card:
    id: uuid.UUID
    version: int
    name: str
    owner: Person | None
    assignees: tuple[Person, ...]
    days_in_step: int
    at_risk: bool
    fields: tuple[FieldValue, ...]


@dataclass(frozen=True, kw_only=True)
class Column:
    step: StepColumn
    count: int
    total: Decimal | None
    cards: tuple[Card, ...]

    @property
    def hidden(self) -> int:
        """How many matching items the column does not show."""
        return self.count - len(self.cards)


@dataclass(frozen=True, kw_only=True)
class Board:
    view: PipelineView
    filters: ItemFilters
    columns: tuple[Column, ...]
    expanded: uuid.UUID | None

    @property
    def count(self) -> int:
        return sum(column.count for column in self.columns)


def _cards(
    uow: UnitOfWork, view: PipelineView, chosen: ItemScope, *, expanded: uuid.UUID | None
) -> dict[uuid.UUID, list[Card]]:
    limits = {
        step.id: MORE_CARDS if step.id == expanded else CARDS_PER_COLUMN for step in view.steps
    }
    by_step: dict[uuid.UUID, list[Card]] = {}
    for row in uow.item_views.column_cards(chosen, limits):
        if row.current_step_id is None:
            continue
        step = view.step(row.current_step_id)
        days = days_in_step(view, row.entered_at)
        by_step.setdefault(row.current_step_id, []).append(
            Card(
                id=row.id,
                version=row.version,
                name=row.name,
                owner=view.person(row.owner_account_id) if row.owner_account_id else None,
                assignees=view.assignees(row.assigned_account_ids),
                days_in_step=days,
                at_risk=is_at_risk(step, days),
                fields=view.values(view.card_fields, row.field_values or {}),
            )
        )
    return by_step


def board(
    uow: UnitOfWork,
    actor: Actor,
    instance_id: uuid.UUID,
    filters: ItemFilters,
    *,
    expanded: uuid.UUID | None = None,
) -> Board:
    """The pipeline's board; ``expanded`` names the column that shows more cards."""
    view = load(uow, actor, instance_id)
    if expanded is not None and view.step(expanded) is None:
        expanded = None
    chosen = scope(actor, view, filters)
    money = view.money_field
    totals = uow.item_views.column_totals(
        chosen, money_field=money.name if money is not None else None
    )
    cards = _cards(uow, view, chosen, expanded=expanded)
    columns = tuple(
        Column(
            step=step,
            count=totals.get(step.id, (0, None))[0],
            total=totals.get(step.id, (0, Decimal(0) if view.money_field else None))[1],
            cards=tuple(cards.get(step.id, [])),
        )
        for step in view.steps
    )
    return Board(view=view, filters=filters, columns=columns, expanded=expanded)
