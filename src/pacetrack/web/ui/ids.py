"""Ids in page paths (anything that is not a UUID is simply an unknown page) and in forms."""

from __future__ import annotations

import uuid

from starlette.datastructures import FormData

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


def expected_version(form: FormData) -> int | None:
    """The item version a form was rendered with (its hidden ``expected_version``), if any."""
    raw = str(form.get("expected_version", ""))
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None
