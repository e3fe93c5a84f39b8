"""config audit: who changed which piece of configuration, when, from what to what

- ``config_audit_entry``: one row per changed entity (template, step, field definition,
  step override, pipeline access, webhook endpoint, allow-list, tenant settings, account,
  role grant, role, group, group member) per transaction, with the configuration columns
  before and after, secrets masked.

Revision ID: 0013_config_audit
Revises: 0008_login_protection
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_config_audit"
down_revision: str | None = "0008_login_protection"
branch_labels: str | Sequence[str] | None = ("config_audit",)
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "config_audit_entry",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("actor_account_id", sa.Uuid(), nullable=True),
        sa.Column("entity_kind", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("entity_name", sa.String(length=500), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("before", JSON_DOCUMENT, nullable=True),
        sa.Column("after", JSON_DOCUMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_config_audit_entry_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "actor_account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_config_audit_entry_tenant_id_actor_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_config_audit_entry")),
    )
    op.create_index("ix_config_audit_entry_tenant_id_at", "config_audit_entry", ["tenant_id", "at"])
    op.create_index(
        "ix_config_audit_entry_entity",
        "config_audit_entry",
        ["tenant_id", "entity_kind", "entity_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_config_audit_entry_entity", table_name="config_audit_entry")
    op.drop_index("ix_config_audit_entry_tenant_id_at", table_name="config_audit_entry")
    op.drop_table("config_audit_entry")
