"""Service errors as the command line prints them."""

from __future__ import annotations

from pacetrack.services.errors import ServiceError


def describe(error: ServiceError) -> str:
    """The error's message, then each field it names with what is wrong there."""
    lines = [f"  {problem.field}: {problem.message}" for problem in error.problems]
    return "\n".join([error.message, *lines])
