"""Statements run on the driver's own cursor, inside the session's transaction.

On PostgreSQL a move (DESIGN.md §3) is two statements between BEGIN and COMMIT,
and SQLAlchemy's work around each of them (compiled-cache lookup, bind and
result processing, ORM row loading) costs more CPU than the round trip itself.
The move path therefore hands those two statements to psycopg directly. They are
still written as SQLAlchemy statements (one source of truth for tables and
columns), compiled once per dialect, and they run on the session's connection,
so they share its transaction, its locks and its commit. Driver errors are
turned into SQLAlchemy's exceptions, and a dropped connection invalidates the
pool as SQLAlchemy itself would.

Rows become ORM objects through ``attach``: the object is built from the row and
joins the session as if a query had loaded it (``make_transient_to_detached``).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Dialect, exc, inspect
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.sql import Executable

from pacetrack.db.session import json_dumps
from pacetrack.db.tables import Base

Model = TypeVar("Model", bound=Base)


class DriverStatement:
    """A SQLAlchemy statement compiled once per dialect to the driver's SQL text.

    ``json_params``: bind parameters whose values are JSON documents (the compiled
    SQL casts them, the driver receives their text).
    """

    def __init__(self, statement: Executable, *, json_params: Collection[str] = ()) -> None:
        self._statement = statement
        self._json_params = frozenset(json_params)
        self._compiled: dict[str, tuple[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def compiled(self, dialect: Dialect) -> tuple[str, dict[str, Any]]:
        """The SQL text and the values of the binds the statement carries itself."""
        found = self._compiled.get(dialect.name)
        if found is None:
            with self._lock:
                compiled = self._statement.compile(dialect=dialect)  # type: ignore[attr-defined]
                defaults = {
                    name: bind.effective_value
                    for bind, name in compiled.bind_names.items()
                    if not bind.required
                }
                found = self._compiled.setdefault(dialect.name, (str(compiled), defaults))
        return found

    def bind(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        sql, defaults = self.compiled(dialect)
        values = {**defaults, **params}
        for name in self._json_params:
            values[name] = json_dumps(values[name])
        return sql, values


def fetch_all(
    session: Session, statement: DriverStatement, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Every row of ``statement`` (one that returns rows) run with ``params`` in the
    session's transaction."""
    connection = session.connection()
    sql, values = statement.bind(connection.dialect, params)
    with driver_errors(connection, sql, values) as raw, raw.cursor() as cursor:
        cursor.execute(sql, values)
        # Not ``cursor.description``: psycopg builds it anew on each access.
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


@contextmanager
def driver_errors(connection: Connection, sql: str, values: Any) -> Iterator[Any]:
    """The connection's driver connection, its errors turned into SQLAlchemy's (and a
    dropped connection invalidating the pool) as SQLAlchemy does for its own statements."""
    dialect = connection.dialect
    raw = connection.connection.driver_connection
    assert raw is not None
    dbapi = dialect.loaded_dbapi
    try:
        yield raw
    except dbapi.Error as error:
        disconnected = dialect.is_disconnect(error, raw, None)
        if disconnected:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            sql,
            values,
            error,
            dbapi.Error,
            connection_invalidated=disconnected,
            dialect=dialect,
        ) from error


def columns_of(model: type[Base]) -> tuple[Column[Any], ...]:
    """The model's mapped columns, in the order ``attach`` expects them in a row."""
    return tuple(attr.columns[0] for attr in inspect(model).column_attrs)  # type: ignore[misc]


def attach(session: Session, model: type[Model], row: Sequence[Any]) -> Model:
    """The ORM object of ``model`` for ``row`` (values in ``columns_of(model)`` order), in
    ``session`` and clean, as if a query had loaded it.

    An object the session already holds for that identity gets the row's values as its
    stored ones (what ``populate_existing`` does for a query).
    """
    keys, primary_key = _mapping(model)
    values = dict(zip(keys, row, strict=True))
    identity = session.identity_key(model, tuple(values[key] for key in primary_key))
    existing = session.identity_map.get(identity)
    if existing is not None:
        for key, value in values.items():
            set_committed_value(existing, key, value)
        return existing  # type: ignore[no-any-return]
    # Filled the way the ORM's own loader fills an object (straight into its dict, no
    # change events), then given its identity: ``make_transient_to_detached`` marks every
    # value as stored, and ``add`` makes the detached object persistent again.
    instance = manager_of_class(model).new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


_mappings: dict[type[Base], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _mapping(model: type[Base]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's attribute keys in ``columns_of`` order, and those of its primary key."""
    found = _mappings.get(model)
    if found is None:
        mapper = inspect(model)
        keys = tuple(attr.key for attr in mapper.column_attrs)
        primary_key = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
        found = _mappings.setdefault(model, (keys, primary_key))
    return found
