"""What every repository shares: the transaction's session."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.orm import Session

from pacetrack.db.session import transaction_memo
from pacetrack.db.tables import Base


class Repository:
    """Reads and writes of one aggregate's rows inside the unit of work's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *rows: Base) -> None:
        """Adds new rows; they are written at the next flush or commit."""
        self.session.add_all(rows)

    def remove(self, *rows: Base) -> None:
        """Deletes rows; the deletes are written at the next flush or commit."""
        for row in rows:
            self.session.delete(row)

    @property
    def info(self) -> dict[Any, Any]:
        """What the factory that opened the session attached to it (the Container's caches)."""
        return self.session.info

    def memo(self, namespace: str) -> dict[Hashable, Any]:
        """Values remembered for the current transaction only (empty again after a commit
        or rollback): what was read once need not be read twice in one use case."""
        return transaction_memo(self.session, namespace)
