"""The one place where settings, database, clock, caches, password cost and the outbound
adapters (HTTP client, mail sender) are wired."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pacetrack.adapters import passwords
from pacetrack.adapters.clock import Clock, SystemClock
from pacetrack.adapters.outbound_pool import OutboundPool
from pacetrack.adapters.smtp import SmtpConfig, SmtpMailer
from pacetrack.db import audited_kinds, changes, config_audit, migrate
from pacetrack.db.change_broker import ChangeFeed
from pacetrack.db.session import make_engine, make_session_factory
from pacetrack.services import webhooks
from pacetrack.services.caches import SESSION_INFO_KEY, Caches
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
    caches: Caches
    """What is kept between transactions (parsed values, the worker's OAuth tokens); every
    session of ``session_factory`` carries it (``services.caches.caches_of``)."""

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.clock, self.feed)

    def mailer(self) -> SmtpMailer | None:
        """A new SMTP sender as the settings describe it (it keeps one connection); None
        when no SMTP host is configured."""
        return make_mailer(self.settings)

    def outbound_pool(self) -> OutboundPool:
        """A new pooled hardened HTTP client for webhook deliveries; it belongs to the event
        loop that first uses it. Several endpoints may share a host: the per-endpoint bound
        is the worker's, the connections to one host are bounded by the global one."""
        return OutboundPool(
            connections_per_host=self.settings.worker_network_concurrency,
            keepalive_per_host=self.settings.worker_endpoint_concurrency,
            tls_context=webhooks.tls_context(),
        )

    def close(self) -> None:
        self.feed.close()
        self.engine.dispose()


def make_mailer(settings: Settings) -> SmtpMailer | None:
    """The SMTP sender ``settings`` describe; None when no SMTP host is configured."""
    if not settings.smtp_host:
        return None
    return SmtpMailer(
        SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,  # type: ignore[arg-type]
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.smtp_from,
        )
    )


def build(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    settings = settings or Settings()
    passwords.use_cost(settings.password_cost)
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=settings.db_pool_pre_ping,
    )
    clock = clock or SystemClock()
    caches = Caches(clock=clock)
    session_factory = make_session_factory(engine, info={SESSION_INFO_KEY: caches})
    changes.track(session_factory)
    config_audit.track(session_factory, audited_kinds.KINDS)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        clock=clock,
        feed=ChangeFeed(engine),
        caches=caches,
    )


def upgrade_schema(database_url: str) -> None:
    """Brings the database to the newest schema the package ships (every migration head)."""
    migrate.upgrade(database_url)


def schema_heads(database_url: str) -> tuple[set[str], set[str]]:
    """(the migration heads the database is at, the heads the package ships)."""
    return migrate.schema_heads(database_url)
