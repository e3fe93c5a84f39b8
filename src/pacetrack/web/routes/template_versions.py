"""/api/pipeline-template/publish, versions, version, diff, draft and rollback.

Admins publish and roll back; admins and managers read versions and their diffs.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from pacetrack.services import template_draft, template_rollback, template_versions
from pacetrack.services.template_draft import DraftOut
from pacetrack.services.template_versions import (
    DiffOut,
    PublishVersion,
    RollbackVersion,
    VersionOut,
)
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(prefix="/api/pipeline-template", tags=["pipeline templates"])

VersionNumber = Annotated[int, Query(ge=1, le=2**31 - 1)]


@router.post("/publish", status_code=201)
def publish(body: PublishVersion, actor: CurrentActor, work: Work) -> VersionOut:
    """Publishes the template's current steps as its next version."""
    with work:
        return template_versions.publish(work, actor, body)


@router.get("/versions")
def list_versions(id: uuid.UUID, actor: CurrentActor, work: Work) -> list[VersionOut]:
    """The template's versions, newest first."""
    with work:
        return template_versions.list_versions(work, actor, id)


@router.get("/version")
def get_version(
    id: uuid.UUID, number: VersionNumber, actor: CurrentActor, work: Work
) -> VersionOut:
    """One version with its snapshot."""
    with work:
        return template_versions.get_version(work, actor, id, number)


@router.get("/diff")
def diff(
    id: uuid.UUID,
    actor: CurrentActor,
    work: Work,
    from_version: Annotated[int, Query(alias="from", ge=1, le=2**31 - 1)],
    to_version: Annotated[int, Query(alias="to", ge=1, le=2**31 - 1)],
) -> DiffOut:
    """What changed from version ``from`` to version ``to``."""
    with work:
        return template_versions.diff_versions(
            work, actor, id, before=from_version, after=to_version
        )


@router.get("/draft")
def draft(id: uuid.UUID, actor: CurrentActor, work: Work) -> DraftOut:
    """What the draft changes since the latest version: what publishing it would add."""
    with work:
        return template_draft.draft_changes(work, actor, id)


@router.post("/rollback", status_code=201)
def rollback(body: RollbackVersion, actor: CurrentActor, work: Work) -> VersionOut:
    """Restores an earlier version's steps and publishes them as a new version."""
    with work:
        return template_rollback.rollback(work, actor, body)
