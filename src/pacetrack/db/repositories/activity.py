"""The activity log: the timeline of what happened to an item.

A move and an upgrade to another template version write their ``item.moved`` entries
inside the statements that move the items; every other entry is made here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Activity


class ActivityRepository(Repository):
    def log(
        self,
        *,
        tenant_id: uuid.UUID,
        item_id: uuid.UUID,
        actor_id: uuid.UUID | None,
        kind: str,
        data: dict[str, Any],
        at: datetime,
    ) -> None:
        """Adds an entry; it is written with the next flush. ``actor_id`` None: the
        system acted (a rule, a timer, a change of configuration)."""
        self.add(
            Activity(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                item_id=item_id,
                actor_account_id=actor_id,
                kind=kind,
                data=data,
                created_at=at,
            )
        )
