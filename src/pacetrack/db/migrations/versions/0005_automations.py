"""automations: webhook endpoints, delivery attempts, automation runs

Revision ID: 0005_automations
Revises: 0001
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_automations"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("automations",)
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_endpoint",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_secret_expires_at", MOMENT, nullable=True),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("disabled_at", MOMENT, nullable=True),
        sa.Column("rate_limit_per_second", sa.Float(), nullable=False),
        sa.Column("rate_tokens", sa.Float(), nullable=True),
        sa.Column("rate_updated_at", MOMENT, nullable=True),
        sa.Column("first_failure_at", MOMENT, nullable=True),
        sa.Column("owner_account_id", sa.Uuid(), nullable=True),
        sa.Column("auto_registered", sa.Boolean(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_webhook_endpoint_tenant_id_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_webhook_endpoint_tenant_id_owner_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_webhook_endpoint")),
        sa.UniqueConstraint("tenant_id", "url", name=op.f("uq_webhook_endpoint_tenant_id_url")),
    )
    op.create_table(
        "delivery_attempt",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("automation_run_id", sa.Uuid(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("request_headers", JSON_DOCUMENT, nullable=False),
        sa.Column("request_body", sa.Text(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"],
            ["webhook_endpoint.tenant_id", "webhook_endpoint.id"],
            name=op.f("fk_delivery_attempt_tenant_id_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_delivery_attempt")),
    )
    op.create_index(
        "ix_delivery_attempt_delivery",
        "delivery_attempt",
        ["tenant_id", "delivery_id", "attempt"],
        unique=False,
    )
    op.create_index(
        "ix_delivery_attempt_endpoint",
        "delivery_attempt",
        ["tenant_id", "endpoint_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "automation_run",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("automation_id", sa.String(length=200), nullable=False),
        sa.Column("automation_name", sa.String(length=200), nullable=True),
        sa.Column("action_type", sa.String(length=32), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("step_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("rendered_request", JSON_DOCUMENT, nullable=False),
        sa.Column("result", JSON_DOCUMENT, nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=True),
        sa.Column("delivery_id", sa.Uuid(), nullable=True),
        sa.Column("triggered_at", MOMENT, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("finished_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_automation_run_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_automation_run")),
    )
    op.create_index(
        "ix_automation_run_item",
        "automation_run",
        ["tenant_id", "item_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_automation_run_automation",
        "automation_run",
        ["tenant_id", "automation_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_automation_run_delivery", "automation_run", ["tenant_id", "delivery_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_automation_run_delivery", table_name="automation_run")
    op.drop_index("ix_automation_run_automation", table_name="automation_run")
    op.drop_index("ix_automation_run_item", table_name="automation_run")
    op.drop_table("automation_run")
    op.drop_index("ix_delivery_attempt_endpoint", table_name="delivery_attempt")
    op.drop_index("ix_delivery_attempt_delivery", table_name="delivery_attempt")
    op.drop_table("delivery_attempt")
    op.drop_table("webhook_endpoint")
