"""Every tenant table can be sharded by ``tenant_id``, read from PostgreSQL's own catalog.

The rule Citus needs to distribute a table by a column: the column is in the primary key,
in every unique constraint and unique index (a shard can only check uniqueness among its
own rows), and in both sides of every foreign key between distributed tables, matched to
each other (so that the rows of a reference live in the same shard). A foreign key may
point from a tenant table to a reference table (copied to every node), never the other
way. The tables that are not distributed by tenant are named here, each with its reason;
every other table of the schema must follow the rule.

The models say the same in ``test_migrations.test_every_tenant_table_keys_and_links_by_tenant``;
this test reads what the migrations really built, unique indexes included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, create_engine, text

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True, scope="session")

DISTRIBUTION_COLUMN = "tenant_id"
# Tables that are not sharded by tenant, with the reason; everything else is a tenant table.
REFERENCE_TABLES = {
    "tenant": "the tenants themselves: a reference table every node holds",
    "alembic_version": "the schema's revision, one row for the whole database",
}
NOT_DISTRIBUTED_BY_TENANT = {
    **REFERENCE_TABLES,
    "login_failures_of_address": "a client address may try the logins of every tenant; "
    "keyed by the address, it is a table of its own (local or distributed by address), "
    "no foreign key links it to a tenant table",
}


@dataclass(frozen=True)
class Key:
    """A primary key, unique constraint, unique index or foreign key as the catalog has it."""

    table: str
    name: str
    kind: str
    columns: tuple[str, ...]
    referred_table: str | None = None
    referred_columns: tuple[str, ...] = ()


@pytest.fixture
def catalog(database_url: str) -> Iterator[Connection]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def tables(connection: Connection) -> dict[str, set[str]]:
    """Every table of the public schema with its columns (information_schema)."""
    rows = connection.execute(
        text(
            "SELECT t.table_name, c.column_name FROM information_schema.tables t "
            "JOIN information_schema.columns c "
            "ON c.table_schema = t.table_schema AND c.table_name = t.table_name "
            "WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
        )
    )
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    return found


def constraints(connection: Connection) -> list[Key]:
    """Primary keys (p), unique constraints (u) and foreign keys (f) from pg_constraint,
    with their columns in key order."""
    rows = connection.execute(
        text(
            """
            SELECT rel.relname, con.conname, con.contype,
                   ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(num, pos)
                         JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
                         ORDER BY k.pos) AS columns,
                   ref.relname AS referred,
                   ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY AS k(num, pos)
                         JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
                         ORDER BY k.pos) AS referred_columns
            FROM pg_constraint con
            JOIN pg_class rel ON rel.oid = con.conrelid
            JOIN pg_namespace ns ON ns.oid = rel.relnamespace
            LEFT JOIN pg_class ref ON ref.oid = con.confrelid
            WHERE ns.nspname = 'public' AND con.contype IN ('p', 'u', 'f')
            """
        )
    )
    return [
        Key(
            table=table,
            name=name,
            kind={"p": "primary key", "u": "unique constraint", "f": "foreign key"}[kind],
            columns=tuple(columns),
            referred_table=referred,
            referred_columns=tuple(referred_columns),
        )
        for table, name, kind, columns, referred, referred_columns in rows
    ]


def unique_indexes(connection: Connection) -> list[Key]:
    """Every unique index from pg_index (those behind constraints too, and partial ones);
    an expression's place in the key shows as no column."""
    rows = connection.execute(
        text(
            """
            SELECT rel.relname, idx.relname,
                   ARRAY(SELECT COALESCE(a.attname, '(expression)')
                         FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(num, pos)
                         LEFT JOIN pg_attribute a
                           ON a.attrelid = i.indrelid AND a.attnum = k.num AND k.num > 0
                         ORDER BY k.pos) AS columns
            FROM pg_index i
            JOIN pg_class idx ON idx.oid = i.indexrelid
            JOIN pg_class rel ON rel.oid = i.indrelid
            JOIN pg_namespace ns ON ns.oid = rel.relnamespace
            WHERE ns.nspname = 'public' AND i.indisunique
            """
        )
    )
    return [
        Key(table=table, name=name, kind="unique index", columns=tuple(columns))
        for table, name, columns in rows
    ]


