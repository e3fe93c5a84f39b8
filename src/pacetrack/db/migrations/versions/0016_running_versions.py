"""running pipelines keep their steps: the draft they ran is published and recorded

Until this revision a running pipeline read its template's current steps (the draft),
whatever version it recorded; from now on it runs the version it records. So that no
running pipeline changes behaviour at the upgrade of PaceTrack, every live template whose
current steps differ from its latest version gets them published as the next version,
and every pipeline of a live template records the template's latest version.

No schema change; the downgrade leaves the versions (they are history) in place.

Revision ID: 0016_running_versions
Revises: 0015_template_versions
Create Date: 2026-12-04 21:20:00.000000
"""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_running_versions"
down_revision: str | None = "0015_template_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NOTE = "The steps running pipelines used when they began to run their recorded version"
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
instance = sa.table(
    "pipeline_instance",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("pipeline_template_id", sa.Uuid()),
    sa.column("template_version", sa.Integer()),
)


def _steps_now(connection: sa.Connection, row: Any) -> list[dict[str, Any]]:
    # The same shape as services.template_versions.snapshot_of writes (and 0015 wrote).
    steps = connection.execute(
        sa.select(step)
        .where(
            step.c.tenant_id == row["tenant_id"],
            step.c.pipeline_template_id == row["id"],
            step.c.deleted_at.is_(None),
        )
        .order_by(step.c.order, step.c.created_at, step.c.id)
    ).mappings()
    return [
        {
            "id": str(item["id"]),
            "name": item["name"],
            "description": item["description"] or "",
            "position": item["order"],
            "target_duration_days": item["target_duration_days"],
            "color": item["color"],
            "icon": item["icon"],
            **{
                name: item[name] if item[name] is not None else ({} if name == "metadata" else [])
                for name in CONFIG_COLUMNS
            },
        }
        for item in steps
    ]


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # SQLite columns hold naive UTC (db.types.UTCDateTime)
    templates = connection.execute(
        sa.select(template).where(template.c.deleted_at.is_(None))
    ).mappings()
    for row in list(templates):
        latest = connection.execute(
            sa.select(version.c.number, version.c.snapshot)
            .where(
                version.c.tenant_id == row["tenant_id"],
                version.c.pipeline_template_id == row["id"],
            )
            .order_by(version.c.number.desc())
            .limit(1)
        ).first()
        if latest is None:
            continue
        number, snapshot = latest[0], _document(latest[1])
        steps = _steps_now(connection, row)
        if steps != snapshot.get("steps"):
            number += 1
            connection.execute(
                version.insert(),
                [
                    {
                        "tenant_id": row["tenant_id"],
                        "id": uuid.uuid4(),
                        "pipeline_template_id": row["id"],
                        "number": number,
                        "snapshot": {**snapshot, "steps": steps},
                        "note": NOTE,
                        "published_by": None,
                        "published_at": now,
                    }
                ],
            )
        connection.execute(
            instance.update()
            .where(
                instance.c.tenant_id == row["tenant_id"],
                instance.c.pipeline_template_id == row["id"],
            )
            .values(template_version=number)
        )


def downgrade() -> None:
    """Nothing to undo: the published versions stay as history."""
