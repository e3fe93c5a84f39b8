"""The per-tenant feature flags an operator has set, and the stored configurations a
report of the flags lists (template steps and running steps that use a family)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import PipelineInstance, PipelineTemplate, Step, StepTemplate
from pacetrack.db.tables_features import TenantFeature


class TenantFeatureRepository(Repository):
    def overrides(self, tenant_id: uuid.UUID) -> list[tuple[str, bool]]:
        """Each flag the tenant has set, with its state."""
        rows = self.session.execute(
            select(TenantFeature.name, TenantFeature.enabled).where(
                TenantFeature.tenant_id == tenant_id
            )
        )
        return [(name, bool(enabled)) for name, enabled in rows]

    def rows(self, tenant_id: uuid.UUID) -> Sequence[TenantFeature]:
        return self.session.scalars(
            select(TenantFeature).where(TenantFeature.tenant_id == tenant_id)
        ).all()

    def row(self, tenant_id: uuid.UUID, name: str) -> TenantFeature | None:
        return self.session.get(TenantFeature, (tenant_id, name))

    def template_step_families(
        self, tenant_id: uuid.UUID, families: Sequence[str]
    ) -> list[tuple[str, str, tuple[Any, ...]]]:
        """(template name, step name, the step's value of each of ``families``) for every
        live step of a live template, by template name and step order."""
        columns = [getattr(StepTemplate, family) for family in families]
        rows = self.session.execute(
            select(PipelineTemplate.name, StepTemplate.name, *columns)
            .join(
                PipelineTemplate,
                (PipelineTemplate.tenant_id == StepTemplate.tenant_id)
                & (PipelineTemplate.id == StepTemplate.pipeline_template_id),
            )
            .where(
                StepTemplate.tenant_id == tenant_id,
                StepTemplate.deleted_at.is_(None),
                PipelineTemplate.deleted_at.is_(None),
            )
            .order_by(PipelineTemplate.name, StepTemplate.position, StepTemplate.name)
        )
        return [(pipeline, step, tuple(values)) for pipeline, step, *values in rows]

    def running_step_overrides(
        self, tenant_id: uuid.UUID
    ) -> list[tuple[str, str, Mapping[str, Any] | None]]:
        """(pipeline name, step name, the step's overrides) for every step of an active
        pipeline, by pipeline name and step order."""
        rows = self.session.execute(
            select(PipelineInstance.name, Step.name, Step.config_overrides)
            .join(
                PipelineInstance,
                (PipelineInstance.tenant_id == Step.tenant_id)
                & (PipelineInstance.id == Step.pipeline_instance_id),
            )
            .where(Step.tenant_id == tenant_id, PipelineInstance.status == "active")
            .order_by(PipelineInstance.name, Step.position, Step.name)
        )
        return [(pipeline, step, overrides) for pipeline, step, overrides in rows]
