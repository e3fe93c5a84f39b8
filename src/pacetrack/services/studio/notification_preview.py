"""A notification's subject and body rendered as the worker would send them.

The studio previews a message before it is saved: against a chosen item (the variables
the worker gives a notification about that item: ``notifications.template_context``), or
against sample values typed in the editor. Both go through ``adapters.templating``, the
sandbox the worker renders with, so a template that previews is one that sends.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.adapters.templating import render
from pacetrack.db import repository
from pacetrack.db.tables import Item
from pacetrack.services import access
from pacetrack.services.context import Actor
from pacetrack.services.errors import FieldProblem, InvalidInput, NotFound
from pacetrack.services.input_types import PlainStr
from pacetrack.services.notifications import item_url, template_context
from pacetrack.services.unit_of_work import UnitOfWork

SAMPLE_ITEM_NAME = "Sample item"


class SampleValues(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_name: PlainStr = Field(default=SAMPLE_ITEM_NAME, max_length=500)
    field: dict[str, Any] = Field(
        default_factory=dict, description="Field name to its sample value ({{field.<name>}})"
    )


class NotificationPreview(BaseModel):
    """A subject and a body to render for ``item_id``, or else for ``sample``."""

    model_config = ConfigDict(extra="forbid")
    subject: PlainStr = Field(default="", max_length=2_000)
    body: PlainStr = Field(default="", max_length=20_000)
    step_template_id: uuid.UUID | None = Field(
        default=None, description="The step the message belongs to ({{step.name}} for samples)"
    )
    item_id: uuid.UUID | None = Field(default=None, description="Render against this item")
    sample: SampleValues = Field(default_factory=SampleValues)


class NotificationPreviewOut(BaseModel):
    subject: str
    body: str
    rendered_for: str = Field(description="The item's name, or the sample item's")


def _sample_context(
    uow: UnitOfWork, actor: Actor, data: NotificationPreview, base_url: str
) -> dict[str, Any]:
    step_name = ""
    if data.step_template_id is not None:
        step = uow.templates.step(actor.tenant_id, data.step_template_id)
        if step is None:
            raise NotFound.one(
                "step_template_id", "no such step template", detail="Step template not found."
            )
        step_name = step.name
    sample_id = uuid.UUID(int=0)
    return {
        "item": {
            "id": str(sample_id),
            "name": data.sample.item_name,
            "url": item_url(base_url, sample_id),
            "status": "active",
        },
        "field": dict(data.sample.field),
        "step": {"id": str(data.step_template_id or ""), "name": step_name},
        "pipeline": {"id": "", "name": ""},
        "actor": {"email": "PaceTrack", "name": "PaceTrack"},
        "trigger": "",
        "rule_id": "",
        "days_in_step": 0,
        "target_duration_days": "",
        "changes": [],
        "context": {},
    }


def _reason(error: str) -> str:
    """The sandbox's reason without the exception's class name."""
    _, _, reason = error.partition(": ")
    return f"cannot be rendered: {reason or error}"


def preview_notification(
    uow: UnitOfWork, actor: Actor, data: NotificationPreview, *, base_url: str
) -> NotificationPreviewOut:
    actor.require_manager("preview notifications")
    if data.item_id is not None:
        item = repository.get(uow.session, Item, tenant_id=actor.tenant_id, id=data.item_id)
        if item is None:
            raise NotFound.one("item_id", "no such item", detail="Item not found.")
        access.ensure_can_see_item(uow, actor, item)
        context = template_context(
            uow, item=item, payload={}, base_url=base_url, now=uow.clock.now()
        )
        shown_for = item.name
    else:
        context = _sample_context(uow, actor, data, base_url)
        shown_for = data.sample.item_name
    subject, body = render(data.subject, context), render(data.body, context)
    problems = [
        FieldProblem(field=name, message=_reason(result.error))
        for name, result in (("subject", subject), ("body", body))
        if result.error is not None
    ]
    if problems:
        raise InvalidInput(problems, "The message cannot be rendered.")
    return NotificationPreviewOut(
        subject=subject.text.strip(), body=body.text, rendered_for=shown_for
    )
