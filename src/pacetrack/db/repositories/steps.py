"""A pipeline's running steps."""

from __future__ import annotations

import uuid

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Step


class StepRepository(Repository):
    def get(self, tenant_id: uuid.UUID, step_id: uuid.UUID) -> Step | None:
        return self.session.get(Step, (tenant_id, step_id))

    def lock(self, tenant_id: uuid.UUID, step_id: uuid.UUID) -> Step | None:
        """The step, locked for the rest of the transaction."""
        return repository.get_for_update(self.session, Step, tenant_id=tenant_id, id=step_id)
