"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-25 18:29:18.682483
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# JSON documents: JSONB (GIN-indexable) on PostgreSQL, JSON text on SQLite.
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tenant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("working_weekdays", JSON_DOCUMENT, nullable=False),
        sa.Column("holidays", JSON_DOCUMENT, nullable=False),
        sa.Column("webhook_allow_list", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenant_slug")),
    )
    op.create_table(
        "account",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_account_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_account")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_account_tenant_id_email")),
        sa.UniqueConstraint("tenant_id", "username", name=op.f("uq_account_tenant_id_username")),
    )
    op.create_table(
        "account_group",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_account_group_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_account_group")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_account_group_tenant_id_name")),
    )
    op.create_table(
        "activity",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=True),
        sa.Column("actor_account_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("data", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_activity_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_activity")),
    )
    op.create_index(
        "ix_activity_item", "activity", ["tenant_id", "item_id", "created_at"], unique=False
    )
    op.create_table(
        "field_definition",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("field_type", sa.String(length=20), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("options", JSON_DOCUMENT, nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("min_value", sa.Numeric(precision=38, scale=10), nullable=True),
        sa.Column("max_value", sa.Numeric(precision=38, scale=10), nullable=True),
        sa.Column("pattern", sa.Text(), nullable=True),
        sa.Column("precision", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_field_definition_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_field_definition")),
    )
    op.create_index(
        "uq_field_definition_live_name",
        "field_definition",
        ["tenant_id", "name"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "pipeline_template",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_pipeline_template_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_pipeline_template")),
    )
    op.create_index(
        "uq_pipeline_template_live_name",
        "pipeline_template",
        ["tenant_id", "name"],
        unique=True,
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_table(
        "role",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_role_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_role")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_role_tenant_id_name")),
    )
    op.create_table(
        "account_group_member",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_account_group_member_tenant_id_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "group_id"],
            ["account_group.tenant_id", "account_group.id"],
            name=op.f("fk_account_group_member_tenant_id_group_id_account_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "group_id", "account_id", name=op.f("pk_account_group_member")
        ),
    )
    op.create_table(
        "account_role",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_account_role_tenant_id_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "role_id"],
            ["role.tenant_id", "role.id"],
            name=op.f("fk_account_role_tenant_id_role_id_role"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "account_id", "role_id", name=op.f("pk_account_role")),
    )
    op.create_table(
        "api_token",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_api_token_tenant_id_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_api_token")),
    )
    op.create_index("ix_api_token_token_hash", "api_token", ["token_hash"], unique=True)
    op.create_table(
        "pipeline_instance",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_template_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_account_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_pipeline_instance_tenant_id_owner_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pipeline_template_id"],
            ["pipeline_template.tenant_id", "pipeline_template.id"],
            name=op.f("fk_pipeline_instance_tenant_id_pipeline_template_id_pipeline_template"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_pipeline_instance")),
    )
    op.create_table(
        "step_template",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_template_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("target_duration_days", sa.Integer(), nullable=True),
        sa.Column("color", sa.String(length=32), nullable=True),
        sa.Column("icon", sa.String(length=64), nullable=True),
        sa.Column("field_configs", JSON_DOCUMENT, nullable=False),
        sa.Column("validations", JSON_DOCUMENT, nullable=False),
        sa.Column("assignments", JSON_DOCUMENT, nullable=False),
        sa.Column("notifications", JSON_DOCUMENT, nullable=False),
        sa.Column("automations", JSON_DOCUMENT, nullable=False),
        sa.Column("calculations", JSON_DOCUMENT, nullable=False),
        sa.Column("metadata", JSON_DOCUMENT, nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pipeline_template_id"],
            ["pipeline_template.tenant_id", "pipeline_template.id"],
            name=op.f("fk_step_template_tenant_id_pipeline_template_id_pipeline_template"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_step_template")),
    )
    op.create_index(
        "ix_step_template_pipeline",
        "step_template",
        ["tenant_id", "pipeline_template_id", "order"],
        unique=False,
    )
    op.create_table(
        "step",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_instance_id", sa.Uuid(), nullable=False),
        sa.Column("step_template_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config_overrides", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pipeline_instance_id"],
            ["pipeline_instance.tenant_id", "pipeline_instance.id"],
            name=op.f("fk_step_tenant_id_pipeline_instance_id_pipeline_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "step_template_id"],
            ["step_template.tenant_id", "step_template.id"],
            name=op.f("fk_step_tenant_id_step_template_id_step_template"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_step")),
    )
    op.create_index(
        "ix_step_instance", "step", ["tenant_id", "pipeline_instance_id", "order"], unique=False
    )
    op.create_table(
        "item",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_instance_id", sa.Uuid(), nullable=False),
        sa.Column("current_step_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("field_values", JSON_DOCUMENT, nullable=False),
        sa.Column("calculation_errors", JSON_DOCUMENT, nullable=False),
        sa.Column("owner_account_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_account_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_item_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "current_step_id"],
            ["step.tenant_id", "step.id"],
            name=op.f("fk_item_tenant_id_current_step_id_step"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "owner_account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_item_tenant_id_owner_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pipeline_instance_id"],
            ["pipeline_instance.tenant_id", "pipeline_instance.id"],
            name=op.f("fk_item_tenant_id_pipeline_instance_id_pipeline_instance"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_item")),
    )
    op.create_index(
        "ix_item_instance_step",
        "item",
        ["tenant_id", "pipeline_instance_id", "current_step_id"],
        unique=False,
    )
    op.create_index("ix_item_status", "item", ["tenant_id", "status"], unique=False)
    op.create_table(
        "item_step_history",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entered_by", sa.Uuid(), nullable=True),
        sa.Column("exited_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["item.tenant_id", "item.id"],
            name=op.f("fk_item_step_history_tenant_id_item_id_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "step_id"],
            ["step.tenant_id", "step.id"],
            name=op.f("fk_item_step_history_tenant_id_step_id_step"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_item_step_history")),
    )
    op.create_index(
        "ix_item_step_history_item",
        "item_step_history",
        ["tenant_id", "item_id", "entered_at"],
        unique=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_step_template_assignments_gin",
            "step_template",
            ["assignments"],
            unique=False,
            postgresql_using="gin",
        )
        op.create_index(
            "ix_step_template_automations_gin",
            "step_template",
            ["automations"],
            unique=False,
            postgresql_using="gin",
        )
        op.create_index(
            "ix_step_template_calculations_gin",
            "step_template",
            ["calculations"],
            unique=False,
            postgresql_using="gin",
        )
        op.create_index(
            "ix_step_template_field_configs_gin",
            "step_template",
            ["field_configs"],
            unique=False,
            postgresql_using="gin",
        )
        op.create_index(
            "ix_step_template_metadata_gin",
            "step_template",
            ["metadata"],
            unique=False,
            postgresql_using="gin",
        )
        op.create_index(
            "ix_step_template_notifications_gin",
            "step_template",
            ["notifications"],
            unique=False,
            postgresql_using="gin",
        )
        op.create_index(
            "ix_step_template_validations_gin",
            "step_template",
            ["validations"],
            unique=False,
            postgresql_using="gin",
        )
        op.create_index(
            "ix_item_assigned_account_ids_gin",
            "item",
            ["assigned_account_ids"],
            unique=False,
            postgresql_using="gin",
        )
        op.create_index(
            "ix_item_field_values_gin",
            "item",
            ["field_values"],
            unique=False,
            postgresql_using="gin",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_item_field_values_gin", table_name="item", postgresql_using="gin")
        op.drop_index("ix_item_assigned_account_ids_gin", table_name="item", postgresql_using="gin")
        op.drop_index(
            "ix_step_template_validations_gin", table_name="step_template", postgresql_using="gin"
        )
        op.drop_index(
            "ix_step_template_notifications_gin", table_name="step_template", postgresql_using="gin"
        )
        op.drop_index(
            "ix_step_template_metadata_gin", table_name="step_template", postgresql_using="gin"
        )
        op.drop_index(
            "ix_step_template_field_configs_gin", table_name="step_template", postgresql_using="gin"
        )
        op.drop_index(
            "ix_step_template_calculations_gin", table_name="step_template", postgresql_using="gin"
        )
        op.drop_index(
            "ix_step_template_automations_gin", table_name="step_template", postgresql_using="gin"
        )
        op.drop_index(
            "ix_step_template_assignments_gin", table_name="step_template", postgresql_using="gin"
        )
    op.drop_index("ix_item_step_history_item", table_name="item_step_history")
    op.drop_table("item_step_history")
    op.drop_index("ix_item_status", table_name="item")
    op.drop_index("ix_item_instance_step", table_name="item")
    op.drop_table("item")
    op.drop_index("ix_step_instance", table_name="step")
    op.drop_table("step")
    op.drop_index("ix_step_template_pipeline", table_name="step_template")
    op.drop_table("step_template")
    op.drop_table("pipeline_instance")
    op.drop_index("ix_api_token_token_hash", table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("account_role")
    op.drop_table("account_group_member")
    op.drop_table("role")
    op.drop_index(
        "uq_pipeline_template_live_name",
        table_name="pipeline_template",
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_table("pipeline_template")
    op.drop_index(
        "uq_field_definition_live_name",
        table_name="field_definition",
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_table("field_definition")
    op.drop_index("ix_activity_item", table_name="activity")
    op.drop_table("activity")
    op.drop_table("account_group")
    op.drop_table("account")
    op.drop_table("tenant")
