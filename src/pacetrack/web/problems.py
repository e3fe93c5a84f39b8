"""Errors as RFC 9457 problem details, with an ``errors`` list of ``{field, message}``.

The single place where service errors become HTTP responses.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pacetrack.services.config_schema import json_path
from pacetrack.services.errors import ServiceError
from pacetrack.services.validation_words import message_of
from pacetrack.web.error_status import status_of
from pacetrack.web.ui.rendering import error_page

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("pacetrack.web")

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


BROWSER_ERRORS = {
    404: ("Not found", "This page does not exist."),
    405: (
        "Not available",
        "This address belongs to a form and cannot be opened on its own; go back and use the form.",
    ),
}


def wants_html(request: Request) -> bool:
    """A browser asking for a page, not a client of the JSON API."""
    path = request.url.path
    if path.startswith("/api/") or path in {"/openapi.json", "/healthz"}:
        return False
    return "text/html" in request.headers.get("accept", "")


def _request_location(location: tuple[Any, ...]) -> str:
    parts = list(location)
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return json_path(tuple(parts)) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        errors = [{"field": p.field, "message": p.message} for p in exc.problems]
        extra = getattr(exc, "problem_extra", None)
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        # An error may name answer headers of its own (a throttled login's Retry-After).
        headers.update(getattr(exc, "problem_headers", {}))
        return problem(status, exc.message, errors=errors, extra=extra, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for error in exc.errors():
            message = message_of(error)
            field = _request_location(tuple(error.get("loc", ())))
            # A refusal inside a free JSON value names its place within the value.
            inner = (error.get("ctx") or {}).get("path")
            if inner:
                field = f"{field}{'' if inner.startswith('[') else '.'}{inner}"
            errors.append({"field": field, "message": message})
        return problem(422, "The request is not valid.", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(request):
            # A browser that followed a stale link or reloaded a form's address gets a page.
            heading, message = BROWSER_ERRORS.get(
                exc.status_code, ("Request refused", "This request could not be carried out.")
            )
            return error_page(request, exc.status_code, heading, message)
        return problem(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    app.add_middleware(UnexpectedErrors)


class UnexpectedErrors:
    """Pure ASGI middleware: an unhandled error becomes a 500 problem and goes no further.

    Starlette's own last-resort handler re-raises after answering, and the server then closes
    the connection under a client that was told it could keep it; answering here keeps it
    usable. An error after the answer has started cannot be answered and is raised on.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            if started:
                raise
            logger.exception("unhandled error", exc_info=exc)
            response = problem(500, "An unexpected error occurred; it has been logged.")
            await response(scope, receive, send)
