"""Request-scoped dependencies: the container and the authenticated actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pacetrack.bootstrap import Container
from pacetrack.services import auth
from pacetrack.services.context import Actor
from pacetrack.services.errors import Unauthenticated
from pacetrack.services.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="A token from /api/auth/login")


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


def uow(request: Request) -> UnitOfWork:
    return container(request).uow()


def actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    token = credentials.credentials if credentials else request.cookies.get("pacetrack_token")
    if not token:
        raise Unauthenticated("A bearer token is required (Authorization: Bearer <token>).")
    with container(request).uow() as work:
        return auth.authenticate(work, token)


CurrentActor = Annotated[Actor, Depends(actor)]
Work = Annotated[UnitOfWork, Depends(uow)]
