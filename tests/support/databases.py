"""Real databases for tests: a SQLite file and a PostgreSQL database per test session.

PostgreSQL is found at ``PACETRACK_TEST_DATABASE_URL`` (a server URL whose user
may create databases) or at 127.0.0.1:5432; ``scripts/test`` starts or installs
a server where none runs. A missing PostgreSQL fails the run: it is never
skipped silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from pacetrack.db.migrate import upgrade
from pacetrack.db.models import metadata

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_server_url() -> str:
    return os.environ.get("PACETRACK_TEST_DATABASE_URL", DEFAULT_SERVER_URL)


@contextmanager
def fresh_postgres_database(prefix: str = "pacetrack_test") -> Iterator[str]:
    """Creates an empty database on the test server and drops it afterwards."""
    server = make_url(postgres_server_url())
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        raise RuntimeError(
            f"PostgreSQL is required for the test suite and is not reachable at {server!r}: "
            f"{exc}. Run the suite with scripts/test, which starts it, or set "
            "PACETRACK_TEST_DATABASE_URL."
        ) from exc
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / f'pacetrack-{uuid.uuid4().hex[:8]}.db'}"


@contextmanager
def migrated_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A database of ``backend`` with every migration applied."""
    if backend == "sqlite":
        url = sqlite_url(tmp_dir)
        upgrade(url)
        yield url
    else:
        with fresh_postgres_database() as url:
            upgrade(url)
            yield url


def wipe(engine: Engine) -> None:
    """Empties every table (between tests) without re-running migrations."""
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
