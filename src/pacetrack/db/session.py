"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def make_engine(
    url: str, *, pool_size: int = 10, pool_recycle: int = 1800, pool_pre_ping: bool = False
) -> Engine:
    """An engine with the settings PaceTrack relies on.

    SQLite: foreign keys on, WAL so readers never block the writer, a busy
    timeout so concurrent writers queue instead of failing, and transactions
    that start with ``BEGIN IMMEDIATE`` so that a read-then-write transaction
    holds the write lock from its first statement (SQLite has no row locks;
    without this two movers could both read version 3 and one would fail late).

    PostgreSQL: no ``SELECT 1`` before each checkout by default (``pool_pre_ping``
    costs a round trip per transaction, a fifth of a move). Instead a checkout
    drops connections the driver already knows are closed or broken (no round
    trip), connections older than ``pool_recycle`` seconds are replaced before
    an idle timeout can cut them, and a connection the server drops while idle
    fails the one transaction that uses it: SQLAlchemy then recognises the
    disconnect, invalidates every connection of the pool, and the next
    transactions reconnect.

    Both: a failed statement's error and log lines leave its parameters out (they carry
    password and token hashes, webhook secrets and field values).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            json_serializer=json_dumps,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(
        url,
        json_serializer=json_dumps,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=pool_recycle,
        pool_pre_ping=pool_pre_ping,
    )

    @event.listens_for(engine, "checkout")
    def _drop_known_dead(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # psycopg notices a closed socket on its own; asking it costs no round trip.
        if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
            raise exc.DisconnectionError("the connection was closed")

    return engine


def make_session_factory(
    engine: Engine, *, info: Mapping[str, Any] | None = None
) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; each starts with ``info`` in its ``Session.info``."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False, info=dict(info or {}))


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def transaction_memo(session: Session, namespace: str) -> dict[Hashable, Any]:
    """Values ``namespace`` remembers for the session's current transaction only: a new
    transaction (after a commit or rollback) starts with an empty memo."""
    transaction = session.get_transaction()
    entry = session.info.get(namespace)
    if entry is None or entry[0] is not transaction:
        entry = (transaction, {})
        session.info[namespace] = entry
    memo: dict[Hashable, Any] = entry[1]
    return memo
