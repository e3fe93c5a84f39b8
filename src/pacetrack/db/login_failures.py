"""Counting failed logins per account and per client address.

A failure is counted with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``:
concurrent failures for the same key each get their own count (PostgreSQL locks
the row for the rest of the transaction; SQLite's ``BEGIN IMMEDIATE`` transactions
run one at a time), so no failure is lost to a read-modify-write race. A streak
whose last failure is older than ``forget_before`` starts again at one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pacetrack.db.tables_auth import LoginFailuresOfAccount, LoginFailuresOfAddress

_ACCOUNT: Table = LoginFailuresOfAccount.__table__  # type: ignore[assignment]
_ADDRESS: Table = LoginFailuresOfAddress.__table__  # type: ignore[assignment]


@dataclass(frozen=True, kw_only=True)
class Streak:
    failures: int
    last_failed_at: datetime


def _count(
    session: Session, table: Table, key: dict[str, Any], *, now: datetime, forget_before: datetime
) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(**key, failures=1, last_failed_at=now)
        .on_conflict_do_update(
            index_elements=list(key),
            set_={
                "failures": case(
                    (table.c.last_failed_at <= forget_before, 1),
                    else_=table.c.failures + 1,
                ),
                "last_failed_at": now,
            },
        )
        .returning(table.c.failures)
    )
    return int(session.execute(statement).scalar_one())


def count_account_failure(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    account_id: uuid.UUID,
    now: datetime,
    forget_before: datetime,
) -> int:
    """Counts one failed login of the account; returns the streak's length with it."""
    key = {"tenant_id": tenant_id, "account_id": account_id}
    return _count(session, _ACCOUNT, key, now=now, forget_before=forget_before)


def count_address_failure(
    session: Session, *, address: str, now: datetime, forget_before: datetime
) -> int:
    """Counts one failed login from the address; returns the streak's length with it."""
    return _count(session, _ADDRESS, {"address": address}, now=now, forget_before=forget_before)


def _streak(session: Session, table: Table, *conditions: Any) -> Streak | None:
    row = session.execute(
        select(table.c.failures, table.c.last_failed_at).where(*conditions)
    ).first()
    return None if row is None else Streak(failures=row.failures, last_failed_at=row.last_failed_at)


def account_streak(
    session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> Streak | None:
    return _streak(
        session,
        _ACCOUNT,
        _ACCOUNT.c.tenant_id == tenant_id,
        _ACCOUNT.c.account_id == account_id,
    )


def address_streak(session: Session, *, address: str) -> Streak | None:
    return _streak(session, _ADDRESS, _ADDRESS.c.address == address)


def forget_account_failures(
    session: Session, *, tenant_id: uuid.UUID, account_id: uuid.UUID
) -> None:
    session.execute(
        delete(_ACCOUNT).where(
            _ACCOUNT.c.tenant_id == tenant_id, _ACCOUNT.c.account_id == account_id
        )
    )
