"""Automation log, testing and statistics; webhook endpoints, deliveries and the allow-list.

/api/automation-log/list, /api/automation/{test,stats},
/api/webhook-endpoint/{create,list,get,update,delete,rotate-secret,replay-failed},
/api/webhook-delivery/replay, /api/webhook-allow-list/{get,set}. Admins only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict

from pacetrack.services import automations, webhooks
from pacetrack.services.automations import (
    AutomationStats,
    AutomationTest,
    AutomationTestOut,
    RunPage,
    RunStatus,
)
from pacetrack.services.input_types import Offset, PlainStr
from pacetrack.services.webhooks import (
    AllowListIn,
    AllowListOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    ReplayDelivery,
    ReplayFailed,
    ReplayOut,
    RotateSecret,
)
from pacetrack.web.deps import CurrentActor, Work, container

router = APIRouter(tags=["automations"])


class ById(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID


@router.get("/api/automation-log/list")
def log_list(
    actor: CurrentActor,
    work: Work,
    item_id: uuid.UUID | None = None,
    automation_id: Annotated[PlainStr | None, Query(max_length=200)] = None,
    status: RunStatus | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> RunPage:
    with work:
        return automations.list_runs(
            work,
            actor,
            item_id=item_id,
            automation_id=automation_id,
            status=status,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )


@router.post("/api/automation/test")
def test(body: AutomationTest, actor: CurrentActor, request: Request) -> AutomationTestOut:
    # The service opens its own short transactions: none stays open while the receiver answers.
    built = container(request)
    return automations.try_automation(built.uow, actor, body, base_url=built.settings.base_url)


@router.get("/api/automation/stats")
def stats(actor: CurrentActor, work: Work, since: datetime | None = None) -> list[AutomationStats]:
    with work:
        return automations.automation_stats(work, actor, since=since)


@router.post("/api/webhook-endpoint/create", status_code=201)
def create_endpoint(body: EndpointCreate, actor: CurrentActor, work: Work) -> EndpointWithSecret:
    with work:
        return webhooks.create_endpoint(work, actor, body)


@router.get("/api/webhook-endpoint/list")
def list_endpoints(actor: CurrentActor, work: Work) -> list[EndpointOut]:
    with work:
        return webhooks.list_endpoints(work, actor)


@router.get("/api/webhook-endpoint/get")
def get_endpoint(id: uuid.UUID, actor: CurrentActor, work: Work) -> EndpointOut:
    with work:
        return webhooks.get_endpoint(work, actor, id)


@router.post("/api/webhook-endpoint/update")
def update_endpoint(body: EndpointUpdate, actor: CurrentActor, work: Work) -> EndpointOut:
    with work:
        return webhooks.update_endpoint(work, actor, body)


@router.post("/api/webhook-endpoint/delete", status_code=204)
def delete_endpoint(body: ById, actor: CurrentActor, work: Work) -> None:
    with work:
        webhooks.delete_endpoint(work, actor, body.id)


@router.post("/api/webhook-endpoint/rotate-secret")
def rotate_secret(body: RotateSecret, actor: CurrentActor, work: Work) -> EndpointWithSecret:
    with work:
        return webhooks.rotate_secret(work, actor, body)


@router.post("/api/webhook-endpoint/replay-failed")
def replay_failed(body: ReplayFailed, actor: CurrentActor, work: Work) -> ReplayOut:
    with work:
        return webhooks.replay_failed(work, actor, body)


@router.post("/api/webhook-delivery/replay")
def replay_delivery(body: ReplayDelivery, actor: CurrentActor, work: Work) -> ReplayOut:
    with work:
        return webhooks.replay_delivery(work, actor, body)


@router.get("/api/webhook-allow-list/get")
def get_allow_list(actor: CurrentActor, work: Work) -> AllowListOut:
    with work:
        return webhooks.get_allow_list(work, actor)


@router.post("/api/webhook-allow-list/set")
def set_allow_list(body: AllowListIn, actor: CurrentActor, work: Work) -> AllowListOut:
    with work:
        return webhooks.set_allow_list(work, actor, body)
