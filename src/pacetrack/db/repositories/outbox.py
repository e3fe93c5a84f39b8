"""The outbox seen from a use case: jobs added to its transaction, performed later by
the worker (claiming and settling them is the worker's, in ``db.outbox``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pacetrack.db import outbox
from pacetrack.db.repositories.base import Repository


class OutboxRepository(Repository):
    def enqueue(
        self,
        *,
        tenant_id: uuid.UUID,
        kind: str,
        payload: Mapping[str, Any],
        now: datetime,
        available_at: datetime | None = None,
        id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """Adds a pending job to the transaction and returns its id."""
        return outbox.enqueue(
            self.session,
            tenant_id=tenant_id,
            kind=kind,
            payload=payload,
            now=now,
            available_at=available_at,
            id=id,
        )
