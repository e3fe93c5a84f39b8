"""A request body limit, enforced before anything reads or parses the body.

A body declared larger than its limit (``Content-Length``) is refused with 413 before a byte of
it is read; a body sent without a length (chunked) is counted as it arrives and refused as soon
as the count passes the limit, and the application only ever sees a complete body. The limit is
per path: template imports carry whole documents and get a larger one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import anyio
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pacetrack.settings import Settings
from pacetrack.web.problems import problem

IMPORT_PATHS = ("/api/pipeline-template/import",)

# After an early refusal the client is usually still sending. Closing a socket with unread data
# makes the kernel send a reset, which can destroy the answer before the client reads it; so the
# rest of the body is read and discarded for a little while first (a lingering close), within
# these bounds, before the connection is closed.
LINGER_SECONDS = 2.0
LINGER_BYTES = 64 * 1024 * 1024

_DIGITS = re.compile(rb"[0-9]+")


def size_in_words(size: int) -> str:
    """``1048576`` -> ``1 MiB``; sizes that are no whole unit are given in bytes."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor:,} {unit}"
    return "1 byte" if size == 1 else f"{size:,} bytes"


class BodyLimit:
    """Pure ASGI middleware: refuses request bodies over ``limit`` (or the path's own limit)."""

    def __init__(self, app: ASGIApp, *, limit: int, path_limits: Mapping[str, int]) -> None:
        self.app = app
        self.limit = limit
        self.path_limits = dict(path_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.limit)
        lengths = [value for name, value in scope["headers"] if name == b"content-length"]
        if lengths:
            if len(lengths) > 1 or not _DIGITS.fullmatch(lengths[0].strip()):
                await _refuse(
                    400,
                    "The Content-Length header is not a whole number of bytes.",
                    {"field": "Content-Length", "message": "must be a whole number of bytes"},
                    send,
                    unread=receive,
                )
            elif _exceeds(lengths[0].strip(), limit):
                await _refuse_too_large(limit, send, unread=receive)
            else:
                # The server reads exactly the declared length, so the body cannot grow past it.
                await self.app(scope, receive, send)
            return
        if scope.get("http_version", "1.1") in {"1.0", "1.1"} and not any(
            name == b"transfer-encoding" for name, _value in scope["headers"]
        ):
            # HTTP/1 frames a body with one of the two headers: without either there is none.
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before finishing its request
            chunk = message.get("body", b"")
            received += len(chunk)
            more_body = message.get("more_body", False)
            if received > limit:
                await _refuse_too_large(limit, send, unread=receive if more_body else None)
                return
            chunks.append(chunk)
            if not more_body:
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _exceeds(digits: bytes, limit: int) -> bool:
    # Compared by length first: int() refuses strings of thousands of digits.
    significant = digits.lstrip(b"0")
    return len(significant) > len(str(limit)) or int(significant or b"0") > limit


def _replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` for the application: the whole body at once, then the server's messages."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replayed


async def _refuse_too_large(limit: int, send: Send, *, unread: Receive | None) -> None:
    words = size_in_words(limit)
    await _refuse(
        413,
        f"The request body is larger than {words}.",
        {"field": "body", "message": f"must be at most {words}"},
        send,
        unread=unread,
    )


async def _refuse(
    status: int, detail: str, error: dict[str, str], send: Send, *, unread: Receive | None
) -> None:
    """Answers at once; ``unread``: the rest of the body is still coming, from there.

    With part of the body unread the connection cannot carry another request, so the answer
    says it closes, and the close lingers as described at ``LINGER_SECONDS``.
    """
    headers = None if unread is None else {"Connection": "close"}
    response = problem(status, detail, errors=[error], headers=headers)
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": response.raw_headers,
    }
    await send(start)
    if unread is None:
        await send({"type": "http.response.body", "body": response.body})
        return
    await send({"type": "http.response.body", "body": response.body, "more_body": True})
    discarded = 0
    with anyio.move_on_after(LINGER_SECONDS):
        while discarded <= LINGER_BYTES:
            message = await unread()
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
            discarded += len(message.get("body", b""))
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def install(app: FastAPI, settings: Settings) -> None:
    """Limits every request to ``max_body_bytes``, template imports to ``max_import_body_bytes``."""
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        path_limits=dict.fromkeys(IMPORT_PATHS, settings.max_import_body_bytes),
    )
