"""moves: indexes for the move path

- ``ix_item_step_history_open``: the open stay of an item (``exited_at IS NULL``), which
  every move closes. Without it the move read every stay the item ever had.
- No GIN index on ``item.field_values`` (PostgreSQL): no query filters items by field
  values, and every move rewrites the item row, which wrote a GIN entry per field key
  and value.

Revision ID: 0007_move_indexes
Revises: 0002_moves
Create Date: 2026-11-25 22:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_move_indexes"
down_revision: str | None = "0002_moves"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("exited_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_item_step_history_open",
        "item_step_history",
        ["tenant_id", "item_id"],
        unique=False,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_item_field_values_gin", table_name="item", postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_item_field_values_gin",
            "item",
            ["field_values"],
            unique=False,
            postgresql_using="gin",
        )
    op.drop_index(
        "ix_item_step_history_open",
        table_name="item_step_history",
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
