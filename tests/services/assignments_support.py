"""Rows for assignment and approval tests: a tenant with people, groups and one pipeline.

Items are put into a step the way the move path does it (an open
``item_step_history`` row and ``current_step_id``), so the assignment and
approval services can be exercised on their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from pacetrack.bootstrap import Container
from pacetrack.db.tables import (
    AccountGroup,
    AccountGroupMember,
    Activity,
    Item,
    ItemStepHistory,
    PipelineInstance,
    PipelineTemplate,
    Step,
    StepTemplate,
)
from pacetrack.engine.config import StepConfig
from pacetrack.services.context import Actor
from pacetrack.services.step_configs import effective_config
from pacetrack.services.tenants import AccountSpec, add_account, create_tenant, tenant_by_slug
from pacetrack.services.unit_of_work import UnitOfWork


@dataclass(frozen=True, kw_only=True)
class Logged:
    kind: str
    data: dict[str, Any]
    actor_id: uuid.UUID | None


@dataclass
class World:
    container: Container
    tenant_id: uuid.UUID
    accounts: dict[str, uuid.UUID] = field(default_factory=dict)
    groups: dict[str, uuid.UUID] = field(default_factory=dict)
    steps: dict[str, uuid.UUID] = field(default_factory=dict)
    pipeline_id: uuid.UUID | None = None
    template_id: uuid.UUID | None = None

    def actor(self, username: str | None = None, *, roles: Sequence[str] = ("member",)) -> Actor:
        if username is None:
            return Actor(tenant_id=self.tenant_id, account_id=None, roles=frozenset({"admin"}))
        return Actor(
            tenant_id=self.tenant_id, account_id=self.accounts[username], roles=frozenset(roles)
        )

    def username(self, account_id: uuid.UUID) -> str:
        return {v: k for k, v in self.accounts.items()}[account_id]

    def add_person(
        self, username: str, *, roles: Sequence[str] = ("member",), active: bool = True
    ) -> uuid.UUID:
        with self.container.uow() as uow:
            account = add_account(
                uow,
                tenant_id=self.tenant_id,
                spec=AccountSpec(
                    email=f"{username}@example.com",
                    username=username,
                    roles=list(roles),
                    is_active=active,
                ),
            )
            uow.commit()
        self.accounts[username] = account.id
        return account.id

    def add_group(self, name: str, members: Sequence[str]) -> uuid.UUID:
        with self.container.uow() as uow:
            now = uow.clock.now()
            group = AccountGroup(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                name=name,
                description="",
                created_at=now,
                updated_at=now,
            )
            uow.session.add(group)
            uow.session.flush()
            for member in members:
                uow.session.add(
                    AccountGroupMember(
                        tenant_id=self.tenant_id,
                        group_id=group.id,
                        account_id=self.accounts[member],
                        added_at=now,
                    )
                )
            uow.commit()
        self.groups[name] = group.id
        return group.id

    def add_step(
        self,
        name: str,
        *,
        assignments: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> uuid.UUID:
        with self.container.uow() as uow:
            now = uow.clock.now()
            if self.template_id is None:
                self.template_id = uuid.uuid4()
                uow.session.add(
                    PipelineTemplate(
                        tenant_id=self.tenant_id,
                        id=self.template_id,
                        name="Pipeline",
                        description="",
                        created_at=now,
                        updated_at=now,
                    )
                )
                self.pipeline_id = uuid.uuid4()
                uow.session.flush()
                uow.session.add(
                    PipelineInstance(
                        tenant_id=self.tenant_id,
                        id=self.pipeline_id,
                        pipeline_template_id=self.template_id,
                        name="Pipeline",
                        status="active",
                        created_at=now,
                        updated_at=now,
                    )
                )
            position = len(self.steps)
            step_template = StepTemplate(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                pipeline_template_id=self.template_id,
                name=name,
                description="",
                position=position,
                field_configs=[],
                validations=[],
                assignments=assignments or [],
                notifications=[],
                automations=[],
                calculations=[],
                metadata_=metadata or {},
                created_at=now,
                updated_at=now,
            )
            uow.session.add(step_template)
            uow.session.flush()
            step = Step(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                pipeline_instance_id=self.pipeline_id,
                step_template_id=step_template.id,
                name=name,
                position=position,
                status="in_progress",
                config_overrides={},
                created_at=now,
                updated_at=now,
            )
            uow.session.add(step)
            uow.commit()
        self.steps[name] = step.id
        return step.id

    def add_item(
        self,
        name: str = "Item",
        *,
        step: str | None = None,
        assignees: Sequence[str] = (),
        status: str = "active",
        owner: str | None = None,
    ) -> uuid.UUID:
        """An item, in ``step`` (an open history row) when given."""
        with self.container.uow() as uow:
            now = uow.clock.now()
            item = Item(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                pipeline_instance_id=self.pipeline_id,
                current_step_id=self.steps[step] if step else None,
                name=name,
                field_values={},
                calculation_errors={},
                owner_account_id=self.accounts[owner] if owner else None,
                assigned_account_ids=[str(self.accounts[a]) for a in assignees],
                status=status,
                version=1,
                created_at=now,
                updated_at=now,
            )
            uow.session.add(item)
            uow.session.flush()
            if step:
                uow.session.add(
                    ItemStepHistory(
                        tenant_id=self.tenant_id,
                        id=uuid.uuid4(),
                        item_id=item.id,
                        step_id=self.steps[step],
                        entered_at=now,
                    )
                )
            uow.commit()
        return item.id

    def item(self, uow: UnitOfWork, item_id: uuid.UUID) -> Item:
        row = uow.session.get(Item, (self.tenant_id, item_id))
        assert row is not None
        return row

    def step(self, uow: UnitOfWork, name: str) -> tuple[Step, StepConfig]:
        row = uow.session.get(Step, (self.tenant_id, self.steps[name]))
        assert row is not None
        return row, effective_config(uow, tenant_id=self.tenant_id, step=row)

    def enter(self, uow: UnitOfWork, item: Item, step_name: str) -> Step:
        """Moves ``item`` into ``step_name`` as the move path does (history closed and opened)."""
        now = uow.clock.now()
        for open_row in uow.session.scalars(
            select(ItemStepHistory).where(
                ItemStepHistory.tenant_id == self.tenant_id,
                ItemStepHistory.item_id == item.id,
                ItemStepHistory.exited_at.is_(None),
            )
        ):
            open_row.exited_at = now
        step, _config = self.step(uow, step_name)
        item.current_step_id = step.id
        item.version += 1
        uow.session.add(
            ItemStepHistory(
                tenant_id=self.tenant_id,
                id=uuid.uuid4(),
                item_id=item.id,
                step_id=step.id,
                entered_at=now,
            )
        )
        return step

    def assignees(self, item_id: uuid.UUID) -> list[str]:
        with self.container.uow() as uow:
            item = self.item(uow, item_id)
            return [self.username(uuid.UUID(a)) for a in item.assigned_account_ids]

    def activities(self, item_id: uuid.UUID, kind: str | None = None) -> list[Logged]:
        with self.container.uow() as uow:
            statement = (
                select(Activity)
                .where(Activity.tenant_id == self.tenant_id, Activity.item_id == item_id)
                .order_by(Activity.created_at, Activity.kind)
            )
            if kind is not None:
                statement = statement.where(Activity.kind == kind)
            return [
                Logged(kind=row.kind, data=dict(row.data), actor_id=row.actor_account_id)
                for row in uow.session.scalars(statement)
            ]


def make_world(container: Container, slug: str = "acme") -> World:
    with container.uow() as uow:
        create_tenant(uow, name=slug.title(), slug=slug)
    with container.uow() as uow:
        tenant_id = tenant_by_slug(uow, slug).id
    return World(container=container, tenant_id=tenant_id)
