"""Request-scoped dependencies: the container and the authenticated actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from pacetrack.bootstrap import Container
from pacetrack.services import auth
from pacetrack.services.context import Actor
from pacetrack.services.errors import Unauthenticated
from pacetrack.services.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="A token from /api/auth/login")


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


async def uow(request: Request) -> UnitOfWork:
    # Async: building the unit of work does no I/O, so it needs no thread of the pool.
    return container(request).uow()


async def actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    token = credentials.credentials if credentials else request.cookies.get("pacetrack_token")
    if not token:
        raise Unauthenticated("A bearer token is required (Authorization: Bearer <token>).")
    current = container(request)
    cache_seconds = current.settings.auth_cache_seconds
    known = auth.recently_checked(
        database=str(current.engine.url),
        token=token,
        now=current.clock.now(),
        cache_seconds=cache_seconds,
    )
    if known is not None:
        return known
    return await run_in_threadpool(_authenticate, current, token, cache_seconds)


def _authenticate(current: Container, token: str, cache_seconds: float) -> Actor:
    with current.uow() as work:
        return auth.authenticate(work, token, cache_seconds=cache_seconds)


CurrentActor = Annotated[Actor, Depends(actor)]
Work = Annotated[UnitOfWork, Depends(uow)]
