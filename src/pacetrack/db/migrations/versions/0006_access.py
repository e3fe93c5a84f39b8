"""access: who may see a pipeline instance and its items

Revision ID: 0006_access
Revises: 0001
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_access"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("access",)
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("pipeline_instance", sa.Column("access", JSON_DOCUMENT, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pipeline_instance") as batch:
        batch.drop_column("access")
