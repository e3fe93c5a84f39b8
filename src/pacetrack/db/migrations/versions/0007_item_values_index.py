"""moves: no GIN index on item.field_values

No query filters items by field values, and every move rewrites the item row:
on PostgreSQL the index added a GIN entry per field key and value to each move.

Revision ID: 0007_item_values_index
Revises: 0002_moves
Create Date: 2026-11-25 22:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_item_values_index"
down_revision: str | None = "0002_moves"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
