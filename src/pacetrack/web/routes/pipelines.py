"""/api/pipeline-instance/{create,list,get,update-step-overrides,update-access}"""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from pacetrack.services import pipelines
from pacetrack.services.pipelines import (
    AccessUpdate,
    PipelineInstanceCreate,
    PipelineInstanceOut,
    StepOut,
    StepOverridesUpdate,
)
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(prefix="/api/pipeline-instance", tags=["pipeline instances"])


@router.post("/create", status_code=201)
def create(body: PipelineInstanceCreate, actor: CurrentActor, work: Work) -> PipelineInstanceOut:
    with work:
        return pipelines.create_instance(work, actor, body)


@router.get("/list")
def list_(
    actor: CurrentActor, work: Work, pipeline_template_id: uuid.UUID | None = None
) -> list[PipelineInstanceOut]:
    with work:
        return pipelines.list_instances(work, actor, template_id=pipeline_template_id)


@router.get("/get")
def get(id: uuid.UUID, actor: CurrentActor, work: Work) -> PipelineInstanceOut:
    with work:
        return pipelines.get_instance(work, actor, id)


@router.post("/update-step-overrides")
def update_step_overrides(body: StepOverridesUpdate, actor: CurrentActor, work: Work) -> StepOut:
    with work:
        return pipelines.update_step_overrides(work, actor, body)


@router.post("/update-access")
def update_access(body: AccessUpdate, actor: CurrentActor, work: Work) -> PipelineInstanceOut:
    with work:
        return pipelines.update_access(work, actor, body)
