"""User-supplied regular expressions, run by RE2.

Tenant admins write patterns (``field_pattern`` rules, field definitions).
Python's backtracking ``re`` can take exponential time on patterns such as
``(a+)+$``; RE2 matches in time linear in the input, so no pattern can hang a
request. RE2 refuses backreferences and look-around, which is reported when the
pattern is saved.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN_LENGTH = 1_000


class PatternError(ValueError):
    """The pattern is not a valid regular expression."""


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """Compile once per process; raises PatternError with RE2's reason."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(pattern)
    except re2.error as exc:
        # RE2 gives its reason as bytes; people read text.
        reason = exc.args[0] if exc.args else "cannot be read"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"invalid regular expression: {reason}") from exc


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used, or None when it compiles."""
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        return str(exc)
    return None


def matches(pattern: str, text: str) -> bool:
    """True when ``pattern`` is found in ``text`` (search semantics, anchor with ^…$)."""
    return compile_pattern(pattern).search(text) is not None
