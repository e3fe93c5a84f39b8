"""Pipeline instances: running copies of a template version's steps, and their overrides.

Creating an instance copies the steps of the template's latest published version
(version 1 is published first when there is none) into ``step`` rows in the same
transaction. A running step does what that version says (``services.version_steps``):
edits to the template are a draft that reaches the instance only once it is published
and the instance upgraded (``services.template_upgrade``).

``config_overrides`` maps a family name (or ``target_duration_days``) to a
replacement for the template's family; ``metadata`` keys are merged over the
template's (see ``engine.config.apply_overrides``). Overrides pass the same
save-time checks as template configs, on the merged config.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import PipelineInstance, Step
from pacetrack.engine.config import CONFIG_FAMILIES, StepConfig, apply_overrides
from pacetrack.services import access, rule_timers
from pacetrack.services.access import AccessOut, AccessSpec
from pacetrack.services.config_schema import dump_family, step_config
from pacetrack.services.context import Actor
from pacetrack.services.errors import (
    Conflict,
    FieldProblem,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from pacetrack.services.fields import load_field_specs
from pacetrack.services.input_types import JsonObject, PlainStr
from pacetrack.services.template_versions import version_for_new_pipeline
from pacetrack.services.templates import (
    ACTIVE,
    check_config,
    field_ids_to_names,
    get_template_row,
    metadata_problems,
    parse_families,
)
from pacetrack.services.tenant_features import refuse_disabled_families
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.version_steps import (
    VersionStep,
    instance_running_steps,
    running_steps,
    steps_of_snapshot,
)
from pacetrack.services.webhooks import automation_url_problems

OVERRIDE_KEYS = (*CONFIG_FAMILIES, "target_duration_days")


class PipelineInstanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pipeline_template_id: uuid.UUID
    name: PlainStr = Field(min_length=1, max_length=200)
    owner_account_id: uuid.UUID | None = Field(default=None, description="Default: the caller")
    access: AccessSpec | None = Field(
        default=None, description="Who may see the instance; default: everyone in the tenant"
    )


class AccessUpdate(BaseModel):
    """Replace who may see instance ``id`` and its items."""

    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    access: AccessSpec


class StepOverridesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step_id: uuid.UUID
    config_overrides: JsonObject = Field(
        description="The step's complete overrides: family name (or target_duration_days) to "
        "its replacement; {} removes every override"
    )


class StepOut(BaseModel):
    id: uuid.UUID
    pipeline_instance_id: uuid.UUID
    step_template_id: uuid.UUID
    name: str
    order: int
    status: str
    entered_at: datetime | None
    completed_at: datetime | None
    config_overrides: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    color: str | None = Field(default=None, description="As the version the pipeline runs says")
    icon: str | None = Field(default=None, description="As the version the pipeline runs says")
    description: str = Field(default="", description="As the version the pipeline runs says")


class PipelineInstanceOut(BaseModel):
    id: uuid.UUID
    pipeline_template_id: uuid.UUID
    name: str
    owner_account_id: uuid.UUID | None
    status: str
    access: AccessOut
    template_version: int | None = Field(
        description="The template version the pipeline runs; null: before versions"
    )
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    steps: list[StepOut] | None = Field(default=None, description="On get and create")


def step_out(row: Step, look: VersionStep | None = None) -> StepOut:
    return StepOut(
        id=row.id,
        pipeline_instance_id=row.pipeline_instance_id,
        step_template_id=row.step_template_id,
        name=row.name,
        order=row.position,
        status=row.status,
        entered_at=row.entered_at,
        completed_at=row.completed_at,
        config_overrides=dict(row.config_overrides or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        color=look.color if look is not None else None,
        icon=look.icon if look is not None else None,
        description=look.description if look is not None else "",
    )


def instance_out(
    row: PipelineInstance, steps: list[tuple[Step, VersionStep | None]] | None = None
) -> PipelineInstanceOut:
    return PipelineInstanceOut(
        id=row.id,
        pipeline_template_id=row.pipeline_template_id,
        name=row.name,
        owner_account_id=row.owner_account_id,
        status=row.status,
        access=access.access_out(row.access),
        template_version=row.template_version,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        steps=None if steps is None else [step_out(step, look) for step, look in steps],
    )


def _instance_steps(
    uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID
) -> list[tuple[Step, VersionStep | None]]:
    return instance_running_steps(
        uow.template_versions, tenant_id=actor.tenant_id, instance_id=instance_id
    )


def create_instance(
    uow: UnitOfWork, actor: Actor, data: PipelineInstanceCreate
) -> PipelineInstanceOut:
    actor.require_manager("start pipelines")
    template = get_template_row(uow, actor, data.pipeline_template_id)
    owner = data.owner_account_id or actor.account_id
    if owner is not None and uow.people.account(actor.tenant_id, owner) is None:
        raise NotFound.one("owner_account_id", "no such account")
    document = (
        access.resolve_access(uow, tenant_id=actor.tenant_id, spec=data.access)
        if data.access is not None
        else None
    )
    version = version_for_new_pipeline(uow, actor, template)
    published = list(steps_of_snapshot(version.snapshot).values())
    if not published:
        raise Conflict.one("pipeline_template_id", f"version {version.number} has no steps")
    now = uow.clock.now()
    instance = PipelineInstance(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        pipeline_template_id=template.id,
        name=data.name,
        owner_account_id=owner,
        status=ACTIVE,
        access=document,
        template_version=version.number,
        created_by=actor.account_id,
        created_at=now,
        updated_at=now,
    )
    uow.pipelines.add(instance)
    uow.flush()
    steps = [
        new_step_row(
            tenant_id=actor.tenant_id,
            instance_id=instance.id,
            step_template_id=source.step_template_id,
            name=source.name,
            position=source.position,
            now=now,
        )
        for source in published
    ]
    uow.pipelines.add(*steps)
    uow.commit()
    looks = dict(zip((step.id for step in steps), published, strict=True))
    return instance_out(instance, [(step, looks[step.id]) for step in steps])


def new_step_row(
    *,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    step_template_id: uuid.UUID,
    name: str,
    position: int,
    now: datetime,
) -> Step:
    """A running step of a template version's step, not entered yet, without overrides."""
    return Step(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        pipeline_instance_id=instance_id,
        step_template_id=step_template_id,
        name=name,
        position=position,
        status="not_started",
        entered_at=None,
        completed_at=None,
        config_overrides={},
        created_at=now,
        updated_at=now,
    )


