"""Migrations build the schema the models describe, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from pacetrack.db.migrate import downgrade, include_object_for, upgrade
from pacetrack.db.models import metadata
from pacetrack.db.session import make_engine
from tests.conftest import BACKENDS
from tests.support.databases import fresh_postgres_database, sqlite_url


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
    else:
        with fresh_postgres_database("pacetrack_migration") as url:
            yield url


def _drift(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_object": include_object_for(connection.dialect.name),
                },
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_all_migrations_apply_to_an_empty_database_and_match_the_models(
    empty_database: str,
) -> None:
    upgrade(empty_database)

    assert _drift(empty_database) == []
    engine = make_engine(empty_database)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {table.name for table in metadata.sorted_tables} <= tables


# Tables that belong to no tenant, with the reason.
NOT_TENANT_OWNED = {
    "tenant": "the tenants themselves",
    "alembic_version": "the schema's revision",
    "login_failures_of_address": "a client address may try the logins of every tenant",
}


def test_every_tenant_table_keys_and_links_by_tenant() -> None:
    for table in metadata.sorted_tables:
        if table.name in NOT_TENANT_OWNED:
            continue
        assert "tenant_id" in table.primary_key.columns, table.name
        for constraint in table.foreign_key_constraints:
            if constraint.referred_table.name != "tenant":
                assert "tenant_id" in constraint.column_keys, (table.name, constraint.name)


def test_migrations_downgrade_to_empty_and_upgrade_again(empty_database: str) -> None:
    upgrade(empty_database)
    downgrade(empty_database, "base")
    engine = make_engine(empty_database)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(empty_database)
    assert _drift(empty_database) == []