def breaches(connection: Connection) -> list[str]:
    """What keeps a tenant table from being sharded by tenant, one line per key."""
    found: list[str] = []
    every_table = tables(connection)
    tenant_tables = set(every_table) - set(NOT_DISTRIBUTED_BY_TENANT)
    for table in sorted(tenant_tables):
        if DISTRIBUTION_COLUMN not in every_table[table]:
            found.append(f"{table} has no {DISTRIBUTION_COLUMN} column")
    keys = constraints(connection) + unique_indexes(connection)
    for table in sorted(tenant_tables):
        if not any(key.table == table and key.kind == "primary key" for key in keys):
            found.append(f"{table} has no primary key")
    for key in sorted(keys, key=lambda k: (k.table, k.kind, k.name)):
        if key.kind == "foreign key":
            found.extend(_foreign_key_breach(key, tenant_tables))
        elif key.table in tenant_tables and DISTRIBUTION_COLUMN not in key.columns:
            found.append(f"{key.kind} {key.name} of {key.table} {key.columns} lacks tenant_id")
    return found


def _foreign_key_breach(key: Key, tenant_tables: set[str]) -> list[str]:
    referrer_is_tenant = key.table in tenant_tables
    referred_is_tenant = key.referred_table in tenant_tables
    if not referred_is_tenant:
        # To a reference table (tenant) from anywhere: every node holds the referred rows.
        if key.referred_table not in REFERENCE_TABLES:
            return [f"foreign key {key.name} of {key.table} refers to {key.referred_table}"]
        return []
    if not referrer_is_tenant:
        return [
            f"foreign key {key.name} of {key.table} refers to tenant table {key.referred_table}"
        ]
    pairs = dict(zip(key.columns, key.referred_columns, strict=True))
    if pairs.get(DISTRIBUTION_COLUMN) != DISTRIBUTION_COLUMN:
        return [
            f"foreign key {key.name} of {key.table} {key.columns} -> {key.referred_table} "
            f"{key.referred_columns} does not match tenant_id to tenant_id"
        ]
    return []


def test_every_tenant_table_is_distributable_by_tenant_id(catalog: Connection) -> None:
    assert breaches(catalog) == []


def test_the_tables_not_distributed_by_tenant_are_exactly_the_named_ones(
    catalog: Connection,
) -> None:
    every_table = tables(catalog)
    without_tenant = {name for name, columns in every_table.items() if "tenant_id" not in columns}

    assert without_tenant == set(NOT_DISTRIBUTED_BY_TENANT)


def test_each_kind_of_breach_is_found(catalog: Connection) -> None:
    """The check reads the catalog for real: tables that break the rule, made in a
    transaction that is rolled back, are each reported."""
    catalog.execute(
        text(
            """
            CREATE TABLE probe_parent (
                tenant_id uuid NOT NULL, id uuid NOT NULL, code text,
                PRIMARY KEY (tenant_id, id), UNIQUE (code), UNIQUE (id)
            );
            CREATE UNIQUE INDEX probe_parent_lower_code ON probe_parent (lower(code));
            CREATE TABLE probe_child (
                tenant_id uuid NOT NULL, id uuid PRIMARY KEY, parent_tenant uuid, parent_id uuid,
                FOREIGN KEY (parent_tenant, parent_id) REFERENCES probe_parent (tenant_id, id)
            );
            CREATE TABLE probe_orphan (id uuid);
            ALTER TABLE tenant ADD COLUMN probe_parent_id uuid REFERENCES probe_parent (id);
            """
        )
    )
    try:
        found = breaches(catalog)
    finally:
        catalog.rollback()

    assert found == [
        "probe_orphan has no tenant_id column",
        "probe_orphan has no primary key",
        "foreign key probe_child_parent_tenant_parent_id_fkey of probe_child "
        "('parent_tenant', 'parent_id') -> probe_parent ('tenant_id', 'id') "
        "does not match tenant_id to tenant_id",
        "primary key probe_child_pkey of probe_child ('id',) lacks tenant_id",
        "unique index probe_child_pkey of probe_child ('id',) lacks tenant_id",
        "unique constraint probe_parent_code_key of probe_parent ('code',) lacks tenant_id",
        "unique constraint probe_parent_id_key of probe_parent ('id',) lacks tenant_id",
        "unique index probe_parent_code_key of probe_parent ('code',) lacks tenant_id",
        "unique index probe_parent_id_key of probe_parent ('id',) lacks tenant_id",
        "unique index probe_parent_lower_code of probe_parent ('(expression)',) lacks tenant_id",
        "foreign key tenant_probe_parent_id_fkey of tenant refers to tenant table probe_parent",
    ]
