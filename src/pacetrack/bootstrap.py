"""The one place where settings, database, clock, password cost and outbound adapters are wired."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pacetrack.adapters import passwords
from pacetrack.adapters.clock import Clock, SystemClock
from pacetrack.db import audited_kinds, changes, config_audit, migrate
from pacetrack.db.change_broker import ChangeFeed
from pacetrack.db.session import make_engine, make_session_factory
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.settings import Settings


@dataclass(kw_only=True)
class Container:
    """Everything an entry point (web, worker, command line) needs, built once."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    feed: ChangeFeed
    """Committed changes of items and notifications, for the live event stream."""

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.clock, self.feed)

    def close(self) -> None:
        self.feed.close()
        self.engine.dispose()


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    settings = settings or Settings()
    passwords.use_cost(settings.password_cost)
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=settings.db_pool_pre_ping,
    )
    session_factory = make_session_factory(engine)
    changes.track(session_factory)
    config_audit.track(session_factory, audited_kinds.KINDS)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        clock=clock or SystemClock(),
        feed=ChangeFeed(engine),
    )


def upgrade_schema(database_url: str) -> None:
    """Brings the database to the newest schema the package ships (every migration head)."""
    migrate.upgrade(database_url)


def schema_heads(database_url: str) -> tuple[set[str], set[str]]:
    """(the migration heads the database is at, the heads the package ships)."""
    return migrate.schema_heads(database_url)
