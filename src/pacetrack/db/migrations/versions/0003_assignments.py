"""assignments: round-robin cursors and approvals

Revision ID: 0003_assignments
Revises: 0001
Create Date: 2026-11-25 18:37:42.203809
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_assignments"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("assignments",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignment_cursor",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("step_template_id", sa.Uuid(), nullable=False),
        sa.Column("rule_key", sa.String(length=100), nullable=False),
        sa.Column("last_account_id", sa.Uuid(), nullable=True),
        sa.Column("last_username", sa.String(length=64), nullable=True),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "step_template_id"],
            ["step_template.tenant_id", "step_template.id"],
            name=op.f("fk_assignment_cursor_tenant_id_step_template_id_step_template"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=op.f("fk_assignment_cursor_tenant_id_tenant")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "step_template_id", "rule_key", name=op.f("pk_assignment_cursor")
        ),
    )
    op.create_table(
        "approval_request",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("history_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "history_id"],
            ["item_step_history.tenant_id", "item_step_history.id"],
            name=op.f("fk_approval_request_tenant_id_history_id_item_step_history"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "item_id"],
            ["item.tenant_id", "item.id"],
            name=op.f("fk_approval_request_tenant_id_item_id_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "requested_by"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_approval_request_tenant_id_requested_by_account"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "step_id"],
            ["step.tenant_id", "step.id"],
            name=op.f("fk_approval_request_tenant_id_step_id_step"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_approval_request")),
        sa.UniqueConstraint(
            "tenant_id",
            "history_id",
            "attempt",
            name=op.f("uq_approval_request_tenant_id_history_id_attempt"),
        ),
    )
    op.create_index(
        "ix_approval_request_status", "approval_request", ["tenant_id", "status"], unique=False
    )
    op.create_table(
        "approval_decision",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "account_id"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_approval_decision_tenant_id_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "request_id"],
            ["approval_request.tenant_id", "approval_request.id"],
            name=op.f("fk_approval_decision_tenant_id_request_id_approval_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_approval_decision")),
        sa.UniqueConstraint(
            "tenant_id",
            "request_id",
            "account_id",
            name=op.f("uq_approval_decision_tenant_id_request_id_account_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("approval_decision")
    op.drop_index("ix_approval_request_status", table_name="approval_request")
    op.drop_table("approval_request")
    op.drop_table("assignment_cursor")
