"""Published versions of pipeline templates: publish, list, read, diff and roll back.

The template's steps are the draft; publishing freezes them as version N+1 (a snapshot
of the template's name, description, board and steps in order with their seven
configuration families). A pipeline records the version it was started from. Rolling
back copies an earlier version's steps back into the draft and publishes the result.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import PipelineTemplate
from pacetrack.db.tables_versions import PipelineTemplateVersion
from pacetrack.engine.template_diff import TemplateDiff, diff_snapshots
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, NotFound
from pacetrack.services.input_types import PlainStr
from pacetrack.services.templates import get_template_row, stored_families
from pacetrack.services.unit_of_work import UnitOfWork

FIRST_AUTOMATIC_NOTE = "Published automatically when the first pipeline was started"


class PublishVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID = Field(description="The pipeline template")
    note: PlainStr = Field(default="", max_length=2000)


class RollbackVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID = Field(description="The pipeline template")
    version: int = Field(ge=1, le=2**31 - 1, description="The version to restore")
    note: PlainStr = Field(default="", max_length=2000)


class PublisherOut(BaseModel):
    id: uuid.UUID
    display_name: str


class VersionOut(BaseModel):
    pipeline_template_id: uuid.UUID
    number: int
    note: str
    published_by: PublisherOut | None
    published_at: datetime
    snapshot: dict[str, Any] | None = Field(default=None, description="On get, publish, rollback")


class StepWordsOut(BaseModel):
    id: uuid.UUID | None = Field(description="The step template; null: the template itself")
    name: str
    words: list[str]


class DiffOut(BaseModel):
    pipeline_template_id: uuid.UUID
    from_version: int
    to_version: int
    words: list[str] = Field(description="Every change as a sentence")
    by_step: list[StepWordsOut] = Field(
        default_factory=list,
        description="The same changes grouped: the template, the steps in order, removed steps",
    )
    changes: dict[str, Any] = Field(
        description="template, added, removed, renamed, reordered and changed steps"
    )


def snapshot_of(uow: UnitOfWork, template: PipelineTemplate) -> dict[str, Any]:
    """The template as it is now, in the shape a version stores (see migration 0015)."""
    steps = uow.templates.live_steps(template.tenant_id, template.id)
    return {
        "name": template.name,
        "description": template.description or "",
        "board": dict(template.board or {}),
        "steps": [
            {
                "id": str(step.id),
                "name": step.name,
                "description": step.description or "",
                "position": step.position,
                "target_duration_days": step.target_duration_days,
                "color": step.color,
                "icon": step.icon,
                **stored_families(step),
            }
            for step in steps
        ],
    }


def _comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    # Positions may have gaps; the order of the steps is what a version means.
    steps = [{k: v for k, v in step.items() if k != "position"} for step in snapshot["steps"]]
    return {**snapshot, "steps": steps}


def _add_version(
    uow: UnitOfWork,
    actor: Actor,
    template: PipelineTemplate,
    *,
    snapshot: dict[str, Any],
    note: str,
) -> PipelineTemplateVersion:
    highest = uow.template_versions.highest_number(actor.tenant_id, template.id)
    row = PipelineTemplateVersion(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        pipeline_template_id=template.id,
        number=(highest or 0) + 1,
        snapshot=snapshot,
        note=note,
        published_by=actor.account_id,
        published_at=uow.clock.now(),
    )
    uow.template_versions.add(row)
    uow.flush()
    return row


def version_for_new_pipeline(
    uow: UnitOfWork, actor: Actor, template: PipelineTemplate
) -> PipelineTemplateVersion:
    """The latest published version of ``template``; version 1 is published when there is
    none yet (a template made after versions were introduced and never published)."""
    latest = uow.template_versions.latest(actor.tenant_id, template.id)
    if latest is not None:
        return latest
    snapshot = snapshot_of(uow, template)
    if not snapshot["steps"]:
        raise Conflict.one("pipeline_template_id", "the template has no steps yet")
    return _add_version(uow, actor, template, snapshot=snapshot, note=FIRST_AUTOMATIC_NOTE)


def publish_current(
    uow: UnitOfWork, actor: Actor, template: PipelineTemplate, *, note: str
) -> PipelineTemplateVersion:
    """Adds the template's current state as the next version (409 when it is unchanged)."""
    snapshot = snapshot_of(uow, template)
    latest = uow.template_versions.latest(actor.tenant_id, template.id)
    if latest is not None and _comparable(latest.snapshot) == _comparable(snapshot):
        raise Conflict.one(
            "id", f"nothing changed since version {latest.number}; there is nothing to publish"
        )
    return _add_version(uow, actor, template, snapshot=snapshot, note=note)


def version_out(
    uow: UnitOfWork, row: PipelineTemplateVersion, *, with_snapshot: bool
) -> VersionOut:
    publisher = None
    account = uow.template_versions.publisher(row)
    if account is not None:
        publisher = PublisherOut(id=account.id, display_name=account.display_name)
    return VersionOut(
        pipeline_template_id=row.pipeline_template_id,
        number=row.number,
        note=row.note,
        published_by=publisher,
        published_at=row.published_at,
        snapshot=dict(row.snapshot) if with_snapshot else None,
    )


def publish(uow: UnitOfWork, actor: Actor, data: PublishVersion) -> VersionOut:
    actor.require_admin("publish pipeline templates")
    template = get_template_row(uow, actor, data.id)
    row = publish_current(uow, actor, template, note=data.note)
    uow.commit()
    return version_out(uow, row, with_snapshot=True)


def list_versions(uow: UnitOfWork, actor: Actor, template_id: uuid.UUID) -> list[VersionOut]:
    actor.require_manager("read template versions")
    template = get_template_row(uow, actor, template_id)
    rows = uow.template_versions.newest_first(actor.tenant_id, template.id)
    return [version_out(uow, row, with_snapshot=False) for row in rows]


def version_row(
    uow: UnitOfWork, actor: Actor, template_id: uuid.UUID, number: int, *, field: str
) -> PipelineTemplateVersion:
    row = uow.template_versions.numbered(actor.tenant_id, template_id, number)
    if row is None:
        raise NotFound.one(field, f"the template has no version {number}")
    return row


def get_version(uow: UnitOfWork, actor: Actor, template_id: uuid.UUID, number: int) -> VersionOut:
    actor.require_manager("read template versions")
    template = get_template_row(uow, actor, template_id)
    row = version_row(uow, actor, template.id, number, field="number")
    return version_out(uow, row, with_snapshot=True)


def diff_versions(
    uow: UnitOfWork, actor: Actor, template_id: uuid.UUID, *, before: int, after: int
) -> DiffOut:
    actor.require_manager("read template versions")
    template = get_template_row(uow, actor, template_id)
    old = version_row(uow, actor, template.id, before, field="from")
    new = version_row(uow, actor, template.id, after, field="to")
    diff = diff_snapshots(old.snapshot, new.snapshot)
    return DiffOut(
        pipeline_template_id=template.id,
        from_version=before,
        to_version=after,
        words=list(diff.words),
        by_step=by_step_out(diff),
        changes=changes_of(diff),
    )


def by_step_out(diff: TemplateDiff) -> list[StepWordsOut]:
    return [
        StepWordsOut(
            id=None if group.id is None else uuid.UUID(group.id),
            name=group.name,
            words=list(group.words),
        )
        for group in diff.by_step
    ]


def changes_of(diff: TemplateDiff) -> dict[str, Any]:
    data = asdict(diff)
    data.pop("words")
    data.pop("by_step")
    return data
