"""Per-tenant feature flags: only the overrides of the defaults are stored.

A tenant without rows has every flag on (``engine.features``); a row says an
operator set one flag explicitly, who did and when.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKeyConstraint, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pacetrack.db.tables import Base

FEATURE_NAME_LENGTH = 64
UPDATED_BY_LENGTH = 255


class TenantFeature(Base):
    __tablename__ = "tenant_feature"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenant.id"], ondelete="CASCADE"),)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(FEATURE_NAME_LENGTH), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]
    # Who set it, in words: an account's email, or the operator's command line or token.
    updated_by: Mapped[str] = mapped_column(String(UPDATED_BY_LENGTH))
