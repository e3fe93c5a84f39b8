"""Pipelines for item and move tests, stored as rows the way the template services store them.

Step configuration goes through ``config_schema.parse_family`` / ``dump_family``
(the same validation and canonical form as the step-template API), so a test
pipeline can only hold configuration the product would accept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from pacetrack.bootstrap import Container
from pacetrack.db.tables import (
    Activity,
    FieldDefinition,
    ItemStepHistory,
    PipelineInstance,
    PipelineTemplate,
    Step,
    StepTemplate,
)
from pacetrack.db.tables_delivery import ARMED, Timer
from pacetrack.db.tables_moves import ValidationFailure
from pacetrack.db.tables_versions import PipelineTemplateVersion
from pacetrack.engine.config import CONFIG_FAMILIES
from pacetrack.services.config_schema import dump_family, parse_family
from pacetrack.services.context import Actor
from pacetrack.services.template_versions import snapshot_of


@dataclass(frozen=True, kw_only=True)
class FieldDef:
    name: str
    field_type: str
    options: Sequence[str] = ()
    is_required: bool = False
    min_value: Any = None
    max_value: Any = None
    pattern: str | None = None
    precision: int | None = None


@dataclass(frozen=True, kw_only=True)
class StepDef:
    name: str
    config: Mapping[str, Any] = field(default_factory=dict)
    target_duration_days: int | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Pipeline:
    instance_id: uuid.UUID
    template_id: uuid.UUID
    steps: dict[str, uuid.UUID]
    step_templates: dict[str, uuid.UUID]

    def step(self, name: str) -> uuid.UUID:
        return self.steps[name]


def actor_for(tenant_id: uuid.UUID, account_id: uuid.UUID, *roles: str) -> Actor:
    return Actor(tenant_id=tenant_id, account_id=account_id, roles=frozenset(roles or ("member",)))


def define_fields(container: Container, tenant_id: uuid.UUID, fields: Sequence[FieldDef]) -> None:
    with container.uow() as uow:
        now = uow.clock.now()
        for spec in fields:
            uow.session.add(
                FieldDefinition(
                    tenant_id=tenant_id,
                    id=uuid.uuid4(),
                    name=spec.name,
                    label=spec.name.replace("_", " ").capitalize(),
                    description="",
                    field_type=spec.field_type,
                    scope="item",
                    options=list(spec.options),
                    is_required=spec.is_required,
                    min_value=spec.min_value,
                    max_value=spec.max_value,
                    pattern=spec.pattern,
                    precision=spec.precision,
                    created_at=now,
                    updated_at=now,
                    deleted_at=None,
                )
            )
        uow.commit()


def _canonical(config: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(config) - set(CONFIG_FAMILIES)
    assert not unknown, f"not configuration families: {unknown}"
    return {family: dump_family(family, parse_family(family, config[family])) for family in config}


def build_pipeline(
    container: Container,
    tenant_id: uuid.UUID,
    steps: Sequence[StepDef],
    *,
    name: str = "Pipeline",
    owner_id: uuid.UUID | None = None,
) -> Pipeline:
    """A template with ``steps`` in order and one running instance of it."""
    with container.uow() as uow:
        now = uow.clock.now()
        template = PipelineTemplate(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            name=f"{name} {uuid.uuid4().hex[:6]}",
            description="",
            created_by=None,
            created_at=now,
            updated_at=now,
            deleted_at=None,
        )
        instance = PipelineInstance(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            pipeline_template_id=template.id,
            name=name,
            owner_account_id=owner_id,
            status="active",
            created_by=None,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(template)
        uow.flush()
        uow.session.add(instance)
        uow.flush()
        step_ids: dict[str, uuid.UUID] = {}
        template_ids: dict[str, uuid.UUID] = {}
        for position, spec in enumerate(steps, start=1):
            families = _canonical(spec.config)
            row = StepTemplate(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                pipeline_template_id=template.id,
                name=spec.name,
                description="",
                position=position,
                target_duration_days=spec.target_duration_days,
                color=None,
                icon=None,
                field_configs=families.get("field_configs", []),
                validations=families.get("validations", []),
                assignments=families.get("assignments", []),
                notifications=families.get("notifications", []),
                automations=families.get("automations", []),
                calculations=families.get("calculations", []),
                metadata_=families.get("metadata", {}),
                created_by=None,
                created_at=now,
                updated_at=now,
                deleted_at=None,
            )
            uow.session.add(row)
            uow.flush()
            step = Step(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                pipeline_instance_id=instance.id,
                step_template_id=row.id,
                name=spec.name,
                position=position,
                status="not_started",
                entered_at=None,
                completed_at=None,
                config_overrides=dict(spec.overrides),
                created_at=now,
                updated_at=now,
            )
            uow.session.add(step)
            step_ids[spec.name] = step.id
            template_ids[spec.name] = row.id
        uow.flush()
        # As starting a pipeline does: version 1 published, and the pipeline runs it.
        uow.session.add(
            PipelineTemplateVersion(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                pipeline_template_id=template.id,
                number=1,
                snapshot=snapshot_of(uow, template),
                note="",
                published_by=None,
                published_at=now,
            )
        )
        instance.template_version = 1
        uow.commit()
    return Pipeline(
        instance_id=instance.id,
        template_id=template.id,
        steps=step_ids,
        step_templates=template_ids,
    )


def history(container: Container, tenant_id: uuid.UUID, item_id: uuid.UUID) -> list[tuple]:
    """(step name, exited?) per history row, in order of entry."""
    with container.uow() as uow:
        rows = uow.session.execute(
            select(Step.name, ItemStepHistory.exited_at)
            .join(
                Step,
                (Step.tenant_id == ItemStepHistory.tenant_id)
                & (Step.id == ItemStepHistory.step_id),
            )
            .where(ItemStepHistory.tenant_id == tenant_id, ItemStepHistory.item_id == item_id)
            .order_by(ItemStepHistory.entered_at, ItemStepHistory.exited_at.is_(None))
        ).all()
    return [(name, exited is not None) for name, exited in rows]


def activity_kinds(container: Container, tenant_id: uuid.UUID, item_id: uuid.UUID) -> list[str]:
    with container.uow() as uow:
        return list(
            uow.session.scalars(
                select(Activity.kind)
                .where(Activity.tenant_id == tenant_id, Activity.item_id == item_id)
                .order_by(Activity.created_at)
            )
        )


def activities(
    container: Container, tenant_id: uuid.UUID, item_id: uuid.UUID, kind: str
) -> list[dict[str, Any]]:
    with container.uow() as uow:
        return [
            dict(data)
            for data in uow.session.scalars(
                select(Activity.data).where(
                    Activity.tenant_id == tenant_id,
                    Activity.item_id == item_id,
                    Activity.kind == kind,
                )
            )
        ]


def failures(container: Container, tenant_id: uuid.UUID, item_id: uuid.UUID) -> list[str]:
    with container.uow() as uow:
        return sorted(
            uow.session.scalars(
                select(ValidationFailure.rule_id).where(
                    ValidationFailure.tenant_id == tenant_id,
                    ValidationFailure.item_id == item_id,
                )
            )
        )


def armed_rules(container: Container, item_id: uuid.UUID) -> list[str]:
    """The rule ids of the item's armed timers, sorted."""
    with container.uow() as uow:
        return sorted(
            uow.session.scalars(
                select(Timer.rule_id).where(Timer.item_id == item_id, Timer.status == ARMED)
            )
        )
