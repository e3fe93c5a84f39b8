"""webhook_oauth: webhook endpoints may authenticate with OAuth 2.0 client credentials

- ``webhook_endpoint.auth_type``: NULL (signature only) or ``oauth2_client_credentials``;
- ``webhook_endpoint.oauth_*``: the token URL, client id and secret, scope, audience and
  how the client authenticates at the token server (``client_secret_basic`` or
  ``client_secret_post``).

All columns are nullable, so existing endpoints keep working unchanged.

Revision ID: 0012_webhook_oauth
Revises: 0005_automations (which creates the webhook_endpoint table)
Create Date: 2026-12-03 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_webhook_oauth"
down_revision: str | None = "0005_automations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("auth_type", sa.String(length=40)),
    ("oauth_token_url", sa.String(length=2000)),
    ("oauth_client_id", sa.String(length=500)),
    ("oauth_client_secret", sa.Text()),
    ("oauth_scope", sa.String(length=1000)),
    ("oauth_audience", sa.String(length=2000)),
    ("oauth_client_auth", sa.String(length=32)),
)


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoint") as table:
        for name, kind in COLUMNS:
            table.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoint") as table:
        for name, _kind in reversed(COLUMNS):
            table.drop_column(name)
