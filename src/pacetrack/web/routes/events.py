"""/api/events/stream: committed changes as Server-Sent Events, for open boards and badges.

Each event's ``data`` is a JSON ``LiveEvent``: what changed (kind, pipeline, item, step,
version), never field values. A comment line every ``live_heartbeat_seconds`` keeps
proxies from closing an idle stream and checks that the session is still valid; the
stream ends when the session ends, when the client goes, and when the server shuts down.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from pacetrack.bootstrap import Container
from pacetrack.services import auth
from pacetrack.services.context import Actor
from pacetrack.services.errors import Unauthenticated
from pacetrack.services.live import LiveAudience
from pacetrack.web.deps import BearerCredentials, CurrentActor, container

router = APIRouter(prefix="/api/events", tags=["events"])

STREAM_HEADERS = {
    "Cache-Control": "no-cache",
    # nginx buffers responses unless told not to; a buffered stream arrives all at once.
    "X-Accel-Buffering": "no",
}
RECONNECT_MILLISECONDS = 3000
LISTEN_WAIT_SECONDS = 5.0


def _still_signed_in(current: Container, token: str, actor: Actor) -> bool:
    try:
        with current.uow() as work:
            return auth.authenticate(work, token).account_id == actor.account_id
    except Unauthenticated:
        return False


async def _events(request: Request, actor: Actor, token: str) -> AsyncIterator[str]:
    current = container(request)
    heartbeat = current.settings.live_heartbeat_seconds
    audience = LiveAudience(actor=actor, uow=current.uow)
    subscription = current.feed.subscribe()
    try:
        await run_in_threadpool(current.feed.ready, LISTEN_WAIT_SECONDS)
        yield f"retry: {RECONNECT_MILLISECONDS}\n: connected\n\n"
        beat_at = time.monotonic() + heartbeat
        while True:
            try:
                change = await subscription.next(max(beat_at - time.monotonic(), 0.0))
            except TimeoutError:
                if not await run_in_threadpool(_still_signed_in, current, token, actor):
                    return
                yield ": heartbeat\n\n"
                beat_at = time.monotonic() + heartbeat
                continue
            if change is None:
                return
            event = await run_in_threadpool(audience.event_for, change)
            if event is not None:
                yield f"data: {event.model_dump_json()}\n\n"
    finally:
        subscription.close()


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream"}},
)
async def stream(
    request: Request, actor: CurrentActor, credentials: BearerCredentials
) -> StreamingResponse:
    token = credentials.credentials if credentials else request.cookies.get("pacetrack_token", "")
    return StreamingResponse(
        _events(request, actor, token), media_type="text/event-stream", headers=STREAM_HEADERS
    )
