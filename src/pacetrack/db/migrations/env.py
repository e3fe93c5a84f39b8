"""Alembic environment: runs migrations on the URL set by ``pacetrack.db.migrate``."""

from __future__ import annotations

from alembic import context

from pacetrack.db.migrate import include_object_for
from pacetrack.db.models import metadata
from pacetrack.db.session import make_engine

config = context.config


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by pacetrack.db.migrate"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object_for(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
