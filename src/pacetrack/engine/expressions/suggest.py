"""Did-you-mean suggestions for misspelt field and function names."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


def closest_name(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``name``, or None when none is close enough to help."""
    pool = list(candidates)
    if not name or not pool:
        return None
    found = get_close_matches(name, pool, n=1, cutoff=0.6)
    if not found:
        lowered = {candidate.lower(): candidate for candidate in pool}
        found = [lowered[name.lower()]] if name.lower() in lowered else []
    return found[0] if found else None
