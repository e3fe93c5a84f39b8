"""What SQLite and PostgreSQL spell differently, for the repositories' statements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Insert, String, Uuid, func, literal, literal_column, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import type_coerce

from pacetrack.db.types import UTCDateTime


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def new_id(session: Session) -> ColumnElement[uuid.UUID]:
    """A new row id made by the database (``gen_random_uuid()`` on PostgreSQL; 16 random
    bytes as the 32 hex digits SQLAlchemy stores a UUID as on SQLite)."""
    if is_postgres(session):
        return type_coerce(func.gen_random_uuid(), Uuid)
    return type_coerce(func.lower(func.hex(func.randomblob(16))), Uuid)


def plus_days(session: Session, moment: Any, days: ColumnElement[int]) -> ColumnElement[datetime]:
    """``moment`` + ``days`` whole days of 24 hours (stored UTC, so no clock change)."""
    if is_postgres(session):
        return type_coerce(moment + func.make_interval(0, 0, 0, days), UTCDateTime())
    # SQLite keeps "YYYY-MM-DD HH:MM:SS.ffffff": move the date, keep the time of day.
    shift = literal("+").concat(sql_cast(days, String)).concat(" days")
    day = func.date(func.substr(moment, 1, 10), shift)
    return type_coerce(day.concat(func.substr(moment, 11)), UTCDateTime())


def inserted_count(session: Session, statement: Insert) -> int:
    """Runs ``INSERT … SELECT`` ``statement``; how many rows it inserted. (PostgreSQL's
    driver reports no row count for it: the rows are counted in the same statement.)"""
    if not is_postgres(session):
        return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
    counted = select(func.count()).select_from(statement.returning(literal_column("1")).cte())
    return int(session.execute(counted).scalar_one())
