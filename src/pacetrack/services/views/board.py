"""The board of a pipeline: per column the count of items and the exact total of the
template's money field (one grouped query), and the column's newest cards (one query of
per-column slices)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, desc, func, select, union_all

from pacetrack.db.tables import Item
from pacetrack.services.context import Actor
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.views.pipeline_view import (
    ROW_COLUMNS,
    FieldValue,
    ItemFilters,
    Person,
    PipelineView,
    StepColumn,
    conditions,
    days_in_step,
    is_at_risk,
    load,
    money_sum,
    with_stay,
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


def _totals(
    uow: UnitOfWork, actor: Actor, view: PipelineView, filters: ItemFilters
) -> dict[uuid.UUID | None, tuple[int, Decimal | None]]:
    session = uow.session
    money = view.money_field
    columns: list[Any] = [Item.current_step_id, func.count()]
    unit = Decimal(1)
    if money is not None:
        total, unit = money_sum(session, money.name)
        columns.append(total)
    statement = (
        with_stay(select(*columns).select_from(Item), filters)
        .where(*conditions(session, actor, view, filters))
        .group_by(Item.current_step_id)
    )
    answer: dict[uuid.UUID | None, tuple[int, Decimal | None]] = {}
    for row in session.execute(statement):
        step_id, count, *summed = row
        total_value = Decimal(summed[0] or 0) * unit if money is not None else None
        answer[step_id] = (int(count), total_value)
    return answer


def _slice(
    uow: UnitOfWork,
    actor: Actor,
    view: PipelineView,
    filters: ItemFilters,
    step_id: uuid.UUID,
    limit: int,
) -> Select[tuple[object, ...]]:
    session = uow.session
    return (
        with_stay(select(*ROW_COLUMNS).select_from(Item), filters)
        .where(*conditions(session, actor, view, filters), Item.current_step_id == step_id)
        .order_by(desc(Item.created_at), Item.id)
        .limit(limit)
    )


def _cards(
    uow: UnitOfWork,
    actor: Actor,
    view: PipelineView,
    filters: ItemFilters,
    *,
    expanded: uuid.UUID | None,
) -> dict[uuid.UUID, list[Card]]:
    slices = [
        _slice(
            uow,
            actor,
            view,
            filters,
            step.id,
            MORE_CARDS if step.id == expanded else CARDS_PER_COLUMN,
        ).subquery()
        for step in view.steps
    ]
    if not slices:
        return {}
    statement = union_all(*(select(*part.c) for part in slices))
    by_step: dict[uuid.UUID, list[Card]] = {}
    rows = sorted(
        uow.session.execute(statement).all(),
        key=lambda row: (row.created_at, row.id),
        reverse=True,
    )
    for row in rows:
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
    totals = _totals(uow, actor, view, filters)
    cards = _cards(uow, actor, view, filters, expanded=expanded)
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
