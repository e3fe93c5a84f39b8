"""The list of a pipeline's items: sortable columns, the board's filters, 50 a page, and
every matching row for the CSV export (streamed in the same order)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Numeric, Select, String, case, cast, desc, func, select
from sqlalchemy.orm import Session

from pacetrack.db.tables import Account, Item, ItemStepHistory
from pacetrack.engine.fields import NUMERIC_TYPES
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
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
    field_text,
    is_at_risk,
    load,
    with_stay,
)

PAGE_SIZE = 50
STREAM_BATCH = 1000
FIELD_SORT = "field:"
FIXED_SORTS = ("name", "step", "owner", "assignees", "days")
Direction = Literal["asc", "desc"]


@dataclass(frozen=True, kw_only=True)
class Sort:
    key: str = "name"
    direction: Direction = "asc"


@dataclass(frozen=True, kw_only=True)
class Row:
    id: uuid.UUID
    version: int
    name: str
    step: StepColumn | None
    owner: Person | None
    assignees: tuple[Person, ...]
    days_in_step: int
    at_risk: bool
    values: tuple[FieldValue, ...]
    raw_values: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ItemList:
    view: PipelineView
    filters: ItemFilters
    sort: Sort
    rows: tuple[Row, ...]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def checked_sort(view: PipelineView, key: str, direction: str) -> Sort:
    """The sort ``key`` and ``direction`` ask for (422 naming ``sort`` or ``direction``)."""
    shown = {f"{FIELD_SORT}{spec.name}" for spec in view.shown_fields}
    if key not in FIXED_SORTS and key not in shown:
        raise InvalidInput.one("sort", "the list cannot be sorted by that column")
    if direction not in ("asc", "desc"):
        raise InvalidInput.one("direction", "must be asc or desc")
    return Sort(key=key, direction="asc" if direction == "asc" else "desc")


def _first_assignee_name(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
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


def _sort_expression(session: Session, view: PipelineView, sort: Sort) -> Any:
    if sort.key == "name":
        return func.lower(Item.name)
    if sort.key == "step":
        return case({step.id: step.position for step in view.steps}, value=Item.current_step_id)
    if sort.key == "owner":
        return (
            select(func.lower(Account.display_name))
            .where(Account.tenant_id == Item.tenant_id, Account.id == Item.owner_account_id)
            .scalar_subquery()
        )
    if sort.key == "assignees":
        return _first_assignee_name(session)
    if sort.key == "days":
        # More days in the step is an earlier entry.
        return ItemStepHistory.entered_at
    spec = view.fields[sort.key.removeprefix(FIELD_SORT)]
    text = field_text(session, spec.name)
    return cast(text, Numeric) if spec.field_type in NUMERIC_TYPES else text


def _statement(
    session: Session, actor: Actor, view: PipelineView, filters: ItemFilters, sort: Sort
) -> Select[Any]:
    expression = _sort_expression(session, view, sort)
    ascending = sort.direction == "asc"
    if sort.key == "days":
        ascending = not ascending
    ordered = expression.asc() if ascending else expression.desc()
    if sort.key != "name":
        # Items without the value come last either way (a name is never missing, and the
        # name index serves both directions only without the clause).
        ordered = ordered.nulls_last()
    statement = with_stay(
        select(*ROW_COLUMNS).select_from(Item), filters, sorted_by_stay=sort.key == "days"
    )
    return statement.where(*conditions(session, actor, view, filters)).order_by(
        ordered, desc(Item.created_at), Item.id
    )


def _row(view: PipelineView, row: Any) -> Row:
    step = view.step(row.current_step_id)
    days = days_in_step(view, row.entered_at)
    stored = dict(row.field_values or {})
    return Row(
        id=row.id,
        version=row.version,
        name=row.name,
        step=step,
        owner=view.person(row.owner_account_id) if row.owner_account_id else None,
        assignees=view.assignees(row.assigned_account_ids),
        days_in_step=days,
        at_risk=is_at_risk(step, days),
        values=view.values(view.shown_fields, stored),
        raw_values=stored,
    )


def _count(session: Session, actor: Actor, view: PipelineView, filters: ItemFilters) -> int:
    statement = with_stay(select(func.count()).select_from(Item), filters)
    return session.scalar(statement.where(*conditions(session, actor, view, filters))) or 0


def item_list(
    uow: UnitOfWork,
    actor: Actor,
    instance_id: uuid.UUID,
    filters: ItemFilters,
    *,
    sort_key: str = "name",
    direction: str = "asc",
    page: int = 1,
) -> ItemList:
    """One page of the pipeline's matching items (a page past the last shows the last)."""
    session = uow.session
    view = load(uow, actor, instance_id)
    sort = checked_sort(view, sort_key, direction)
    total = _count(session, actor, view, filters)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    statement = (
        _statement(session, actor, view, filters, sort)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = tuple(_row(view, row) for row in session.execute(statement))
    return ItemList(view=view, filters=filters, sort=sort, rows=rows, total=total, page=page)


def export_view(
    uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID, *, sort_key: str, direction: str
) -> tuple[PipelineView, Sort]:
    """What an export needs before its first row (404, 422 before anything is streamed)."""
    view = load(uow, actor, instance_id)
    return view, checked_sort(view, sort_key, direction)


def all_rows(
    uow: UnitOfWork, actor: Actor, view: PipelineView, filters: ItemFilters, sort: Sort
) -> Iterator[Row]:
    """Every matching item in the list's order, read in batches."""
    session = uow.session
    statement = _statement(session, actor, view, filters, sort).execution_options(
        yield_per=STREAM_BATCH
    )
    for row in session.execute(statement):
        yield _row(view, row)
