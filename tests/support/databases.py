"""Real databases for tests: a SQLite file and a PostgreSQL database per test session
(with pytest-xdist: per worker, each worker being its own session).

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

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from pacetrack.db.migrate import upgrade
from pacetrack.db.models import metadata

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_server_url() -> str:
    return os.environ.get("PACETRACK_TEST_DATABASE_URL", DEFAULT_SERVER_URL)


@contextmanager
def fresh_postgres_database(prefix: str = "pacetrack_test") -> Iterator[str]:
    """Creates an empty database on the test server and drops it afterwards.

    The name carries the pytest-xdist worker (``gw0``, ``gw1``; ``main`` without
    xdist) and the process, so that parallel workers and runs never share one.
    """
    server = make_url(postgres_server_url())
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{prefix}_{worker}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit does not wait for its WAL to reach the disk (1-2 ms each here, over
            # tens of thousands of commits). Only a crash of the server itself could lose
            # the last commits, which no test does; what sessions see is unchanged.
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
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


def _rows_in(connection: Connection, tables: list[str]) -> set[str]:
    """The tables of ``tables`` that hold at least one row, in one round trip."""
    probes = " UNION ALL ".join(
        f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables
    )
    return set(connection.execute(text(probes)).scalars())


def wipe(engine: Engine) -> None:
    """Empties every table (between tests) without re-running migrations.

    Only the tables that hold rows are emptied, children before parents, with DELETE:
    a test leaves rows in a few tables, and DELETE of a few rows takes milliseconds
    where PostgreSQL's TRUNCATE of every table took over a second (it replaces each
    table's and index's files). Tests commit through the app's own sessions, threads
    and processes, so the rows are really deleted rather than rolled back.
    """
    tables = [table.name for table in reversed(metadata.sorted_tables)]
    with engine.begin() as connection:
        filled = _rows_in(connection, tables)
        for table in tables:
            if table in filled:
                connection.execute(text(f'DELETE FROM "{table}"'))
