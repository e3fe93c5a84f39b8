"""Pipeline templates (the draft) and their step templates; soft-deleted rows are left out
unless a method says otherwise."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import PipelineInstance, PipelineTemplate, StepTemplate

_ACTIVE = "active"


class TemplateRepository(Repository):
    def template(self, tenant_id: uuid.UUID, template_id: uuid.UUID) -> PipelineTemplate | None:
        return repository.get(self.session, PipelineTemplate, tenant_id=tenant_id, id=template_id)

    def templates(self, tenant_id: uuid.UUID) -> Sequence[PipelineTemplate]:
        """The tenant's templates by name."""
        statement = repository.scoped(PipelineTemplate, tenant_id=tenant_id)
        return self.session.scalars(statement.order_by(PipelineTemplate.name)).all()

    def named(self, tenant_id: uuid.UUID, name: str) -> PipelineTemplate | None:
        statement = repository.scoped(PipelineTemplate, tenant_id=tenant_id)
        return self.session.scalars(statement.where(PipelineTemplate.name == name)).first()

    def name_taken(
        self, tenant_id: uuid.UUID, name: str, *, except_id: uuid.UUID | None = None
    ) -> bool:
        statement = repository.scoped(PipelineTemplate, tenant_id=tenant_id).where(
            PipelineTemplate.name == name
        )
        if except_id is not None:
            statement = statement.where(PipelineTemplate.id != except_id)
        return self.session.scalars(statement).first() is not None

    def active_instance_names(self, tenant_id: uuid.UUID, template_id: uuid.UUID) -> list[str]:
        """The names of the active pipelines that run the template, sorted."""
        statement = select(PipelineInstance.name).where(
            PipelineInstance.tenant_id == tenant_id,
            PipelineInstance.pipeline_template_id == template_id,
            PipelineInstance.status == _ACTIVE,
        )
        return sorted(self.session.scalars(statement))

    def active_instance_ids(
        self, tenant_id: uuid.UUID, template_id: uuid.UUID
    ) -> Sequence[uuid.UUID]:
        """The ids of the active pipelines that run the template, oldest first."""
        return self.session.scalars(
            select(PipelineInstance.id)
            .where(
                PipelineInstance.tenant_id == tenant_id,
                PipelineInstance.pipeline_template_id == template_id,
                PipelineInstance.status == _ACTIVE,
            )
            .order_by(PipelineInstance.created_at, PipelineInstance.id)
        ).all()

    def step(
        self, tenant_id: uuid.UUID, step_id: uuid.UUID, *, for_update: bool = False
    ) -> StepTemplate | None:
        """The live step template; ``for_update`` locks it for the rest of the transaction."""
        load = repository.get_for_update if for_update else repository.get
        return load(self.session, StepTemplate, tenant_id=tenant_id, id=step_id)

    def step_even_deleted(self, tenant_id: uuid.UUID, step_id: uuid.UUID) -> StepTemplate | None:
        return self.session.get(StepTemplate, (tenant_id, step_id))

    def live_steps(self, tenant_id: uuid.UUID, template_id: uuid.UUID) -> Sequence[StepTemplate]:
        """The template's live steps in order."""
        statement = (
            repository.scoped(StepTemplate, tenant_id=tenant_id)
            .where(StepTemplate.pipeline_template_id == template_id)
            .order_by(StepTemplate.position, StepTemplate.created_at, StepTemplate.id)
        )
        return self.session.scalars(statement).all()

    def steps(
        self, tenant_id: uuid.UUID, *, template_id: uuid.UUID | None = None
    ) -> Sequence[StepTemplate]:
        """The live steps of the tenant's templates (or of one), by template and order."""
        statement = repository.scoped(StepTemplate, tenant_id=tenant_id)
        if template_id is not None:
            statement = statement.where(StepTemplate.pipeline_template_id == template_id)
        statement = statement.order_by(
            StepTemplate.pipeline_template_id, StepTemplate.position, StepTemplate.id
        )
        return self.session.scalars(statement).all()

    def highest_step_position(self, tenant_id: uuid.UUID, template_id: uuid.UUID) -> int | None:
        return self.session.scalar(
            select(func.max(StepTemplate.position)).where(
                StepTemplate.tenant_id == tenant_id,
                StepTemplate.pipeline_template_id == template_id,
                StepTemplate.deleted_at.is_(None),
            )
        )
