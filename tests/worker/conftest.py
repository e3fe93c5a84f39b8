"""A small tenant with a pipeline, people and a loopback SMTP server, for worker tests.

Items are moved by writing the step history and calling ``side_effects.record``
with the domain events a move produces, exactly as the move service does.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pacetrack.bootstrap import Container
from pacetrack.db.tables import (
    AccountGroup,
    AccountGroupMember,
    FieldDefinition,
    Item,
    ItemStepHistory,
    PipelineInstance,
    PipelineTemplate,
    Step,
    StepTemplate,
)
from pacetrack.engine.events import (
    DomainEvent,
    FieldChange,
    FieldsChanged,
    StepEntered,
    StepExited,
)
from pacetrack.services import side_effects
from pacetrack.services.context import system_actor
from pacetrack.services.tenants import AccountSpec, add_account, create_tenant

ONE_DAY_RULE = {
    "id": "after_a_day",
    "trigger": "on_duration",
    "duration_days": 1,
    "recipients": [{"type": "owner"}],
    "channels": ["in_app"],
}
"""An in-app notification to the owner a day after entering the step (arms one timer)."""


class Inbox:
    """aiosmtpd handler keeping every received message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    """An ephemeral loopback port (aiosmtpd's controller needs the number up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp(handler: object) -> Iterator[int]:
    """A real SMTP server on a loopback port, with ``handler`` receiving its mail."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with running_smtp(inbox) as port:
        yield inbox, port


@dataclass
class World:
    container: Container
    tenant_id: uuid.UUID
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)
    steps: dict[str, uuid.UUID] = field(default_factory=dict)
    instance_id: uuid.UUID = field(default_factory=uuid.uuid4)
    template_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def now(self) -> datetime:
        return self.container.clock.now()

    def add_step(self, name: str, *, target: int | None = None, **families: Any) -> uuid.UUID:
        now = self.now()
        with self.container.uow() as uow:
            template = StepTemplate(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                pipeline_template_id=self.template_id,
                name=name,
                position=len(self.steps),
                target_duration_days=target,
                field_configs=[],
                validations=[],
                assignments=[],
                notifications=families.get("notifications", []),
                automations=families.get("automations", []),
                calculations=[],
                metadata_={},
                created_at=now,
                updated_at=now,
            )
            uow.session.add(template)
            uow.session.flush()
            step = Step(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                pipeline_instance_id=self.instance_id,
                step_template_id=template.id,
                name=name,
                position=len(self.steps),
                config_overrides={},
                created_at=now,
                updated_at=now,
            )
            uow.session.add(step)
            uow.commit()
        self.steps[name] = step.id
        return step.id

    def add_item(
        self, name: str, *, owner: str = "owner", assignees: tuple[str, ...] = (), **values: Any
    ) -> uuid.UUID:
        now = self.now()
        with self.container.uow() as uow:
            item = Item(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                pipeline_instance_id=self.instance_id,
                current_step_id=None,
                name=name,
                field_values=values,
                owner_account_id=self.accounts[owner],
                assigned_account_ids=[str(self.accounts[a]) for a in assignees],
                created_at=now,
                updated_at=now,
            )
            uow.session.add(item)
            uow.commit()
        return item.id

    def record(self, item_id: uuid.UUID, events: list[DomainEvent]) -> None:
        with self.container.uow() as uow:
            item = uow.session.get(Item, (self.tenant_id, item_id))
            assert item is not None
            side_effects.record(uow, actor=system_actor(self.tenant_id), item=item, events=events)
            uow.commit()

    def move(self, item_id: uuid.UUID, step: str) -> None:
        """Leaves the current step (if any) and enters ``step``, as a move does."""
        now = self.now()
        step_id = self.steps[step]
        events: list[DomainEvent] = []
        with self.container.uow() as uow:
            session = uow.session
            item = session.get(Item, (self.tenant_id, item_id))
            assert item is not None
            open_stay = (
                session.query(ItemStepHistory)
                .filter_by(tenant_id=self.tenant_id, item_id=item_id, exited_at=None)
                .one_or_none()
            )
            if open_stay is not None:
                open_stay.exited_at = now
                events.append(
                    StepExited(
                        item_id=item_id,
                        at=now,
                        actor_id=None,
                        step_id=open_stay.step_id,
                        history_id=open_stay.id,
                        to_step_id=step_id,
                    )
                )
            stay = ItemStepHistory(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                item_id=item_id,
                step_id=step_id,
                entered_at=now,
            )
            session.add(stay)
            events.append(
                StepEntered(
                    item_id=item_id,
                    at=now,
                    actor_id=None,
                    step_id=step_id,
                    history_id=stay.id,
                    from_step_id=item.current_step_id,
                )
            )
            item.current_step_id = step_id
            session.flush()
            side_effects.record(uow, actor=system_actor(self.tenant_id), item=item, events=events)
            uow.commit()

    def change(self, item_id: uuid.UUID, **values: Any) -> None:
        with self.container.uow() as uow:
            item = uow.session.get(Item, (self.tenant_id, item_id))
            assert item is not None
            changes = tuple(
                FieldChange(field=name, old=item.field_values.get(name), new=value)
                for name, value in values.items()
            )
            item.field_values = {**item.field_values, **values}
            side_effects.record(
                uow,
                actor=system_actor(self.tenant_id),
                item=item,
                events=[
                    FieldsChanged(
                        item_id=item_id,
                        at=self.now(),
                        actor_id=None,
                        step_id=item.current_step_id,
                        changes=changes,
                    )
                ],
            )
            uow.commit()


