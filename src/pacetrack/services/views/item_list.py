"""The list of a pipeline's items: sortable columns, the board's filters, 50 a page, and
every matching row for the CSV export (streamed in the same order)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pacetrack.db.repositories.item_views import ItemOrder, ItemRow
from pacetrack.engine.fields import NUMERIC_TYPES
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
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


def _order(view: PipelineView, sort: Sort) -> ItemOrder:
    ascending = sort.direction == "asc"
    if sort.key == "days":
        # More days in the step is an earlier entry.
        return ItemOrder(key="entered", ascending=not ascending)
    if sort.key == "step":
        positions = {step.id: step.position for step in view.steps}
        return ItemOrder(key="step", ascending=ascending, positions=positions)
    if sort.key == "name":
        return ItemOrder(key="name", ascending=ascending)
    if sort.key == "owner":
        return ItemOrder(key="owner", ascending=ascending)
    if sort.key == "assignees":
        return ItemOrder(key="assignees", ascending=ascending)
    spec = view.fields[sort.key.removeprefix(FIELD_SORT)]
    return ItemOrder(
        key="field",
        ascending=ascending,
        field_name=spec.name,
        numeric=spec.field_type in NUMERIC_TYPES,
    )


def _row(view: PipelineView, row: ItemRow) -> Row:
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
    view = load(uow, actor, instance_id)
    sort = checked_sort(view, sort_key, direction)
    chosen = scope(actor, view, filters)
    total = uow.item_views.count(chosen)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    found = uow.item_views.page(
        chosen, _order(view, sort), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    rows = tuple(_row(view, row) for row in found)
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
    chosen = scope(actor, view, filters)
    for row in uow.item_views.stream(chosen, _order(view, sort), batch=STREAM_BATCH):
        yield _row(view, row)
