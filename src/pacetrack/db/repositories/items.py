"""Items: read, and locked for a change by hand."""

from __future__ import annotations

import uuid

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import Item


class ItemRepository(Repository):
    def get(self, tenant_id: uuid.UUID, item_id: uuid.UUID) -> Item | None:
        """The item, or None when the tenant has no such item or it is deleted."""
        return repository.get(self.session, Item, tenant_id=tenant_id, id=item_id)

    def lock(self, tenant_id: uuid.UUID, item_id: uuid.UUID) -> Item | None:
        """``get``, the item locked for the rest of the transaction."""
        return repository.get_for_update(self.session, Item, tenant_id=tenant_id, id=item_id)
