"""One use case, one transaction: the unit of work is the only place that commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pacetrack.adapters.clock import Clock
from pacetrack.db import config_audit
from pacetrack.db.change_broker import ChangeFeed
from pacetrack.db.changes import Change
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict


def _nobody() -> Actor | None:
    return None


class UnitOfWork:
    """A session in a transaction; rolled back unless ``commit`` is called. With a
    ``feed``, each commit announces the items and notification counts it changed.

    Each commit also writes the configuration audit entries of what it changed
    (``db.config_audit``), as done by ``acting()``: the entry point that knows who is
    asking (a request's signed-in account) sets it; otherwise the system acts.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        clock: Clock,
        feed: ChangeFeed | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.clock = clock
        self._feed = feed
        self._session: Session | None = None
        self.acting: Callable[[], Actor | None] = _nobody

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        self._session.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if session.in_transaction():
                session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        session = self.session
        announced: list[Change] = []
        try:
            session.flush()
            self._write_audit(session)
            if self._feed is not None:
                announced = self._feed.before_commit(session)
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("The change conflicts with existing data.") from exc
        if self._feed is not None:
            self._feed.after_commit(announced)

    def act_as(self, actor: Actor) -> UnitOfWork:
        """Records ``actor`` as the author of the configuration changes this unit commits."""
        self.acting = lambda: actor
        return self

    def _write_audit(self, session: Session) -> None:
        actor = self.acting()

        def account_in(tenant_id: uuid.UUID) -> uuid.UUID | None:
            # An actor speaks for its own tenant only (signing up makes another tenant).
            return actor.account_id if actor and actor.tenant_id == tenant_id else None

        config_audit.entries(session, at=self.clock.now(), actor=account_in)

    def flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("The change conflicts with existing data.") from exc


UnitOfWorkFactory = Callable[[], UnitOfWork]