def build_world(container: Container, slug: str = "sales") -> World:
    container.caches.clear()
    with container.uow() as uow:
        tenant = create_tenant(uow, name=slug.title(), slug=slug)
    world = World(container=container, tenant_id=tenant.id)
    now = world.now()
    people = {
        "owner": ["member"],
        "vp_sales": ["manager"],
        "sales_manager": ["manager"],
        "admin_1": ["admin"],
        "nurse_1": ["member"],
        "physician_1": ["physician"],
        "physician_2": ["physician"],
        "gone": ["member"],
    }
    with container.uow() as uow:
        for username, roles in people.items():
            account = add_account(
                uow,
                tenant_id=tenant.id,
                spec=AccountSpec(
                    email=f"{username}@{slug}.example",
                    username=username,
                    roles=roles,
                    is_active=username != "gone",
                ),
            )
            world.accounts[username] = account.id
        group = AccountGroup(
            tenant_id=tenant.id, id=uuid.uuid4(), name="closers", created_at=now, updated_at=now
        )
        uow.session.add(group)
        uow.session.flush()
        for member in ("vp_sales", "sales_manager", "gone"):
            uow.session.add(
                AccountGroupMember(
                    tenant_id=tenant.id,
                    group_id=group.id,
                    account_id=world.accounts[member],
                    added_at=now,
                )
            )
        uow.session.add(
            FieldDefinition(
                tenant_id=tenant.id,
                id=uuid.uuid4(),
                name="deal_value",
                label="Deal value",
                field_type="currency",
                created_at=now,
                updated_at=now,
            )
        )
        uow.session.add(
            FieldDefinition(
                tenant_id=tenant.id,
                id=uuid.uuid4(),
                name="quality_status",
                label="Quality status",
                field_type="dropdown",
                options=["pending", "pass", "fail"],
                created_at=now,
                updated_at=now,
            )
        )
        uow.session.add(
            PipelineTemplate(
                tenant_id=tenant.id,
                id=world.template_id,
                name="Sales",
                created_at=now,
                updated_at=now,
            )
        )
        uow.session.flush()
        uow.session.add(
            PipelineInstance(
                tenant_id=tenant.id,
                id=world.instance_id,
                pipeline_template_id=world.template_id,
                name="Sales 2026",
                owner_account_id=world.accounts["sales_manager"],
                created_at=now,
                updated_at=now,
            )
        )
        uow.commit()
    return world
