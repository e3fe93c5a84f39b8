"""A pipeline's running steps, with what their configuration is read from: the id of the
template version row the pipeline runs, and the tenant's calendar."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.repositories.fields import fields_digest
from pacetrack.db.tables import RUNNING_STEP, PipelineInstance, Step, Tenant
from pacetrack.db.tables_versions import PipelineTemplateVersion, version_join


@dataclass(frozen=True, kw_only=True)
class CalendarColumns:
    """The tenant's calendar as stored: time zone, working weekdays, holidays."""

    time_zone: str | None
    working_weekdays: Any
    holidays: Any


@dataclass(frozen=True, kw_only=True)
class PipelineRows:
    """A pipeline's running steps in order, each with the id of the version row its
    pipeline runs, and the tenant's calendar read beside them."""

    steps: list[tuple[Step, uuid.UUID | None]]
    calendar: CalendarColumns | None
    fields_digest: str | None = None
    """PostgreSQL: a revision of the tenant's live field definitions (``fields_digest``)."""


ON_INSTANCE, ON_VERSION = version_join()
CALENDAR = (Tenant.time_zone, Tenant.working_weekdays, Tenant.holidays)
# Built once: constructing a statement and its cache key costs more than running it.
_PIPELINE = (
    select(Step, PipelineTemplateVersion.id.label("version_id"), *CALENDAR)
    .join(Tenant, Tenant.id == Step.tenant_id)
    .join(PipelineInstance, ON_INSTANCE)
    .outerjoin(PipelineTemplateVersion, ON_VERSION)
    .where(
        Step.tenant_id == bindparam("tenant_id"),
        Step.pipeline_instance_id == bindparam("instance_id"),
        RUNNING_STEP,
    )
    .order_by(Step.position, Step.name)
)
_PIPELINE_PG = _PIPELINE.add_columns(fields_digest(bindparam("tenant_id")).label("fields_digest"))


class StepRepository(Repository):
    def get(self, tenant_id: uuid.UUID, step_id: uuid.UUID) -> Step | None:
        return self.session.get(Step, (tenant_id, step_id))

    def lock(self, tenant_id: uuid.UUID, step_id: uuid.UUID) -> Step | None:
        """The step, locked for the rest of the transaction."""
        return repository.get_for_update(self.session, Step, tenant_id=tenant_id, id=step_id)

    def running(self, tenant_id: uuid.UUID, instance_id: uuid.UUID) -> list[Step]:
        """The instance's running steps in order."""
        return list(
            self.session.scalars(
                select(Step)
                .where(
                    Step.tenant_id == tenant_id,
                    Step.pipeline_instance_id == instance_id,
                    RUNNING_STEP,
                )
                .order_by(Step.position, Step.name)
            )
        )

    def pipeline_rows(self, tenant_id: uuid.UUID, instance_id: uuid.UUID) -> PipelineRows:
        """Every running step of the instance, the tenant's calendar (None when the
        instance has no running step) and, on PostgreSQL, the fields digest: one query."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        rows = self.session.execute(
            _PIPELINE_PG if postgres else _PIPELINE,
            {"tenant_id": tenant_id, "instance_id": instance_id},
        ).all()
        if not rows:
            return PipelineRows(steps=[], calendar=None)
        first = rows[0]
        return PipelineRows(
            steps=[(row.Step, row.version_id) for row in rows],
            calendar=CalendarColumns(
                time_zone=first.time_zone,
                working_weekdays=first.working_weekdays,
                holidays=first.holidays,
            ),
            fields_digest=first.fields_digest if postgres else None,
        )
