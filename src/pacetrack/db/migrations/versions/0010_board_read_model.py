"""board: the template's board setting, the tenant's currency, the board's card index

- ``pipeline_template.board``: which money field a column totals and which fields a card
  shows (``{"money_field": ..., "card_fields": [...]}``), checked at save.
- ``tenant.currency``: the ISO 4217 code money is shown in (default ``USD``).
- ``ix_item_board``: a column's newest cards, read in index order (tenant, pipeline,
  status, step, created_at) instead of sorting every item of the step; the columns'
  counts come from the index alone.
- ``ix_item_list_name``: the list's default order (by name, case-insensitive), so its
  first page is read from the index instead of sorting every item.

Revision ID: 0010_board_read_model
Revises: 0001
Create Date: 2026-12-03 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_board_read_model"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("board",)
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column(
        "pipeline_template",
        sa.Column("board", JSON_DOCUMENT, nullable=False, server_default=sa.text("'{}'")),
    )
    op.add_column(
        "tenant",
        sa.Column("currency", sa.String(length=3), nullable=False, server_default="USD"),
    )
    op.create_index(
        "ix_item_board",
        "item",
        ["tenant_id", "pipeline_instance_id", "status", "current_step_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_item_list_name",
        "item",
        ["tenant_id", "pipeline_instance_id", "status", sa.text("lower(name)")],
        unique=False,
    )


def downgrade() -> None:
    # On SQLite a later revision's downgrade may have rebuilt ``item`` already (a batch
    # copy), which keeps no expression index: the index may be gone by now.
    op.drop_index("ix_item_list_name", table_name="item", if_exists=True)
    op.drop_index("ix_item_board", table_name="item", if_exists=True)
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("currency")
    with op.batch_alter_table("pipeline_template") as batch:
        batch.drop_column("board")
