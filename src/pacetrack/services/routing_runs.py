"""The automation runs of conditional routing, written by the change that routes.

A move, a field change or an item's creation follows the ``move_to_step``
automations it fires itself (``moves.route_automatically``), and records each
one's ``automation_run`` row in its own unit of work, so the automation log shows
the outcome the moment the change commits: succeeded (with the step moved to),
failed (the move was refused, the step does not exist, or the chain reached its
limit) or skipped (another automation that fired with it decided the move).
"""

from __future__ import annotations

import uuid
from typing import Any

from pacetrack.db.tables import Item
from pacetrack.db.tables_automations import (
    RUN_FAILED,
    RUN_SKIPPED,
    RUN_SUCCEEDED,
    AutomationRun,
)
from pacetrack.engine.moves import Route
from pacetrack.services.unit_of_work import UnitOfWork

__all__ = ["RUN_FAILED", "RUN_SKIPPED", "RUN_SUCCEEDED", "record_route_run"]


def record_route_run(
    uow: UnitOfWork,
    *,
    item: Item,
    step_id: uuid.UUID,
    route: Route,
    status: str,
    error: str | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    """The finished run of ``route``, a rule of step ``step_id``, on ``item``."""
    now = uow.clock.now()
    uow.session.add(
        AutomationRun(
            tenant_id=item.tenant_id,
            id=uuid.uuid4(),
            automation_id=route.automation_id[:200],
            automation_name=route.automation_name[:200] if route.automation_name else None,
            action_type="move_to_step",
            trigger=route.trigger,
            item_id=item.id,
            step_id=step_id,
            status=status,
            error=error[:2000] if error else None,
            rendered_request={"type": "move_to_step", "step": route.step},
            result=result or {},
            endpoint_id=None,
            delivery_id=None,
            triggered_at=now,
            created_at=now,
            finished_at=now,
        )
    )
