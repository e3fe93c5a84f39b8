"""Request-scoped dependencies: the container and the authenticated actor."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from pacetrack.bootstrap import Container
from pacetrack.services import auth
from pacetrack.services.context import Actor
from pacetrack.services.errors import PermissionDenied, Unauthenticated
from pacetrack.services.login_throttle import LoginPolicy, Threshold
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.settings import Settings
from pacetrack.web.csrf import CSRF_HEADER, SAFE_METHODS, csrf_for, same_secret

_bearer = HTTPBearer(auto_error=False, description="A token from /api/auth/login")


def container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


def request_uow(request: Request) -> UnitOfWork:
    """A unit of work whose configuration changes are recorded as done by the request's
    signed-in account (known once the actor dependency or the page has authenticated)."""
    work = container(request).uow()
    work.acting = lambda: getattr(request.state, "actor", None)
    return work


async def uow(request: Request) -> UnitOfWork:
    # Async: building the unit of work does no I/O, so it needs no thread of the pool.
    return request_uow(request)


async def actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials:
        token = credentials.credentials
    else:
        # The web pages' islands call the API with the session cookie. The browser adds
        # that cookie to requests other sites make too, so a write must also carry the
        # page's CSRF token, which only a page served to this session knows.
        token = request.cookies.get("pacetrack_token") or ""
        if not token:
            raise Unauthenticated("A bearer token is required (Authorization: Bearer <token>).")
        if request.method not in SAFE_METHODS and not same_secret(
            csrf_for(token), request.headers.get(CSRF_HEADER)
        ):
            raise PermissionDenied(
                f"A request signed in by the session cookie must carry the page's "
                f"{CSRF_HEADER} header; reload the page and try again."
            )
    found = await run_in_threadpool(_authenticate, container(request), token)
    request.state.actor = found
    return found


def _authenticate(current: Container, token: str) -> Actor:
    with current.uow() as work:
        return auth.authenticate(work, token)


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, the address the
    server was told to trust: uvicorn's ``--forwarded-allow-ips``)."""
    return request.client.host if request.client is not None else "unknown"


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        account=Threshold(
            free_failures=settings.login_free_failures,
            lock_failures=settings.login_lock_failures,
        ),
        address=Threshold(
            free_failures=settings.login_address_free_failures,
            lock_failures=settings.login_address_lock_failures,
        ),
        first_delay=timedelta(seconds=settings.login_delay_seconds),
        lock=timedelta(seconds=settings.login_lock_seconds),
        forget_after=timedelta(seconds=settings.login_forget_seconds),
    )


CurrentActor = Annotated[Actor, Depends(actor)]
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
Work = Annotated[UnitOfWork, Depends(uow)]
