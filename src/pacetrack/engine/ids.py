"""Ids as people, forms and stored documents give them: a UUID or its text."""

from __future__ import annotations

import functools
import uuid


def as_uuid(raw: object) -> uuid.UUID | None:
    """``raw`` as a UUID (a UUID itself, or text that spells one); None for anything else,
    a missing or empty value included."""
    if isinstance(raw, uuid.UUID):
        return raw
    if isinstance(raw, str):
        return _parsed(raw)
    return None


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> uuid.UUID | None:
    # A batch of jobs names the same items, steps and accounts many times over, and each
    # job's ids are read by several steps: parsed once, they cost a dictionary look-up.
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
