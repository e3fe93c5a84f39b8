"""One use case, one transaction: the unit of work is the only place that commits."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pacetrack.adapters.clock import Clock
from pacetrack.db.change_broker import ChangeFeed
from pacetrack.db.changes import Change
from pacetrack.services.errors import Conflict


class UnitOfWork:
    """A session in a transaction; rolled back unless ``commit`` is called. With a
    ``feed``, each commit announces the items and notification counts it changed."""

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
            if self._feed is not None:
                session.flush()
                announced = self._feed.before_commit(session)
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict("The change conflicts with existing data.") from exc
        if self._feed is not None:
            self._feed.after_commit(announced)

    def flush(self) -> None:
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("The change conflicts with existing data.") from exc


UnitOfWorkFactory = Callable[[], UnitOfWork]
