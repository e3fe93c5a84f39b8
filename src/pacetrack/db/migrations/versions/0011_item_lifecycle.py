"""lifecycle: an item completes with an outcome, is archived, or soft-deleted

- ``item.outcome`` and ``item.completed_at``: set when the item enters a terminal step
  (``metadata.terminal.outcome``), cleared when it is reopened.
- ``item.archived_at``: set while the item is archived.
- ``item.deleted_at`` / ``item.deleted_by``: a deleted item keeps its row (status
  ``deleted``) with who deleted it and when; it is gone from every list and read.

Revision ID: 0011_item_lifecycle
Revises: 0001
Create Date: 2026-12-03 10:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_item_lifecycle"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("lifecycle",)
depends_on: str | Sequence[str] | None = None

COLUMNS = ("outcome", "completed_at", "archived_at", "deleted_at", "deleted_by")


def upgrade() -> None:
    op.add_column("item", sa.Column("outcome", sa.String(length=32), nullable=True))
    for name in ("completed_at", "archived_at", "deleted_at"):
        op.add_column("item", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.add_column("item", sa.Column("deleted_by", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
