"""What every repository shares: the transaction's session."""

from __future__ import annotations

from sqlalchemy.orm import Session

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
