"""/api/field-definition/{create,list,get,update,delete}"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from pacetrack.services import fields
from pacetrack.services.fields import (
    FieldDefinitionCreate,
    FieldDefinitionOut,
    FieldDefinitionUpdate,
)
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(prefix="/api/field-definition", tags=["field definitions"])


class ById(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID


@router.post("/create", status_code=201)
def create(body: FieldDefinitionCreate, actor: CurrentActor, work: Work) -> FieldDefinitionOut:
    with work:
        return fields.create_field(work, actor, body)


@router.get("/list")
def list_(actor: CurrentActor, work: Work) -> list[FieldDefinitionOut]:
    with work:
        return fields.list_fields(work, actor)


@router.get("/get")
def get(id: uuid.UUID, actor: CurrentActor, work: Work) -> FieldDefinitionOut:
    with work:
        return fields.get_field(work, actor, id)


@router.post("/update")
def update(body: FieldDefinitionUpdate, actor: CurrentActor, work: Work) -> FieldDefinitionOut:
    with work:
        return fields.update_field(work, actor, body)


@router.post("/delete", status_code=204)
def delete(body: ById, actor: CurrentActor, work: Work) -> None:
    with work:
        fields.delete_field(work, actor, body.id)
