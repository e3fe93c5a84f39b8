"""running pipelines keep their board: the board setting they showed is published

Until this revision a running pipeline's board read the template's board setting (money
field, card fields) as it is now; from now on it reads the setting of the version it
runs, like everything else. So that no board changes at the upgrade of PaceTrack, every
live template whose board setting differs from its latest version's gets the latest
version republished with it as the next version (the same steps), and the pipelines that
ran the latest version record the new one. Pipelines on older versions show the board
of their version from now on.

No schema change; the downgrade leaves the versions (they are history) in place.

Revision ID: 0022_running_boards
Revises: 0016_running_versions
Create Date: 2026-12-04 22:05:00.000000
"""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022_running_boards"
down_revision: str | None = "0016_running_versions"
branch_labels: str | Sequence[str] | None = None
# The board column comes with 0010.
depends_on: str | Sequence[str] | None = "0010_board_read_model"

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NOTE = "The board setting running pipelines showed when boards began to follow their version"

template = sa.table(
    "pipeline_template",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("id", sa.Uuid()),
    sa.column("board", JSON_DOCUMENT),
    sa.column("deleted_at", sa.DateTime(timezone=True)),
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
        board = dict(_document(row["board"]) or {})
        if board == (snapshot.get("board") or {}):
            continue
        connection.execute(
            version.insert(),
            [
                {
                    "tenant_id": row["tenant_id"],
                    "id": uuid.uuid4(),
                    "pipeline_template_id": row["id"],
                    "number": number + 1,
                    "snapshot": {**snapshot, "board": board},
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
                instance.c.template_version == number,
            )
            .values(template_version=number + 1)
        )


def downgrade() -> None:
    """Nothing to undo: the published versions stay as history."""
