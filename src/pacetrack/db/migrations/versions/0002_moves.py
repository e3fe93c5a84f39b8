"""moves: the validation_failure record of blocked moves

Revision ID: 0002_moves
Revises: 0001
Create Date: 2026-11-25 19:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_moves"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("moves",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "validation_failure",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("target_step_id", sa.Uuid(), nullable=True),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("field_id", sa.String(length=63), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("actor_account_id", sa.Uuid(), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["item.tenant_id", "item.id"],
            name=op.f("fk_validation_failure_tenant_id_item_id_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "step_id"],
            ["step.tenant_id", "step.id"],
            name=op.f("fk_validation_failure_tenant_id_step_id_step"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "target_step_id"],
            ["step.tenant_id", "step.id"],
            name=op.f("fk_validation_failure_tenant_id_target_step_id_step"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_validation_failure")),
    )
    op.create_index(
        "ix_validation_failure_item",
        "validation_failure",
        ["tenant_id", "item_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_validation_failure_rule",
        "validation_failure",
        ["tenant_id", "step_id", "rule_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_validation_failure_rule", table_name="validation_failure")
    op.drop_index("ix_validation_failure_item", table_name="validation_failure")
    op.drop_table("validation_failure")
