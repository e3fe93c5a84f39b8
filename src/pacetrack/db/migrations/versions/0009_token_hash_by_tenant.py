"""distribution: the token-hash index includes tenant_id

Every unique index of a tenant table includes ``tenant_id``, so that each table can be
sharded by tenant (Citus enforces a unique index only when it contains the distribution
column). ``ix_api_token_token_hash`` was unique on ``token_hash`` alone; it becomes unique
on ``(token_hash, tenant_id)``. ``token_hash`` stays the leading column, so the lookup of
every request (by the hash alone: a bearer token does not name its tenant) uses the same
index as before. Two tenants holding the same hash would take a collision of 256 random
bits, which the former constraint did not make less likely either.

Revision ID: 0009_token_hash_by_tenant
Revises: 0001
Create Date: 2026-12-02 16:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_token_hash_by_tenant"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("distribution",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_api_token_token_hash", table_name="api_token")
    op.create_index(
        "ix_api_token_token_hash_tenant_id",
        "api_token",
        ["token_hash", "tenant_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_api_token_token_hash_tenant_id", table_name="api_token")
    op.create_index("ix_api_token_token_hash", "api_token", ["token_hash"], unique=True)
