"""item name search: a trigram index for the board's and list's text filter (PostgreSQL)

The board and the list filter items by a part of their name (``ILIKE '%text%'``), which
no b-tree index can answer: each request read every item of the pipeline. A GIN index of
the name's trigrams (the ``pg_trgm`` extension, shipped with PostgreSQL and trusted, so a
database owner may create it) answers the filter from the index. Where the extension is
not available the index is left out and the filter reads the items as before. SQLite is
unchanged.

Revision ID: 0018_item_name_search
Revises: 0010_board_read_model
Create Date: 2026-12-03 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_item_name_search"
down_revision: str | None = "0010_board_read_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_item_name_gin"


def _trigrams_available(bind: sa.Connection) -> bool:
    return bool(
        bind.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"))
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _trigrams_available(bind):
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON item USING gin (name gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
