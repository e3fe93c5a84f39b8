"""The reads of a pipeline's board and list: per-column counts and money totals, each
column's newest cards, a sorted page of items and every matching item in that order.

Every read is of the items a ``ItemScope`` picks, and reads the open stay (when the item
entered its current step) as a correlated subquery: PostgreSQL runs it only for the rows
a page shows, after sorting and limiting. What filters or sorts by the stay over every
item joins it instead (one hash join is cheaper there than a subquery per item).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    Select,
    String,
    and_,
    case,
    cast,
    desc,
    false,
    func,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql

from pacetrack.db.repositories.base import Repository
from pacetrack.db.repositories.dialect import is_postgres
from pacetrack.db.tables import Account, Item, ItemStepHistory

ListKey = Literal["name", "step", "owner", "assignees", "entered", "field"]


@dataclass(frozen=True, kw_only=True)
class ItemScope:
    """Which items of one pipeline a board or list shows."""

    tenant_id: uuid.UUID
    instance_id: uuid.UUID
    statuses: tuple[str, ...]
    owner: uuid.UUID | None = None
    assignee: uuid.UUID | None = None
    name_contains: str = ""
    entered_by: Mapping[uuid.UUID, datetime] | None = None
    """Only items that entered their step at or before the step's moment (a step not
    named: none of its items); None: no such filter."""


@dataclass(frozen=True, kw_only=True)
class ItemOrder:
    """The order of a list: by ``key`` (``field``: the stored value of field
    ``field_name``, as a number when ``numeric``; ``step``: the steps' ``positions``), then
    newest first. Items without the value come last either way."""

    key: ListKey
    ascending: bool
    field_name: str | None = None
    numeric: bool = False
    positions: Mapping[uuid.UUID, int] = field(default_factory=dict)


class ItemRow(NamedTuple):
    """What a card and a list row are made of."""

    id: uuid.UUID
    version: int
    name: str
    current_step_id: uuid.UUID | None
    owner_account_id: uuid.UUID | None
    assigned_account_ids: list[Any] | None
    field_values: dict[str, Any] | None
    created_at: datetime
    entered_at: datetime | None


class AccountName(NamedTuple):
    id: uuid.UUID
    display_name: str | None
    username: str
    active: bool


_ENTERED_AT = (
    select(ItemStepHistory.entered_at)
    .where(
        ItemStepHistory.tenant_id == Item.tenant_id,
        ItemStepHistory.item_id == Item.id,
        ItemStepHistory.exited_at.is_(None),
    )
    .correlate(Item)
    .scalar_subquery()
)

_OPEN_STAY = and_(
    ItemStepHistory.tenant_id == Item.tenant_id,
    ItemStepHistory.item_id == Item.id,
    ItemStepHistory.exited_at.is_(None),
)

_ROW_COLUMNS = (
    Item.id,
    Item.version,
    Item.name,
    Item.current_step_id,
    Item.owner_account_id,
    Item.assigned_account_ids,
    Item.field_values,
    Item.created_at,
    _ENTERED_AT.label("entered_at"),
)


def _with_stay(statement: Select[Any], scope: ItemScope, *, sorted_by_stay: bool = False) -> Any:
    needed = scope.entered_by is not None or sorted_by_stay
    return statement.outerjoin(ItemStepHistory, _OPEN_STAY) if needed else statement


def _entered_by(limits: Mapping[uuid.UUID, datetime]) -> ColumnElement[bool]:
    chosen = [
        and_(Item.current_step_id == step_id, moment >= ItemStepHistory.entered_at)
        for step_id, moment in limits.items()
    ]
    return or_(*chosen) if chosen else false()


class ItemViewRepository(Repository):
    def _postgres(self) -> bool:
        return is_postgres(self.session)

    def _assigned_to(self, account_id: uuid.UUID) -> ColumnElement[bool]:
        wanted = str(account_id)
        if self._postgres():
            return type_coerce(Item.assigned_account_ids, postgresql.JSONB).contains([wanted])
        members = func.json_each(Item.assigned_account_ids).table_valued("value")
        return select(1).select_from(members).where(members.c.value == wanted).exists()

    def _field_text(self, name: str) -> ColumnElement[Any]:
        """A field's stored value as text (NULL when the item has none)."""
        if self._postgres():
            text: ColumnElement[Any] = type_coerce(Item.field_values, postgresql.JSONB)[name].astext
            return text
        return func.json_extract(Item.field_values, f"$.{name}")

    def _money_sum(self, name: str) -> tuple[ColumnElement[Any], Decimal]:
        """The exact sum of a currency field and the unit it is counted in.

        PostgreSQL sums ``numeric``. SQLite has no exact decimal type, so it sums whole
        cents as integers: a stored currency value always has exactly two decimal places."""
        text = self._field_text(name)
        if self._postgres():
            return func.sum(cast(text, Numeric)), Decimal(1)
        cents = case(
            (func.instr(text, ".") == 0, cast(text, Integer) * 100),
            else_=cast(func.replace(text, ".", ""), Integer),
        )
        return func.sum(cents), Decimal("0.01")

    def _where(self, scope: ItemScope) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [
            Item.tenant_id == scope.tenant_id,
            Item.pipeline_instance_id == scope.instance_id,
        ]
        statuses = scope.statuses
        where.append(
            Item.status == statuses[0] if len(statuses) == 1 else Item.status.in_(statuses)
        )
        if scope.owner is not None:
            where.append(Item.owner_account_id == scope.owner)
        if scope.assignee is not None:
            where.append(self._assigned_to(scope.assignee))
        if scope.name_contains:
            where.append(Item.name.icontains(scope.name_contains, autoescape=True))
        if scope.entered_by is not None:
            where.append(_entered_by(scope.entered_by))
        return where

    # --- the board -----------------------------------------------------------------------

    def column_totals(
        self, scope: ItemScope, *, money_field: str | None
    ) -> dict[uuid.UUID | None, tuple[int, Decimal | None]]:
        """Per step: how many items, and the exact total of ``money_field`` (one grouped
        query; no total without a money field)."""
        columns: list[Any] = [Item.current_step_id, func.count()]
        unit = Decimal(1)
        if money_field is not None:
            total, unit = self._money_sum(money_field)
            columns.append(total)
        statement = (
            _with_stay(select(*columns).select_from(Item), scope)
            .where(*self._where(scope))
            .group_by(Item.current_step_id)
        )
        answer: dict[uuid.UUID | None, tuple[int, Decimal | None]] = {}
        for step_id, count, *summed in self.session.execute(statement):
            total_value = Decimal(summed[0] or 0) * unit if money_field is not None else None
            answer[step_id] = (int(count), total_value)
        return answer

    def column_cards(self, scope: ItemScope, limits: Mapping[uuid.UUID, int]) -> list[ItemRow]:
        """The newest ``limits[step]`` items of each step, newest first (one query of
        per-step slices)."""
        slices = [
            _with_stay(select(*_ROW_COLUMNS).select_from(Item), scope)
            .where(*self._where(scope), Item.current_step_id == step_id)
            .order_by(desc(Item.created_at), Item.id)
            .limit(limit)
            .subquery()
            for step_id, limit in limits.items()
        ]
        if not slices:
            return []
        statement = union_all(*(select(*part.c) for part in slices))
        rows = [ItemRow(*row) for row in self.session.execute(statement)]
        return sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)

    # --- the list ------------------------------------------------------------------------

    def count(self, scope: ItemScope) -> int:
        statement = _with_stay(select(func.count()).select_from(Item), scope)
        return self.session.scalar(statement.where(*self._where(scope))) or 0

    def page(self, scope: ItemScope, order: ItemOrder, *, limit: int, offset: int) -> list[ItemRow]:
        statement = self._listed(scope, order).limit(limit).offset(offset)
        return [ItemRow(*row) for row in self.session.execute(statement)]

    def stream(self, scope: ItemScope, order: ItemOrder, *, batch: int) -> Iterator[ItemRow]:
        """Every matching item in ``order``, read ``batch`` rows at a time."""
        statement = self._listed(scope, order).execution_options(yield_per=batch)
        for row in self.session.execute(statement):
            yield ItemRow(*row)

    def _listed(self, scope: ItemScope, order: ItemOrder) -> Select[Any]:
        expression = self._sort_expression(order)
        ordered = expression.asc() if order.ascending else expression.desc()
        if order.key != "name":
            # A name is never missing, and the name index serves both directions only
            # without the clause.
            ordered = ordered.nulls_last()
        statement = _with_stay(
            select(*_ROW_COLUMNS).select_from(Item), scope, sorted_by_stay=order.key == "entered"
        )
        listed: Select[Any] = statement.where(*self._where(scope)).order_by(
            ordered, desc(Item.created_at), Item.id
        )
        return listed

    def _sort_expression(self, order: ItemOrder) -> Any:
        if order.key == "name":
            return func.lower(Item.name)
        if order.key == "step":
            return case(dict(order.positions), value=Item.current_step_id)
        if order.key == "owner":
            return (
                select(func.lower(Account.display_name))
                .where(Account.tenant_id == Item.tenant_id, Account.id == Item.owner_account_id)
                .scalar_subquery()
            )
        if order.key == "assignees":
            return self._first_assignee_name()
        if order.key == "entered":
            return ItemStepHistory.entered_at
        assert order.field_name is not None
        text = self._field_text(order.field_name)
        return cast(text, Numeric) if order.numeric else text

    def _first_assignee_name(self) -> Any:
        if self._postgres():
            first = func.jsonb_extract_path_text(Item.assigned_account_ids, "0")
            account = cast(Account.id, String) == first
        else:
            first = func.json_extract(Item.assigned_account_ids, "$[0]")
            account = Account.id == func.replace(first, "-", "")
        return (
            select(func.lower(Account.display_name))
            .where(Account.tenant_id == Item.tenant_id, account)
            .scalar_subquery()
        )

    # --- what the views show beside the items --------------------------------------------

    def account_names(self, tenant_id: uuid.UUID) -> list[AccountName]:
        """Every account of the tenant with the names a view shows for it."""
        rows = self.session.execute(
            select(Account.id, Account.display_name, Account.username, Account.is_active).where(
                Account.tenant_id == tenant_id
            )
        )
        return [AccountName(*row) for row in rows]

    def item_names(
        self, tenant_id: uuid.UUID, instance_id: uuid.UUID, item_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """The names of those of ``item_ids`` that are items of the pipeline."""
        rows = self.session.execute(
            select(Item.id, Item.name).where(
                Item.tenant_id == tenant_id,
                Item.pipeline_instance_id == instance_id,
                Item.id.in_(list(item_ids)),
            )
        )
        return {item_id: name for item_id, name in rows}
