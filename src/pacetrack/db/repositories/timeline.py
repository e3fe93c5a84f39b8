"""What an item's Activity is told from, besides its activity log (``activity``) and the
notifications it received (``notifications``): its automation runs with their last
delivery attempts, and the names its entries mention (accounts, steps, groups, roles)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Account, AccountGroup, Role, Step
from pacetrack.db.tables_automations import AutomationRun, DeliveryAttempt


class TimelineRepository(Repository):
    def runs_of_item(
        self, tenant_id: uuid.UUID, item_id: uuid.UUID, *, limit: int
    ) -> Sequence[AutomationRun]:
        """The automation runs about the item, newest first."""
        return self.session.scalars(
            select(AutomationRun)
            .where(AutomationRun.tenant_id == tenant_id, AutomationRun.item_id == item_id)
            .order_by(AutomationRun.created_at.desc(), AutomationRun.id)
            .limit(limit)
        ).all()

    def last_attempts(
        self, tenant_id: uuid.UUID, delivery_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, DeliveryAttempt]:
        """Each of these deliveries' latest attempt, by delivery (none yet: left out)."""
        last: dict[uuid.UUID, DeliveryAttempt] = {}
        if not delivery_ids:
            return last
        for attempt in self.session.scalars(
            select(DeliveryAttempt)
            .where(
                DeliveryAttempt.tenant_id == tenant_id,
                DeliveryAttempt.delivery_id.in_(list(delivery_ids)),
            )
            .order_by(DeliveryAttempt.attempt)
        ):
            last[attempt.delivery_id] = attempt
        return last

    def accounts(self, tenant_id: uuid.UUID) -> Sequence[Account]:
        return self.session.scalars(select(Account).where(Account.tenant_id == tenant_id)).all()

    def steps_of_pipeline(self, tenant_id: uuid.UUID, instance_id: uuid.UUID) -> Sequence[Step]:
        return self.session.scalars(
            select(Step).where(
                Step.tenant_id == tenant_id, Step.pipeline_instance_id == instance_id
            )
        ).all()

    def groups(self, tenant_id: uuid.UUID) -> Sequence[AccountGroup]:
        return self.session.scalars(
            select(AccountGroup).where(AccountGroup.tenant_id == tenant_id)
        ).all()

    def roles(self, tenant_id: uuid.UUID) -> Sequence[Role]:
        return self.session.scalars(select(Role).where(Role.tenant_id == tenant_id)).all()
