"""notification history: the item index leaves out history rows of no item

Every in-app notification and channel outcome row refers to its history row
(``notification_log``), so each insert checks that reference: PostgreSQL looks the
history row up by ``(tenant_id, id)``. While the table has no statistics (a new or
newly emptied table, until autovacuum analyses it) the planner rated the item index
``(tenant_id, item_id, created_at)`` as good as the primary key for that look-up and
took it: each check then read every history row of the tenant, so a batch of 50
notifications took 2 ms on an empty table and 12 ms after 4,000 rows, growing without
end. Made partial (``item_id IS NOT NULL``), the item index can only answer queries
that name an item, which are the ones it is for, and the check uses the primary key
whatever the statistics say. A history row of no item is never looked up by item,
so leaving it out of the index loses nothing.

Revision ID: 0021_notification_log_item
Revises: 0009_outbox_wakeup
Create Date: 2026-12-04 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_notification_log_item"
down_revision: str | None = "0009_outbox_wakeup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_notification_log_item"
COLUMNS = ["tenant_id", "item_id", "created_at"]


def upgrade() -> None:
    op.drop_index(INDEX, table_name="notification_log")
    where = sa.text("item_id IS NOT NULL")
    op.create_index(INDEX, "notification_log", COLUMNS, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="notification_log")
    op.create_index(INDEX, "notification_log", COLUMNS)
