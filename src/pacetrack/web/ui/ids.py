"""Ids in page paths (anything that is not a UUID is simply an unknown page) and in forms."""

from __future__ import annotations

import uuid

from starlette.datastructures import FormData

from pacetrack.services.errors import NotFound
from pacetrack.services.ids import as_uuid


def parse_id(raw: str, what: str) -> uuid.UUID:
    found = as_uuid(raw)
    if found is None:
        raise NotFound(f"This {what} does not exist.")
    return found


def expected_version(form: FormData) -> int | None:
    """The item version a form was rendered with (its hidden ``expected_version``), if any."""
    raw = str(form.get("expected_version", ""))
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None
