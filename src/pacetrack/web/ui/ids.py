"""Ids in page paths: anything that is not a UUID is simply an unknown page."""

from __future__ import annotations

import uuid

from pacetrack.services.errors import NotFound


def parse_id(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"This {what} does not exist.") from None


def uuid_or_none(raw: str | None) -> uuid.UUID | None:
    """``raw`` as an id, or None when it is missing or is not one."""
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None
