"""API tokens: the per-request check of a bearer token and the token rows themselves."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from pacetrack.db import tokens
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import ApiToken


class TokenRepository(Repository):
    def holder(self, token_hash: str) -> Sequence[Any]:
        """The token, its account and the account's role names, one row per role
        (``db.tokens.token_holder``: on PostgreSQL outside the transaction)."""
        return tokens.token_holder(self.session, token_hash=token_hash)

    def by_hash(self, tenant_id: uuid.UUID, token_hash: str) -> ApiToken | None:
        return self.session.scalars(
            select(ApiToken).where(
                ApiToken.token_hash == token_hash, ApiToken.tenant_id == tenant_id
            )
        ).first()
