"""Published template versions, and what a running step reads from the version its
pipeline runs: the version row's id, its snapshot, and the stored step templates a step
falls back to when its version has no entry for it."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, func, select

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import (
    RUNNING_STEP,
    Account,
    PipelineInstance,
    PipelineTemplate,
    Step,
    StepTemplate,
)
from pacetrack.db.tables_versions import PipelineTemplateVersion, version_join


class TemplateVersionRepository(Repository):
    def _of_template(self, tenant_id: uuid.UUID, template_id: uuid.UUID) -> Any:
        return select(PipelineTemplateVersion).where(
            PipelineTemplateVersion.tenant_id == tenant_id,
            PipelineTemplateVersion.pipeline_template_id == template_id,
        )

    def latest(
        self, tenant_id: uuid.UUID, template_id: uuid.UUID
    ) -> PipelineTemplateVersion | None:
        statement = self._of_template(tenant_id, template_id).order_by(
            PipelineTemplateVersion.number.desc()
        )
        return self.session.scalars(statement.limit(1)).first()

    def numbered(
        self, tenant_id: uuid.UUID, template_id: uuid.UUID, number: int
    ) -> PipelineTemplateVersion | None:
        statement = self._of_template(tenant_id, template_id)
        return self.session.scalars(
            statement.where(PipelineTemplateVersion.number == number)
        ).first()

    def newest_first(
        self, tenant_id: uuid.UUID, template_id: uuid.UUID
    ) -> Sequence[PipelineTemplateVersion]:
        statement = self._of_template(tenant_id, template_id)
        return self.session.scalars(statement.order_by(PipelineTemplateVersion.number.desc())).all()

    def highest_number(self, tenant_id: uuid.UUID, template_id: uuid.UUID) -> int | None:
        return self.session.scalar(
            select(func.max(PipelineTemplateVersion.number)).where(
                PipelineTemplateVersion.tenant_id == tenant_id,
                PipelineTemplateVersion.pipeline_template_id == template_id,
            )
        )

    def publisher(self, version: PipelineTemplateVersion) -> Account | None:
        """The account that published ``version`` (None once it is deleted)."""
        if version.published_by is None:
            return None
        return repository.get(
            self.session, Account, tenant_id=version.tenant_id, id=version.published_by
        )

    def snapshots(
        self, tenant_id: uuid.UUID, version_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, Mapping[str, Any]]:
        """The snapshot of each of the version rows, by id."""
        rows = self.session.execute(
            select(PipelineTemplateVersion.id, PipelineTemplateVersion.snapshot).where(
                PipelineTemplateVersion.tenant_id == tenant_id,
                PipelineTemplateVersion.id.in_(version_ids),
            )
        )
        return {version_id: snapshot for version_id, snapshot in rows}

    def snapshot(self, tenant_id: uuid.UUID, version_id: uuid.UUID) -> Mapping[str, Any] | None:
        return self.session.scalar(
            select(PipelineTemplateVersion.snapshot).where(
                PipelineTemplateVersion.tenant_id == tenant_id,
                PipelineTemplateVersion.id == version_id,
            )
        )

    def stored_step_templates(
        self, tenant_id: uuid.UUID, ids: Collection[uuid.UUID]
    ) -> Sequence[StepTemplate]:
        """The step templates as stored, deleted ones too: what a step whose version has no
        entry for it runs."""
        return self.session.scalars(
            select(StepTemplate).where(
                StepTemplate.tenant_id == tenant_id, StepTemplate.id.in_(ids)
            )
        ).all()

    def version_ids_of_steps(
        self, tenant_id: uuid.UUID, step_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, uuid.UUID | None]:
        """The id of the version row each step's pipeline runs, by step id (one query)."""
        on_instance, on_version = version_join()
        rows = self.session.execute(
            select(Step.id, PipelineTemplateVersion.id)
            .join(PipelineInstance, on_instance)
            .outerjoin(PipelineTemplateVersion, on_version)
            .where(Step.tenant_id == tenant_id, Step.id.in_(list(step_ids)))
        )
        return {step_id: version_id for step_id, version_id in rows}

    def running_steps_of_instance(
        self, tenant_id: uuid.UUID, instance_id: uuid.UUID
    ) -> list[tuple[Step, uuid.UUID | None]]:
        """The instance's steps in order (removed ones left out), each with the id of the
        version row its pipeline runs."""
        on_instance, on_version = version_join()
        rows = self.session.execute(
            select(Step, PipelineTemplateVersion.id)
            .join(PipelineInstance, on_instance)
            .outerjoin(PipelineTemplateVersion, on_version)
            .where(
                Step.tenant_id == tenant_id, Step.pipeline_instance_id == instance_id, RUNNING_STEP
            )
            .order_by(Step.position, Step.id)
        ).all()
        return [(step, version_id) for step, version_id in rows]

    def board_with_version_id(
        self, tenant_id: uuid.UUID, template_id: uuid.UUID, number: int | None
    ) -> tuple[Any, uuid.UUID | None] | None:
        """The template's own board setting and the id of its version ``number`` (None when
        there is no such version row); None when there is no such template."""
        row = self.session.execute(
            select(PipelineTemplate.board, PipelineTemplateVersion.id)
            .select_from(PipelineTemplate)
            .outerjoin(
                PipelineTemplateVersion,
                and_(
                    PipelineTemplateVersion.tenant_id == PipelineTemplate.tenant_id,
                    PipelineTemplateVersion.pipeline_template_id == PipelineTemplate.id,
                    PipelineTemplateVersion.number == number,
                ),
            )
            .where(PipelineTemplate.tenant_id == tenant_id, PipelineTemplate.id == template_id)
        ).one_or_none()
        if row is None:
            return None
        board, version_id = row
        return board, version_id
