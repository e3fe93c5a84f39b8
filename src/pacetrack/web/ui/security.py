"""Cookie sessions and CSRF protection for the HTML pages.

The session cookie carries the same bearer token the JSON API issues
(``pacetrack_token``; HttpOnly, SameSite=Lax). Form posts are checked against a
CSRF token derived from that session token with HMAC: a page of another site can
neither read the cookie nor compute the token, and no server-side state is
needed. Before login there is no session yet, so the login form uses a
double-submit cookie instead.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from pacetrack.services import auth
from pacetrack.services.context import Actor
from pacetrack.services.errors import Unauthenticated
from pacetrack.web.csrf import csrf_for
from pacetrack.web.csrf import same_secret as _same
from pacetrack.web.deps import container

SESSION_COOKIE = "pacetrack_token"
LOGIN_CSRF_COOKIE = "pacetrack_login_csrf"
CSRF_FIELD = "csrf_token"


class LoginRequired(Unauthenticated):
    """Log in to continue."""


class CsrfRejected(Exception):
    """The form did not carry this session's CSRF token (a stale page or another site)."""


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def set_login_csrf_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        value,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/login",
    )


def page_actor(request: Request) -> Actor:
    """The signed-in account; LoginRequired sends the browser to /login."""
    token = session_token(request)
    if token is None:
        raise LoginRequired()
    with container(request).uow() as work:
        try:
            actor = auth.authenticate(work, token)
        except Unauthenticated as exc:
            raise LoginRequired(exc.message) from exc
    request.state.csrf_token = csrf_for(token)
    request.state.actor = actor
    return actor


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session."""
    form = await request.form()
    token = session_token(request)
    if token is None:
        raise LoginRequired()
    if not _same(csrf_for(token), form.get(CSRF_FIELD)):
        raise CsrfRejected()
    return form


async def login_form(request: Request) -> FormData:
    """The posted login form, checked against the double-submit cookie."""
    form = await request.form()
    if not _same(request.cookies.get(LOGIN_CSRF_COOKIE), form.get(CSRF_FIELD)):
        raise CsrfRejected()
    return form


PageActor = Annotated[Actor, Depends(page_actor)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
LoginForm = Annotated[FormData, Depends(login_form)]