def list_instances(
    uow: UnitOfWork, actor: Actor, *, template_id: uuid.UUID | None = None
) -> list[PipelineInstanceOut]:
    """The instances of the tenant the caller may see, oldest first."""
    visible = access.visible_instance_ids(uow, actor)
    rows = uow.pipelines.instances(actor.tenant_id, template_id=template_id, among=visible)
    return [instance_out(row) for row in rows]


def get_instance(uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID) -> PipelineInstanceOut:
    row = access.ensure_can_see_instance(uow, actor, instance_id)
    return instance_out(row, _instance_steps(uow, actor, row.id))


def update_access(uow: UnitOfWork, actor: Actor, data: AccessUpdate) -> PipelineInstanceOut:
    """Replaces who may see the instance; admins and the instance's owner may."""
    row = access.ensure_can_see_instance(uow, actor, data.id)
    if not actor.is_admin and (
        actor.account_id is None or actor.account_id != row.owner_account_id
    ):
        raise PermissionDenied("Only admins and the pipeline's owner can change who sees it.")
    row.access = access.resolve_access(uow, tenant_id=actor.tenant_id, spec=data.access)
    row.updated_at = uow.clock.now()
    uow.commit()
    return instance_out(row, _instance_steps(uow, actor, row.id))


def _checked_overrides(
    uow: UnitOfWork,
    actor: Actor,
    template: VersionStep,
    overrides: dict[str, Any],
    *,
    current: dict[str, Any],
) -> dict[str, Any]:
    """``overrides`` checked like a template's config, over ``template`` (the step as the
    version its pipeline runs has it); ``current``: the step's overrides now."""
    unknown = [key for key in overrides if key not in OVERRIDE_KEYS]
    if unknown:
        raise InvalidInput(
            [
                FieldProblem(
                    field=f"config_overrides.{key}", message="unknown configuration family"
                )
                for key in unknown
            ]
        )
    target = overrides.get("target_duration_days", template.target_duration_days)
    if "target_duration_days" in overrides and not (
        target is None or (isinstance(target, int) and not isinstance(target, bool) and target >= 0)
    ):
        raise InvalidInput.one(
            "config_overrides.target_duration_days", "must be a whole number of days or null"
        )
    families = {key: value for key, value in overrides.items() if key in CONFIG_FAMILIES}
    refuse_disabled_families(
        uow,
        tenant_id=actor.tenant_id,
        families=families,
        stored=current,
        prefix="config_overrides.",
    )
    names_by_id = field_ids_to_names(uow, tenant_id=actor.tenant_id)
    parsed = parse_families(families, names_by_id=names_by_id, prefix="config_overrides.")
    base = step_config(dict(template.families), target_duration_days=template.target_duration_days)
    effective = apply_overrides(
        base,
        StepConfig(**parsed, target_duration_days=target),
        frozenset(overrides),
    )
    fields = load_field_specs(uow, tenant_id=actor.tenant_id)
    problems = check_config(effective, fields=fields, prefix="config_overrides.")
    problems += metadata_problems(
        parsed.get("metadata", {}),
        names_by_id=names_by_id,
        fields=fields,
        prefix="config_overrides.",
    )
    problems += automation_url_problems(
        uow.session,
        tenant_id=actor.tenant_id,
        automations=parsed.get("automations", ()),
        prefix="config_overrides.",
    )
    if problems:
        raise InvalidInput(problems, "The step configuration cannot be saved.")
    result: dict[str, Any] = {
        family: dump_family(family, value) for family, value in parsed.items()
    }
    if "target_duration_days" in overrides:
        result["target_duration_days"] = target
    return result


def update_step_overrides(uow: UnitOfWork, actor: Actor, data: StepOverridesUpdate) -> StepOut:
    """Replaces a running step's ``config_overrides`` after the template's save-time checks."""
    actor.require_admin("configure steps")
    step = uow.steps.lock(actor.tenant_id, data.step_id)
    if step is None:
        raise NotFound("Step not found.")
    version_ids = uow.template_versions.version_ids_of_steps(actor.tenant_id, [step.id])
    template = running_steps(
        uow.template_versions, tenant_id=actor.tenant_id, steps=[(step, version_ids.get(step.id))]
    ).get(step.id)
    if template is None:
        raise NotFound("The step's template was deleted.")
    step.config_overrides = _checked_overrides(
        uow, actor, template, data.config_overrides, current=step.config_overrides or {}
    )
    step.updated_at = uow.clock.now()
    rule_timers.stop_removed_rules_of_step(uow, template=template, step=step)
    uow.commit()
    return step_out(step)
