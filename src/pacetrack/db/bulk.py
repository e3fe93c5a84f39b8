"""Inserting many rows of one table at once: ``COPY`` on PostgreSQL, one executemany elsewhere.

A batch of worker jobs writes tens of rows per table in one go (in-app
notifications, their history and channel outcomes). On PostgreSQL an
executemany is one ``INSERT`` statement per row (pipelined, so one round trip,
but each planned and executed on its own); ``COPY … FROM STDIN`` sends the rows
as one statement's data (here 50 in-app notifications and 50 channel outcomes
took 1.7 to 2.4 ms by ``COPY`` against 2.9 to 5.5 ms as an executemany). The rows
go through each column's own bind processing (JSON documents, times) as SQLAlchemy's
insert would, in the session's transaction, after a flush of what the session holds
(the rows may refer to it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect, Table, exc, insert
from sqlalchemy.orm import Session

_Plan = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]
_plans: dict[tuple[str, str, frozenset[str]], _Plan | None] = {}


def insert_many(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Inserts ``rows`` (each with the same keys) into ``table``."""
    if not rows:
        return
    connection = session.connection()
    plan = _copy_plan(connection.dialect, table, rows[0].keys())
    if plan is None:
        session.execute(insert(table), list(rows))
        return
    session.flush()
    sql, keys, processors = plan
    with (
        _driver_errors(connection, sql, None) as raw,
        raw.cursor() as cursor,
        cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(
                [
                    value if process is None else process(value)
                    for value, process in zip(map(row.__getitem__, keys), processors, strict=True)
                ]
            )


def _copy_plan(dialect: Dialect, table: Table, keys: Any) -> _Plan | None:
    """The ``COPY`` statement for rows with these keys; None where an executemany is used
    instead: not PostgreSQL, or a column left out has a default SQLAlchemy would fill."""
    given = frozenset(keys)
    cache_key = (dialect.name, table.name, given)
    if cache_key in _plans:
        return _plans[cache_key]
    plan: _Plan | None = None
    missing_defaults = any(
        column.default is not None for column in table.columns if column.key not in given
    )
    if dialect.name == "postgresql" and not missing_defaults:
        columns = [column for column in table.columns if column.key in given]
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(column.name) for column in columns)
        plan = (
            f"COPY {quote(table.name)} ({names}) FROM STDIN",
            tuple(column.key for column in columns),
            tuple(column.type.bind_processor(dialect) for column in columns),
        )
    return _plans.setdefault(cache_key, plan)


@contextmanager
def _driver_errors(connection: Connection, sql: str, values: Any) -> Iterator[Any]:
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
