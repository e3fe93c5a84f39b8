"""login protection: failed-login streaks and the audit trail

- ``login_failures_of_account``: the current streak of failed logins of an account.
- ``login_failures_of_address``: the same for a client address, over every tenant
  (the one table without ``tenant_id``: an address belongs to no tenant).
- ``audit_event``: a tenant's logins, lockouts, revoked tokens and deactivations.

Revision ID: 0008_login_protection
Revises: 0001
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_login_protection"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("login_protection",)
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_failures_of_account",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_login_failures_of_account_tenant_id_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "account_id", name=op.f("pk_login_failures_of_account")
        ),
    )
    op.create_table(
        "login_failures_of_address",
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_failures_of_address")),
    )
    op.create_table(
        "audit_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("client_address", sa.String(length=255), nullable=True),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_audit_event_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_audit_event_tenant_id_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_tenant_id_at", "audit_event", ["tenant_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_event_tenant_id_at", table_name="audit_event")
    op.drop_table("audit_event")
    op.drop_table("login_failures_of_address")
    op.drop_table("login_failures_of_account")
