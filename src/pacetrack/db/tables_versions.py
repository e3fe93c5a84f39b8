"""Published versions of pipeline templates: a frozen snapshot per version number."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Text, UniqueConstraint, Uuid, and_
from sqlalchemy.orm import Mapped, mapped_column

from pacetrack.db.tables import Base, PipelineInstance, Step, tenant_fk


class PipelineTemplateVersion(Base):
    """Version ``number`` of a template: its name, description, board and steps as published.

    Numbers count from 1 per template; a version is never changed once written.
    """

    __tablename__ = "pipeline_template_version"
    __table_args__ = (
        tenant_fk(["pipeline_template_id"], "pipeline_template"),
        tenant_fk(["published_by"], "account"),
        UniqueConstraint("tenant_id", "pipeline_template_id", "number"),
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    pipeline_template_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]]
    note: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    published_at: Mapped[datetime]


def version_join(step: type[Step] = Step) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The ON clauses that join a step's pipeline instance and the version row it runs."""
    return (
        and_(
            PipelineInstance.tenant_id == step.tenant_id,
            PipelineInstance.id == step.pipeline_instance_id,
        ),
        and_(
            PipelineTemplateVersion.tenant_id == PipelineInstance.tenant_id,
            PipelineTemplateVersion.pipeline_template_id == PipelineInstance.pipeline_template_id,
            PipelineTemplateVersion.number == PipelineInstance.template_version,
        ),
    )
