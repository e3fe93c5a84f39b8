"""template_versions: published versions of pipeline templates; instances record theirs

- ``pipeline_template_version``: version ``number`` (1, 2, ... per template) with a JSON
  snapshot of the template (name, description, board, its steps in order with their seven
  configuration columns), a note, who published it and when.
- ``pipeline_instance.template_version``: the version an instance was started from; NULL for
  instances made before versions existed.

Every live template gets version 1 from its current state, so history starts at the
present, and existing instances are set to version 1.

Revision ID: 0015_template_versions
Revises: 0001
Create Date: 2026-12-03 15:50:00.000000
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_template_versions"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("versions",)
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
FIRST_NOTE = "Version in use when versions were introduced"
CONFIG_COLUMNS = (
    "field_configs",
    "validations",
    "assignments",
    "notifications",
    "automations",
    "calculations",
    "metadata",
)

template = sa.table(
    "pipeline_template",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("description", sa.Text()),
    sa.column("deleted_at", sa.DateTime(timezone=True)),
)
step = sa.table(
    "step_template",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("pipeline_template_id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("description", sa.Text()),
    sa.column("order", sa.Integer()),
    sa.column("target_duration_days", sa.Integer()),
    sa.column("color", sa.String()),
    sa.column("icon", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("deleted_at", sa.DateTime(timezone=True)),
    *(sa.column(name, JSON_DOCUMENT) for name in CONFIG_COLUMNS),
)
version = sa.table(
    "pipeline_template_version",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("pipeline_template_id", sa.Uuid()),
    sa.column("number", sa.Integer()),
    sa.column("snapshot", JSON_DOCUMENT),
    sa.column("note", sa.Text()),
    sa.column("published_by", sa.Uuid()),
    sa.column("published_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "pipeline_template_version",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pipeline_template_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("snapshot", JSON_DOCUMENT, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "pipeline_template_id"],
            ["pipeline_template.tenant_id", "pipeline_template.id"],
            name=op.f(
                "fk_pipeline_template_version_tenant_id_pipeline_template_id_pipeline_template"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "published_by"],
            ["account.tenant_id", "account.id"],
            name=op.f("fk_pipeline_template_version_tenant_id_published_by_account"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_pipeline_template_version")),
        sa.UniqueConstraint(
            "tenant_id",
            "pipeline_template_id",
            "number",
            name=op.f("uq_pipeline_template_version_tenant_id_pipeline_template_id_number"),
        ),
    )
    with op.batch_alter_table("pipeline_instance") as batch:
        batch.add_column(sa.Column("template_version", sa.Integer(), nullable=True))
    _publish_first_versions()
    op.execute(sa.text("UPDATE pipeline_instance SET template_version = 1"))


def _publish_first_versions() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # SQLite columns hold naive UTC (db.types.UTCDateTime)
    # The board column comes with 0010 on another branch; before it every board is empty.
    columns = {column["name"] for column in sa.inspect(connection).get_columns("pipeline_template")}
    board = sa.column("board", JSON_DOCUMENT) if "board" in columns else sa.literal(None)
    templates = connection.execute(
        sa.select(template, board.label("board")).where(template.c.deleted_at.is_(None))
    ).mappings()
    rows = []
    for row in templates:
        steps = connection.execute(
            sa.select(step)
            .where(
                step.c.tenant_id == row["tenant_id"],
                step.c.pipeline_template_id == row["id"],
                step.c.deleted_at.is_(None),
            )
            .order_by(step.c.order, step.c.created_at, step.c.id)
        ).mappings()
        rows.append(
            {
                "tenant_id": row["tenant_id"],
                "id": uuid.uuid4(),
                "pipeline_template_id": row["id"],
                "number": 1,
                "snapshot": _snapshot(row, list(steps)),
                "note": FIRST_NOTE,
                "published_by": None,
                "published_at": now,
            }
        )
    if rows:
        connection.execute(version.insert(), rows)


def _snapshot(row: Any, steps: list[Any]) -> dict[str, Any]:
    # The same shape as services.template_versions.snapshot_of writes.
    return {
        "name": row["name"],
        "description": row["description"] or "",
        "board": dict(row["board"] or {}),
        "steps": [
            {
                "id": str(item["id"]),
                "name": item["name"],
                "description": item["description"] or "",
                "position": item["order"],
                "target_duration_days": item["target_duration_days"],
                "color": item["color"],
                "icon": item["icon"],
                **{
                    name: item[name]
                    if item[name] is not None
                    else ({} if name == "metadata" else [])
                    for name in CONFIG_COLUMNS
                },
            }
            for item in steps
        ],
    }


def downgrade() -> None:
    with op.batch_alter_table("pipeline_instance") as batch:
        batch.drop_column("template_version")
    op.drop_table("pipeline_template_version")
