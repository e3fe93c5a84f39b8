"""Pipeline instances, and who may see them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import PipelineInstance


@dataclass(frozen=True, kw_only=True)
class InstanceAccessRow:
    """Who may see one instance: its owner and its access document."""

    id: uuid.UUID
    owner_id: uuid.UUID | None
    access: dict[str, Any] | None


class PipelineRepository(Repository):
    def instance(self, tenant_id: uuid.UUID, instance_id: uuid.UUID) -> PipelineInstance | None:
        return self.session.get(PipelineInstance, (tenant_id, instance_id))

    def instances(
        self,
        tenant_id: uuid.UUID,
        *,
        template_id: uuid.UUID | None = None,
        among: Collection[uuid.UUID] | None = None,
    ) -> Sequence[PipelineInstance]:
        """The tenant's instances, oldest first; of one template, or ``among`` some ids."""
        statement = repository.scoped(PipelineInstance, tenant_id=tenant_id)
        if template_id is not None:
            statement = statement.where(PipelineInstance.pipeline_template_id == template_id)
        if among is not None:
            statement = statement.where(PipelineInstance.id.in_(among))
        statement = statement.order_by(PipelineInstance.created_at, PipelineInstance.id)
        return repository.all_rows(self.session, statement)

    def access_of_instances(self, tenant_id: uuid.UUID) -> list[InstanceAccessRow]:
        """Every instance of the tenant with what decides who may see it."""
        rows = self.session.execute(
            select(
                PipelineInstance.id, PipelineInstance.owner_account_id, PipelineInstance.access
            ).where(PipelineInstance.tenant_id == tenant_id)
        )
        return [
            InstanceAccessRow(id=instance_id, owner_id=owner_id, access=document)
            for instance_id, owner_id, document in rows
        ]
