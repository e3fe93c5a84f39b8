"""The timers armed for items: cancelling those whose stay, item or rule is gone."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from pacetrack.db import timers
from pacetrack.db.repositories.base import Repository


class TimerRepository(Repository):
    def cancel_for_item(self, tenant_id: uuid.UUID, item_id: uuid.UUID, *, now: datetime) -> int:
        """Cancels every armed timer of the item; how many."""
        return timers.cancel_for_item(self.session, tenant_id=tenant_id, item_id=item_id, now=now)

    def cancel_rules_except(
        self,
        tenant_id: uuid.UUID,
        step_id: uuid.UUID,
        *,
        keep: Collection[tuple[str, str]],
        now: datetime,
    ) -> int:
        """Cancels the armed timers of the step whose rule (kind, id) is not in ``keep``;
        how many."""
        return timers.cancel_rules_except(
            self.session, tenant_id=tenant_id, step_id=step_id, keep=keep, now=now
        )
