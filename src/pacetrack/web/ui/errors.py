"""Turning refused input into messages shown next to the form fields they concern."""

from __future__ import annotations

from collections import defaultdict

from pydantic import ValidationError

from pacetrack.services.config_schema import json_path
from pacetrack.services.errors import Conflict, ServiceError, StaleItem
from pacetrack.services.validation_words import message_of

FieldErrors = dict[str, list[str]]

STALE_ITEM_WORDS = (
    "Someone changed this item after you opened the page, so nothing was changed. "
    "The page now shows the item as it is: check it and try again."
)


def conflict_words(exc: Conflict) -> str:
    """A conflict as a person reads it: a page cannot talk about item versions."""
    return STALE_ITEM_WORDS if isinstance(exc, StaleItem) else exc.message


def from_invalid_input(exc: ServiceError) -> FieldErrors:
    """The fields a refusal names, each with its messages; the rest under ``_form``."""
    errors: defaultdict[str, list[str]] = defaultdict(list)
    for problem in exc.problems:
        errors[problem.field or "_form"].append(problem.message)
    if not exc.problems:
        errors["_form"].append(exc.message)
    return dict(errors)


def from_validation_error(exc: ValidationError) -> FieldErrors:
    errors: defaultdict[str, list[str]] = defaultdict(list)
    for error in exc.errors(include_url=False):
        location = tuple(error.get("loc", ()))
        field = json_path(location) or "_form"
        message = message_of(error)
        if error.get("type") == "string_too_short" and error.get("ctx", {}).get("min_length") == 1:
            message = "is required"
        errors[field].append(message)
    return dict(errors)
