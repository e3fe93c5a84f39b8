"""A sales pipeline with a board setting and items, for the board, list and CSV tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pacetrack.adapters.clock import FrozenClock
from pacetrack.bootstrap import Container
from pacetrack.db.tables import PipelineTemplate
from pacetrack.services import assignments, items
from pacetrack.services.assignments import AssignItem
from pacetrack.services.context import Actor
from pacetrack.services.items import ItemCreate
from tests.conftest import Login, make_login
from tests.services.moves_support import (
    FieldDef,
    Pipeline,
    StepDef,
    actor_for,
    build_pipeline,
    define_fields,
)
from tests.support.versions import publish_and_upgrade

FIELDS = [
    FieldDef(name="deal_value", field_type="currency"),
    FieldDef(name="close_date", field_type="date"),
    FieldDef(name="company_size", field_type="number"),
    FieldDef(name="decision_maker", field_type="text"),
]
BOARD = {"money_field": "deal_value", "card_fields": ["close_date", "company_size"]}


@dataclass
class Sales:
    container: Container
    clock: FrozenClock
    admin: Actor
    pipeline: Pipeline
    bea: uuid.UUID

    def add(
        self, name: str, step: str = "Lead", *, owner: uuid.UUID | None = None, **values: Any
    ) -> uuid.UUID:
        with self.container.uow() as uow:
            created = items.create_item(
                uow,
                self.admin,
                ItemCreate(
                    pipeline_instance_id=self.pipeline.instance_id,
                    name=name,
                    step_id=self.pipeline.step(step),
                    field_values=values,
                    owner_account_id=owner,
                ),
            )
        return created.id

    def assign(self, item_id: uuid.UUID, *people: uuid.UUID) -> None:
        with self.container.uow() as uow:
            assignments.assign_item(
                uow, self.admin, AssignItem(id=item_id, mode="replace", account_ids=list(people))
            )


def open_sales(container: Container, clock: FrozenClock, admin: Login) -> Sales:
    define_fields(container, admin.tenant_id, FIELDS)
    pipeline = build_pipeline(
        container,
        admin.tenant_id,
        [
            StepDef(name="Lead", target_duration_days=3),
            StepDef(name="Qualified"),
            StepDef(
                name="Proposal",
                config={"metadata": {"entry_required_fields": ["deal_value"]}},
            ),
            StepDef(name="Won"),
        ],
        name="Sales",
    )
    with container.uow() as uow:
        row = uow.session.get(PipelineTemplate, (admin.tenant_id, pipeline.template_id))
        assert row is not None
        row.board = dict(BOARD)
        uow.commit()
    admin_actor = actor_for(admin.tenant_id, admin.account_id, "admin")
    publish_and_upgrade(container, admin_actor, pipeline.template_id)  # boards follow versions
    bea = make_login(container, slug=admin.tenant_slug, username="bea", roles=["member"])
    return Sales(
        container=container,
        clock=clock,
        admin=admin_actor,
        pipeline=pipeline,
        bea=bea.account_id,
    )
