"""A template's draft beside its latest published version: what publishing would add.

The draft is the template as it is now (``snapshot_of``); the comparison is the same pure
diff as between two versions, so "unpublished changes" and a publish agree: a draft
with no change is exactly one that publishing refuses as unchanged.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from pacetrack.engine.template_diff import diff_snapshots
from pacetrack.services.context import Actor
from pacetrack.services.template_versions import (
    StepWordsOut,
    by_step_out,
    changes_of,
    snapshot_of,
)
from pacetrack.services.templates import get_template_row
from pacetrack.services.unit_of_work import UnitOfWork


class DraftOut(BaseModel):
    pipeline_template_id: uuid.UUID
    latest_version: int | None = Field(description="null: nothing published yet")
    unpublished: bool = Field(description="Whether the draft differs from the latest version")
    words: list[str] = Field(description="What changed since the latest version, as sentences")
    by_step: list[StepWordsOut]
    changes: dict[str, Any]


def draft_changes(uow: UnitOfWork, actor: Actor, template_id: uuid.UUID) -> DraftOut:
    """What the draft changes since the latest version (everything, before version 1)."""
    actor.require_manager("read template versions")
    template = get_template_row(uow, actor, template_id)
    draft = snapshot_of(uow, template)
    latest = uow.template_versions.latest(actor.tenant_id, template.id)
    base = latest.snapshot if latest is not None else {"steps": []}
    diff = diff_snapshots(base, draft)
    return DraftOut(
        pipeline_template_id=template.id,
        latest_version=None if latest is None else latest.number,
        unpublished=latest is None or not diff.empty,
        words=list(diff.words),
        by_step=by_step_out(diff),
        changes=changes_of(diff),
    )
