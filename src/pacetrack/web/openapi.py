"""The OpenAPI document: FastAPI's, with every error answer the API really gives.

FastAPI documents only the success answer and a JSON validation error. PaceTrack
answers every error as ``application/problem+json`` (``web/problems.py``), so each
operation declares those answers with the problem schema instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from pacetrack.web.problems import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error as RFC 9457 problem details, with every refused field in `errors`.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "errors"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string", "description": "JSON path of the refused input"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

_ANSWERED_BY_EVERY_OPERATION = {
    "401": "No valid bearer token (missing, unknown, expired or revoked)",
    "403": "The account's roles do not allow this",
    "404": "A named record does not exist in the caller's tenant, or the caller cannot see it",
    "409": "The request conflicts with the current state (a stale version, a duplicate name)",
    "422": "The request is not valid; `errors` names every refused field",
}
_ANSWERED_WITH_A_BODY = {
    "400": "The body is not JSON or its length header is malformed",
    "413": "The request body is larger than the server's limit",
}
_UNAUTHENTICATED_PATHS = frozenset({"/healthz"})
_THROTTLED_PATHS = {"/api/auth/login": "Too many failed logins; retry after `Retry-After` seconds"}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _declare_errors(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if path in _UNAUTHENTICATED_PATHS:
        return
    declared = dict(_ANSWERED_BY_EVERY_OPERATION)
    if "requestBody" in operation:
        declared.update(_ANSWERED_WITH_A_BODY)
    if path in _THROTTLED_PATHS:
        declared["429"] = _THROTTLED_PATHS[path]
    for status, default in declared.items():
        # A route's own words for an answer (e.g. a move's 422 violations) are kept.
        description = responses.get(status, {}).get("description", default)
        if status == "422" and description == "Validation Error":
            description = default
        responses[status] = _problem_response(description)


def install(app: FastAPI) -> None:
    """Replaces ``app.openapi`` by one that declares the problem answers of every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for path, item in schema.get("paths", {}).items():
            for operation in item.values():
                _declare_errors(path, operation)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Problem"] = PROBLEM_SCHEMA
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
