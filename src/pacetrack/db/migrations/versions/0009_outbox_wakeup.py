"""delivery: a committed enqueue wakes idle workers (PostgreSQL LISTEN/NOTIFY)

- ``outbox_wakeup``: a statement-level trigger after every insert into ``outbox`` sends
  ``NOTIFY pacetrack_outbox``. PostgreSQL delivers it when the inserting transaction
  commits (never for one that rolls back) and folds repeats within a transaction into
  one, so a move that enqueues several jobs sends one notification and no extra round
  trip. Idle workers ``LISTEN`` on the channel; their poll stays as the fallback.
- SQLite has no notifications: nothing changes there.

Revision ID: 0009_outbox_wakeup
Revises: 0004_delivery
Create Date: 2026-12-02 16:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_outbox_wakeup"
down_revision: str | None = "0004_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "pacetrack_outbox"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION pacetrack_outbox_wakeup() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_wakeup AFTER INSERT ON outbox "
        "FOR EACH STATEMENT EXECUTE FUNCTION pacetrack_outbox_wakeup()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbox_wakeup ON outbox")
    op.execute("DROP FUNCTION IF EXISTS pacetrack_outbox_wakeup()")
