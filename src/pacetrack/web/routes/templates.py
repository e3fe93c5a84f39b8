"""/api/pipeline-template/... and /api/step-template/... (admins write, every role reads)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from pacetrack.services import templates
from pacetrack.services.input_types import JsonList, JsonObject, PlainStr
from pacetrack.services.template_transfer import export_template as export_document
from pacetrack.services.template_transfer import import_template as import_document
from pacetrack.services.templates import (
    PipelineTemplateCreate,
    PipelineTemplateOut,
    PipelineTemplateUpdate,
    StepReorder,
    StepTemplateCreate,
    StepTemplateOut,
    StepTemplateUpdate,
)
from pacetrack.web.deps import CurrentActor, Work

pipeline_templates = APIRouter(prefix="/api/pipeline-template", tags=["pipeline templates"])
step_templates = APIRouter(prefix="/api/step-template", tags=["step templates"])


class ById(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID


class TemplateImport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document: JsonObject = Field(description="A pacetrack.pipeline-template/v1 document")
    name: PlainStr | None = Field(
        default=None, min_length=1, max_length=200, description="Import under this name instead"
    )


@pipeline_templates.post("/create", status_code=201)
def create_template(
    body: PipelineTemplateCreate, actor: CurrentActor, work: Work
) -> PipelineTemplateOut:
    with work:
        return templates.create_template(work, actor, body)


@pipeline_templates.get("/list")
def list_templates(actor: CurrentActor, work: Work) -> list[PipelineTemplateOut]:
    with work:
        return templates.list_templates(work, actor)


@pipeline_templates.get("/get")
def get_template(id: uuid.UUID, actor: CurrentActor, work: Work) -> PipelineTemplateOut:
    with work:
        return templates.get_template(work, actor, id)


@pipeline_templates.post("/update")
def update_template(
    body: PipelineTemplateUpdate, actor: CurrentActor, work: Work
) -> PipelineTemplateOut:
    with work:
        return templates.update_template(work, actor, body)


@pipeline_templates.post("/delete", status_code=204)
def delete_template(body: ById, actor: CurrentActor, work: Work) -> None:
    with work:
        templates.delete_template(work, actor, body.id)


@pipeline_templates.post("/export")
def export_template(body: ById, actor: CurrentActor, work: Work) -> dict[str, Any]:
    with work:
        return export_document(work, actor, body.id)


@pipeline_templates.post("/import", status_code=201)
def import_template(body: TemplateImport, actor: CurrentActor, work: Work) -> PipelineTemplateOut:
    with work:
        return import_document(work, actor, body.document, name=body.name)


@step_templates.post("/create", status_code=201)
def create_step(body: StepTemplateCreate, actor: CurrentActor, work: Work) -> StepTemplateOut:
    with work:
        return templates.create_step(work, actor, body)


@step_templates.get("/list")
def list_steps(
    actor: CurrentActor, work: Work, pipeline_template_id: uuid.UUID | None = None
) -> list[StepTemplateOut]:
    with work:
        return templates.list_steps(work, actor, template_id=pipeline_template_id)


@step_templates.get("/get")
def get_step(id: uuid.UUID, actor: CurrentActor, work: Work) -> StepTemplateOut:
    with work:
        return templates.get_step(work, actor, id)


@step_templates.get("/config-schema")
def config_schema(actor: CurrentActor) -> dict[str, Any]:
    """The JSON Schema of each configuration family."""
    del actor
    return templates.config_schema()


@step_templates.post("/update")
def update_step(body: StepTemplateUpdate, actor: CurrentActor, work: Work) -> StepTemplateOut:
    with work:
        return templates.update_step(work, actor, body)


@step_templates.post("/delete", status_code=204)
def delete_step(body: ById, actor: CurrentActor, work: Work) -> None:
    with work:
        templates.delete_step(work, actor, body.id)


@step_templates.post("/reorder")
def reorder_steps(body: StepReorder, actor: CurrentActor, work: Work) -> list[StepTemplateOut]:
    with work:
        return templates.reorder_steps(work, actor, body)


class FieldConfigsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    field_configs: JsonList


class ValidationsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    validations: JsonList


class AssignmentsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    assignments: JsonList


class NotificationsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    notifications: JsonList


class AutomationsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    automations: JsonList


class CalculationsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    calculations: JsonList


class MetadataUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    metadata: JsonObject


@step_templates.post("/update-field-configs")
def update_field_configs(
    body: FieldConfigsUpdate, actor: CurrentActor, work: Work
) -> StepTemplateOut:
    with work:
        return templates.update_family(
            work, actor, body.id, family="field_configs", raw=body.field_configs
        )


@step_templates.post("/update-validations")
def update_validations(body: ValidationsUpdate, actor: CurrentActor, work: Work) -> StepTemplateOut:
    with work:
        return templates.update_family(
            work, actor, body.id, family="validations", raw=body.validations
        )


@step_templates.post("/update-assignments")
def update_assignments(body: AssignmentsUpdate, actor: CurrentActor, work: Work) -> StepTemplateOut:
    with work:
        return templates.update_family(
            work, actor, body.id, family="assignments", raw=body.assignments
        )


@step_templates.post("/update-notifications")
def update_notifications(
    body: NotificationsUpdate, actor: CurrentActor, work: Work
) -> StepTemplateOut:
    with work:
        return templates.update_family(
            work, actor, body.id, family="notifications", raw=body.notifications
        )


@step_templates.post("/update-automations")
def update_automations(body: AutomationsUpdate, actor: CurrentActor, work: Work) -> StepTemplateOut:
    with work:
        return templates.update_family(
            work, actor, body.id, family="automations", raw=body.automations
        )


@step_templates.post("/update-calculations")
def update_calculations(
    body: CalculationsUpdate, actor: CurrentActor, work: Work
) -> StepTemplateOut:
    with work:
        return templates.update_family(
            work, actor, body.id, family="calculations", raw=body.calculations
        )


@step_templates.post("/update-metadata")
def update_metadata(body: MetadataUpdate, actor: CurrentActor, work: Work) -> StepTemplateOut:
    with work:
        return templates.update_family(work, actor, body.id, family="metadata", raw=body.metadata)


router = APIRouter()
router.include_router(pipeline_templates)
router.include_router(step_templates)
