"""One use case, one transaction: the unit of work is the only place that commits.

The transaction and the repositories are the database's (``db.unit_of_work``); this
layer adds who is acting, and turns a write that lost a race into ``Conflict``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from pacetrack.db.unit_of_work import DatabaseUnit, WriteConflict
from pacetrack.services.caches import Caches, caches_of
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict


def _nobody() -> Actor | None:
    return None


class UnitOfWork(DatabaseUnit):
    """A session in a transaction; rolled back unless ``commit`` is called.

    Each commit writes the configuration audit entries of what it changed, as done by
    ``acting()``: the entry point that knows who is asking (a request's signed-in
    account) sets it; otherwise the system acts.
    """

    acting: Callable[[], Actor | None] = staticmethod(_nobody)

    @property
    def caches(self) -> Caches:
        """What outlives the transaction: the caches of the Container that opened it."""
        return caches_of(self.session)

    def act_as(self, actor: Actor) -> UnitOfWork:
        """Records ``actor`` as the author of the configuration changes this unit commits."""
        self.acting = lambda: actor
        return self

    def author(self, tenant_id: uuid.UUID) -> uuid.UUID | None:
        actor = self.acting()
        # An actor speaks for its own tenant only (signing up makes another tenant).
        return actor.account_id if actor and actor.tenant_id == tenant_id else None

    def commit(self) -> None:
        try:
            super().commit()
        except WriteConflict as exc:
            raise Conflict("The change conflicts with existing data.") from exc

    def flush(self) -> None:
        try:
            super().flush()
        except WriteConflict as exc:
            raise Conflict("The change conflicts with existing data.") from exc


class LentUnit(UnitOfWork):
    """Another unit's transaction lent to code that takes a unit of work (a use case run
    inside another one, a job handler): it reads and writes through the lender's session,
    and so its repositories; what committing means is the subclass's to say."""

    def __init__(self, outer: UnitOfWork) -> None:
        self.clock = outer.clock
        self._lender = self._outer = outer

    def flush(self) -> None:
        self._outer.flush()


UnitOfWorkFactory = Callable[[], UnitOfWork]
