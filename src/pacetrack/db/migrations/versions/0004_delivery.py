"""delivery: outbox, timers, notifications and preferences

Revision ID: 0004_delivery
Revises: 0001
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_delivery"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("delivery",)
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON_DOCUMENT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", MOMENT, nullable=False),
        sa.Column("locked_until", MOMENT, nullable=True),
        sa.Column("locked_by", sa.String(length=100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("done_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_outbox_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_status_available_at", "outbox", ["status", "available_at"], unique=False
    )
    op.create_table(
        "timer",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("history_id", sa.Uuid(), nullable=False),
        sa.Column("rule_kind", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("entered_at", MOMENT, nullable=False),
        sa.Column("due_at", MOMENT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rule", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("fired_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["item.tenant_id", "item.id"],
            name=op.f("fk_timer_tenant_id_item_id_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_timer")),
        sa.UniqueConstraint(
            "tenant_id",
            "item_id",
            "history_id",
            "rule_id",
            "occurrence",
            name=op.f("uq_timer_tenant_id_item_id_history_id_rule_id_occurrence"),
        ),
    )
    op.create_index(
        "ix_timer_armed_due_at",
        "timer",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'armed'"),
        sqlite_where=sa.text("status = 'armed'"),
    )
    op.create_index("ix_timer_history", "timer", ["tenant_id", "history_id"], unique=False)
    op.create_table(
        "notification_log",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("step_id", sa.Uuid(), nullable=True),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recipients", JSON_DOCUMENT, nullable=False),
        sa.Column("template_error", sa.Text(), nullable=True),
        sa.Column("triggered_at", MOMENT, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_notification_log_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification_log")),
    )
    op.create_index(
        "ix_notification_log_item",
        "notification_log",
        ["tenant_id", "item_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "notification",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("log_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("read_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_notification_tenant_id_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "log_id"],
            ["notification_log.tenant_id", "notification_log.id"],
            name=op.f("fk_notification_tenant_id_log_id_notification_log"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "tenant_id",
            "log_id",
            "account_id",
            name=op.f("uq_notification_tenant_id_log_id_account_id"),
        ),
    )
    op.create_index(
        "ix_notification_inbox",
        "notification",
        ["tenant_id", "account_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "notification_delivery",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("log_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "log_id"],
            ["notification_log.tenant_id", "notification_log.id"],
            name=op.f("fk_notification_delivery_tenant_id_log_id_notification_log"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification_delivery")),
        sa.UniqueConstraint(
            "tenant_id",
            "log_id",
            "account_id",
            "channel",
            name=op.f("uq_notification_delivery_tenant_id_log_id_account_id_channel"),
        ),
    )
    op.create_table(
        "notification_preference",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("channels", JSON_DOCUMENT, nullable=False),
        sa.Column("email_digest", sa.String(length=16), nullable=False),
        sa.Column("digest_sent_through", MOMENT, nullable=True),
        sa.Column("digest_job_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_notification_preference_tenant_id_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "account_id", name=op.f("pk_notification_preference")),
    )


def downgrade() -> None:
    op.drop_table("notification_preference")
    op.drop_table("notification_delivery")
    op.drop_index("ix_notification_inbox", table_name="notification")
    op.drop_table("notification")
    op.drop_index("ix_notification_log_item", table_name="notification_log")
    op.drop_table("notification_log")
    op.drop_index("ix_timer_history", table_name="timer")
    op.drop_index("ix_timer_armed_due_at", table_name="timer")
    op.drop_table("timer")
    op.drop_index("ix_outbox_status_available_at", table_name="outbox")
    op.drop_table("outbox")
