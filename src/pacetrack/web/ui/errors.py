"""Turning refused input into messages shown next to the form fields they concern."""

from __future__ import annotations

from collections import defaultdict

from pydantic import ValidationError

from pacetrack.services.config_schema import json_path
from pacetrack.services.errors import ServiceError
from pacetrack.services.validation_words import message_of

FieldErrors = dict[str, list[str]]


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
