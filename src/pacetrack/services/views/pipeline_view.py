"""What the board and the list know about a pipeline before reading its items: its steps
(with target and colour), the template's board setting, the tenant's fields, people and
currency; and which items both read models show for a set of filters (``scope``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.repositories.item_views import ItemScope
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
    uow: UnitOfWork, *, tenant_id: uuid.UUID, instance_id: uuid.UUID
) -> tuple[StepColumn, ...]:
    rows = instance_running_steps(
        uow.template_versions, tenant_id=tenant_id, instance_id=instance_id
    )
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


def _people(uow: UnitOfWork, *, tenant_id: uuid.UUID) -> dict[uuid.UUID, Person]:
    return {
        account.id: Person(
            id=account.id, name=account.display_name or account.username, active=account.active
        )
        for account in uow.item_views.account_names(tenant_id)
    }


def load(uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID) -> PipelineView:
    """The pipeline's view (404 when it does not exist or the caller may not see it)."""
    instance = access.ensure_can_see_instance(uow, actor, instance_id)
    board = version_board(
        uow.template_versions,
        tenant_id=actor.tenant_id,
        template_id=instance.pipeline_template_id,
        number=instance.template_version,
    )
    return PipelineView(
        instance_id=instance.id,
        instance_name=instance.name,
        steps=_steps(uow, tenant_id=actor.tenant_id, instance_id=instance.id),
        setting=stored_board(board),
        fields=load_field_specs(uow, tenant_id=actor.tenant_id),
        people=_people(uow, tenant_id=actor.tenant_id),
        currency=tenant_currency(uow, tenant_id=actor.tenant_id),
        time_zone=tenant_calendar(uow, tenant_id=actor.tenant_id).time_zone,
        now=uow.clock.now(),
    )


# --- what the board and the list read -------------------------------------------------------


def days_in_step(view: PipelineView, entered_at: datetime | None) -> int:
    if entered_at is None:
        return 0
    return int((view.now - entered_at).total_seconds() // SECONDS_PER_DAY)


def is_at_risk(step: StepColumn | None, days: int) -> bool:
    return step is not None and step.target_days is not None and days > step.target_days


def _at_risk_since(view: PipelineView) -> dict[uuid.UUID, datetime]:
    """Per step with a target: an item that entered it at or before this moment has been
    there more than ``target`` whole days."""
    return {
        step.id: view.now - timedelta(days=step.target_days + 1)
        for step in view.steps
        if step.target_days is not None
    }


def scope(actor: Actor, view: PipelineView, filters: ItemFilters) -> ItemScope:
    """The pipeline's items of the chosen status that match ``filters``."""
    return ItemScope(
        tenant_id=actor.tenant_id,
        instance_id=view.instance_id,
        statuses=STATUSES_SHOWN[filters.status],
        owner=filters.owner,
        assignee=filters.assignee,
        name_contains=filters.q.strip(),
        entered_by=_at_risk_since(view) if filters.at_risk else None,
    )


def item_names(
    uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The names of those of ``item_ids`` that are items of the pipeline (404 when the
    caller may not see it)."""
    access.ensure_can_see_instance(uow, actor, instance_id)
    if not item_ids:
        return {}
    return uow.item_views.item_names(actor.tenant_id, instance_id, item_ids)
