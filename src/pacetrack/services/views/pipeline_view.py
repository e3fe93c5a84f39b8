"""What the board and the list know about a pipeline before reading its items: its steps
(with target and colour), the template's board setting, the tenant's fields, people and
currency; and the filter conditions both read models share."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    ColumnElement,
    Integer,
    Numeric,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from pacetrack.db.tables import Account, Item, ItemStepHistory
from pacetrack.engine.fields import FieldSpec, FieldType
from pacetrack.engine.ids import as_uuid
from pacetrack.engine.money import format_money, format_number
from pacetrack.services import access
from pacetrack.services.board_setting import BoardSetting, stored_board
from pacetrack.services.config_schema import step_settings
from pacetrack.services.context import Actor
from pacetrack.services.fields import load_field_specs
from pacetrack.services.input_types import PlainStr
from pacetrack.services.step_configs import tenant_calendar
from pacetrack.services.tenant_settings import tenant_currency
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.version_steps import instance_running_steps, version_board

SECONDS_PER_DAY = 86_400
ItemStatusFilter = Literal["open", "completed", "archived", "any"]
STATUSES_SHOWN: dict[str, tuple[str, ...]] = {
    "open": ("active",),
    "completed": ("completed",),
    "archived": ("archived",),
    "any": ("active", "completed", "archived"),
}
"""The item statuses each status filter shows (a deleted item is never shown)."""


class ItemFilters(BaseModel):
    """The filters the board, the list and the CSV export share (kept in the page's URL)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    assignee: uuid.UUID | None = Field(default=None, description="Items assigned to this account")
    owner: uuid.UUID | None = Field(default=None, description="Items owned by this account")
    at_risk: bool = Field(default=False, description="Only items past their step's target")
    q: PlainStr = Field(default="", max_length=200, description="Text in the item's name")
    status: ItemStatusFilter = Field(
        default="open", description="open, completed, archived, or any of them"
    )

    @property
    def active(self) -> bool:
        return bool(
            self.assignee or self.owner or self.at_risk or self.q.strip() or self.status != "open"
        )


@dataclass(frozen=True, kw_only=True)
class StepColumn:
    id: uuid.UUID
    name: str
    position: int
    target_days: int | None
    color: str | None
    icon: str | None
    # Entering the step completes an item: its items leave the open view.
    terminal: bool = False


@dataclass(frozen=True, kw_only=True)
class Person:
    id: uuid.UUID
    name: str
    active: bool = True

    @cached_property
    def initials(self) -> str:
        # Worked out once per person, not once per card they appear on.
        words = [word for word in self.name.replace("_", " ").replace(".", " ").split() if word]
        letters = "".join(word[0] for word in words[:2]) or self.name[:1]
        return letters.upper()


@dataclass(frozen=True, kw_only=True)
class FieldValue:
    name: str
    label: str
    text: str


@dataclass(frozen=True, kw_only=True)
class PipelineView:
    instance_id: uuid.UUID
    instance_name: str
    steps: tuple[StepColumn, ...]
    setting: BoardSetting
    fields: Mapping[str, FieldSpec]
    people: Mapping[uuid.UUID, Person]
    currency: str
    time_zone: str
    now: datetime

    @property
    def money_field(self) -> FieldSpec | None:
        name = self.setting.money_field
        spec = self.fields.get(name) if name else None
        return spec if spec is not None and spec.field_type is FieldType.CURRENCY else None

    @property
    def shown_fields(self) -> tuple[FieldSpec, ...]:
        """The fields the list shows: the money field, then the card fields."""
        names = [self.setting.money_field, *self.setting.card_fields]
        chosen = [
            self.fields[n] for n in dict.fromkeys(names) if n is not None and n in self.fields
        ]
        return tuple(chosen)

    @property
    def card_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(self.fields[n] for n in self.setting.card_fields if n in self.fields)

    def step(self, step_id: uuid.UUID | None) -> StepColumn | None:
        return next((step for step in self.steps if step.id == step_id), None)

    def person(self, account_id: object) -> Person | None:
        key = as_uuid(account_id)
        return None if key is None else self.people.get(key)

    def assignees(self, account_ids: Sequence[object] | None) -> tuple[Person, ...]:
        people = (self.person(account_id) for account_id in account_ids or [])
        return tuple(person for person in people if person is not None)

    def value_text(self, spec: FieldSpec, value: Any) -> str:
        """A stored value as people read it (money in the tenant's currency, people by name)."""
        if value is None or value == "":
            return ""
        if spec.field_type is FieldType.CURRENCY:
            return format_money(Decimal(str(value)), self.currency)
        if spec.field_type in (FieldType.NUMBER, FieldType.PERCENTAGE):
            number = _decimal(value)
            if number is not None:
                shown = format_number(number)
                return f"{shown}%" if spec.field_type is FieldType.PERCENTAGE else shown
        if spec.field_type is FieldType.USER:
            person = self.person(value)
            return person.name if person else ""
        if isinstance(value, list):
            return ", ".join(str(part) for part in value)
        if isinstance(value, dict):
            return ", ".join(f"{key}: {part}" for key, part in value.items())
        return str(value)

    def values(
        self, specs: Sequence[FieldSpec], stored: Mapping[str, Any]
    ) -> tuple[FieldValue, ...]:
        return tuple(
            FieldValue(
                name=spec.name,
                label=spec.display_name,
                text=self.value_text(spec, stored.get(spec.name)),
            )
            for spec in specs
        )


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _steps(
    session: Session, *, tenant_id: uuid.UUID, instance_id: uuid.UUID
) -> tuple[StepColumn, ...]:
    rows = instance_running_steps(session, tenant_id=tenant_id, instance_id=instance_id)
    columns = []
    for step, look in rows:
        target = look.target_duration_days if look is not None else None
        color = look.color if look is not None else None
        icon = look.icon if look is not None else None
        metadata = look.metadata if look is not None else {}
        overrides = step.config_overrides or {}
        chosen = overrides.get("target_duration_days", target)
        overridden = overrides.get("metadata")
        settings = {**(metadata or {}), **(overridden if isinstance(overridden, dict) else {})}
        columns.append(
            StepColumn(
                id=step.id,
                name=step.name,
                position=step.position,
                target_days=chosen if isinstance(chosen, int) else None,
                color=color,
                icon=icon,
                terminal=step_settings(settings).terminal_outcome is not None,
            )
        )
    return tuple(columns)


def _people(session: Session, *, tenant_id: uuid.UUID) -> dict[uuid.UUID, Person]:
    rows = session.execute(
        select(Account.id, Account.display_name, Account.username, Account.is_active).where(
            Account.tenant_id == tenant_id
        )
    ).all()
    return {
        account_id: Person(id=account_id, name=shown or name, active=active)
        for account_id, shown, name, active in rows
    }


def load(uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID) -> PipelineView:
    """The pipeline's view (404 when it does not exist or the caller may not see it)."""
    session = uow.session
    instance = access.ensure_can_see_instance(uow, actor, instance_id)
    board = version_board(
        session,
        tenant_id=actor.tenant_id,
        template_id=instance.pipeline_template_id,
        number=instance.template_version,
    )
    return PipelineView(
        instance_id=instance.id,
        instance_name=instance.name,
        steps=_steps(session, tenant_id=actor.tenant_id, instance_id=instance.id),
        setting=stored_board(board),
        fields=load_field_specs(uow, tenant_id=actor.tenant_id),
        people=_people(session, tenant_id=actor.tenant_id),
        currency=tenant_currency(uow, tenant_id=actor.tenant_id),
        time_zone=tenant_calendar(uow, tenant_id=actor.tenant_id).time_zone,
        now=uow.clock.now(),
    )


# --- shared query parts ----------------------------------------------------------------------

ENTERED_AT = (
    select(ItemStepHistory.entered_at)
    .where(
        ItemStepHistory.tenant_id == Item.tenant_id,
        ItemStepHistory.item_id == Item.id,
        ItemStepHistory.exited_at.is_(None),
    )
    .correlate(Item)
    .scalar_subquery()
)
"""When the item entered its current step (its open stay). A subquery rather than a join:
PostgreSQL runs it only for the rows a page shows, after sorting and limiting."""

OPEN_STAY = and_(
    ItemStepHistory.tenant_id == Item.tenant_id,
    ItemStepHistory.item_id == Item.id,
    ItemStepHistory.exited_at.is_(None),
)
"""The join to the open stay, for what filters or sorts by it over every item (one hash
join is cheaper there than a subquery per item)."""


def with_stay(
    statement: Select[Any], filters: ItemFilters, *, sorted_by_stay: bool = False
) -> Select[Any]:
    """``statement`` (over ``item``) with the open stay joined when the filters or the
    order need it."""
    needed = filters.at_risk or sorted_by_stay
    return statement.outerjoin(ItemStepHistory, OPEN_STAY) if needed else statement


ROW_COLUMNS = (
    Item.id,
    Item.version,
    Item.name,
    Item.current_step_id,
    Item.owner_account_id,
    Item.assigned_account_ids,
    Item.field_values,
    Item.created_at,
    ENTERED_AT.label("entered_at"),
)
"""What a card and a list row are made of."""


def days_in_step(view: PipelineView, entered_at: datetime | None) -> int:
    if entered_at is None:
        return 0
    return int((view.now - entered_at).total_seconds() // SECONDS_PER_DAY)


def is_at_risk(step: StepColumn | None, days: int) -> bool:
    return step is not None and step.target_days is not None and days > step.target_days


def _assigned_to(session: Session, account_id: uuid.UUID) -> ColumnElement[bool]:
    wanted = str(account_id)
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(Item.assigned_account_ids, postgresql.JSONB).contains([wanted])
    members = func.json_each(Item.assigned_account_ids).table_valued("value")
    return select(1).select_from(members).where(members.c.value == wanted).exists()


def _at_risk(view: PipelineView) -> ColumnElement[bool]:
    """Past the step's target: more than ``target`` whole days since the item entered
    (read from the joined open stay: one join, not a lookup per item)."""
    limits = [
        and_(
            Item.current_step_id == step.id,
            view.now - timedelta(days=step.target_days + 1) >= ItemStepHistory.entered_at,
        )
        for step in view.steps
        if step.target_days is not None
    ]
    return or_(*limits) if limits else false()


def conditions(
    session: Session, actor: Actor, view: PipelineView, filters: ItemFilters
) -> list[ColumnElement[bool]]:
    """Where the pipeline's items of the chosen status match ``filters`` (the at-risk
    filter reads the open stay: join it with ``with_stay``)."""
    where: list[ColumnElement[bool]] = [
        Item.tenant_id == actor.tenant_id,
        Item.pipeline_instance_id == view.instance_id,
    ]
    statuses = STATUSES_SHOWN[filters.status]
    where.append(Item.status == statuses[0] if len(statuses) == 1 else Item.status.in_(statuses))
    if filters.owner is not None:
        where.append(Item.owner_account_id == filters.owner)
    if filters.assignee is not None:
        where.append(_assigned_to(session, filters.assignee))
    if filters.q.strip():
        where.append(Item.name.icontains(filters.q.strip(), autoescape=True))
    if filters.at_risk:
        where.append(_at_risk(view))
    return where


def field_text(session: Session, name: str) -> ColumnElement[Any]:
    """A field's stored value as text (NULL when the item has none)."""
    if session.get_bind().dialect.name == "postgresql":
        text: ColumnElement[Any] = type_coerce(Item.field_values, postgresql.JSONB)[name].astext
        return text
    return func.json_extract(Item.field_values, f"$.{name}")


def money_sum(session: Session, name: str) -> tuple[ColumnElement[Any], Decimal]:
    """The exact sum of a currency field and the unit it is counted in.

    PostgreSQL sums ``numeric``. SQLite has no exact decimal type, so it sums whole cents
    as integers: a stored currency value always has exactly two decimal places."""
    text = field_text(session, name)
    if session.get_bind().dialect.name == "postgresql":
        return func.sum(cast(text, Numeric)), Decimal(1)
    cents = case(
        (func.instr(text, ".") == 0, cast(text, Integer) * 100),
        else_=cast(func.replace(text, ".", ""), Integer),
    )
    return func.sum(cents), Decimal("0.01")


def item_names(
    uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of those of ``item_ids`` that are items of the pipeline (404 when the
    caller may not see it)."""
    session = uow.session
    access.ensure_can_see_instance(uow, actor, instance_id)
    if not item_ids:
        return {}
    rows = session.execute(
        select(Item.id, Item.name).where(
            Item.tenant_id == actor.tenant_id,
            Item.pipeline_instance_id == instance_id,
            Item.id.in_(list(item_ids)),
        )
    ).all()
    return {item_id: name for item_id, name in rows}
