"""Ids in page paths: anything that is not a UUID is simply an unknown page."""

from __future__ import annotations

import uuid

from pacetrack.services.errors import NotFound


def parse_id(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"This {what} does not exist.") from None
