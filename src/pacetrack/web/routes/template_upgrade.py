"""/api/pipeline-instance/upgrade and /api/pipeline-template/upgrade-instances (admins)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from pacetrack.services import template_upgrade
from pacetrack.services.upgrade_report import UpgradeOut
from pacetrack.web.deps import CurrentActor, Work

router = APIRouter(tags=["pipeline templates"])


class UpgradeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    to_version: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="Default: the latest published version"
    )
    step_mapping: dict[uuid.UUID, uuid.UUID] = Field(
        default_factory=dict,
        description="Step template id of a step the version removes → step template id of "
        "the step of that version its items move to",
    )
    dry_run: bool = Field(default=False, description="Answer what would change; write nothing")

    def options(self) -> dict[str, Any]:
        """The service's keyword arguments."""
        return {
            "to_version": self.to_version,
            "step_mapping": self.step_mapping,
            "dry_run": self.dry_run,
        }


class InstanceUpgrade(UpgradeRequest):
    id: uuid.UUID = Field(description="The pipeline instance")


class TemplateUpgrade(UpgradeRequest):
    id: uuid.UUID = Field(description="The pipeline template whose active pipelines upgrade")


@router.post("/api/pipeline-instance/upgrade")
def upgrade_instance(body: InstanceUpgrade, actor: CurrentActor, work: Work) -> UpgradeOut:
    """Upgrades a running pipeline to a published version of its template."""
    with work:
        return template_upgrade.upgrade_instance(work, actor, body.id, **body.options())


@router.post("/api/pipeline-template/upgrade-instances")
def upgrade_instances(body: TemplateUpgrade, actor: CurrentActor, work: Work) -> list[UpgradeOut]:
    """Upgrades every active pipeline of the template, each reported."""
    with work:
        return template_upgrade.upgrade_template_instances(work, actor, body.id, **body.options())
