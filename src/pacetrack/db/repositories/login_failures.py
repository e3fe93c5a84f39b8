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

from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables_auth import LoginFailuresOfAccount, LoginFailuresOfAddress

_ACCOUNT: Table = LoginFailuresOfAccount.__table__  # type: ignore[assignment]
_ADDRESS: Table = LoginFailuresOfAddress.__table__  # type: ignore[assignment]


@dataclass(frozen=True, kw_only=True)
class Streak:
    failures: int
    last_failed_at: datetime


class LoginFailureRepository(Repository):
    def count_account_failure(
        self, *, tenant_id: uuid.UUID, account_id: uuid.UUID, now: datetime, forget_before: datetime
    ) -> int:
        """Counts one failed login of the account; returns the streak's length with it."""
        key = {"tenant_id": tenant_id, "account_id": account_id}
        return self._count(_ACCOUNT, key, now=now, forget_before=forget_before)

    def count_address_failure(self, *, address: str, now: datetime, forget_before: datetime) -> int:
        """Counts one failed login from the address; returns the streak's length with it."""
        return self._count(_ADDRESS, {"address": address}, now=now, forget_before=forget_before)

    def account_streak(self, *, tenant_id: uuid.UUID, account_id: uuid.UUID) -> Streak | None:
        return self._streak(
            _ACCOUNT, _ACCOUNT.c.tenant_id == tenant_id, _ACCOUNT.c.account_id == account_id
        )

    def address_streak(self, *, address: str) -> Streak | None:
        return self._streak(_ADDRESS, _ADDRESS.c.address == address)

    def forget_account_failures(self, *, tenant_id: uuid.UUID, account_id: uuid.UUID) -> None:
        self.session.execute(
            delete(_ACCOUNT).where(
                _ACCOUNT.c.tenant_id == tenant_id, _ACCOUNT.c.account_id == account_id
            )
        )

    def _count(
        self, table: Table, key: dict[str, Any], *, now: datetime, forget_before: datetime
    ) -> int:
        dialect = self.session.get_bind().dialect.name
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
        return int(self.session.execute(statement).scalar_one())

    def _streak(self, table: Table, *conditions: Any) -> Streak | None:
        row = self.session.execute(
            select(table.c.failures, table.c.last_failed_at).where(*conditions)
        ).first()
        if row is None:
            return None
        return Streak(failures=row.failures, last_failed_at=row.last_failed_at)
