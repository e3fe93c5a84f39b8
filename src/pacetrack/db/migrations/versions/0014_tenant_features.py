"""tenant features: per-tenant overrides of the feature flags

- ``tenant_feature``: one row per flag a tenant has set explicitly (name, enabled,
  updated_at, updated_by); a tenant without rows has every flag on.

Revision ID: 0014_tenant_features
Revises: 0001
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_tenant_features"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("features",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant_feature",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_tenant_feature_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", name=op.f("pk_tenant_feature")),
    )


def downgrade() -> None:
    op.drop_table("tenant_feature")
