"""/login and /logout."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services import auth
from pacetrack.services.auth import LoginRequest
from pacetrack.services.errors import Unauthenticated
from pacetrack.services.login_throttle import LoginThrottled
from pacetrack.web.deps import client_address, container, login_policy
from pacetrack.web.ui.errors import FieldErrors, from_validation_error
from pacetrack.web.ui.rendering import PageRoute, redirect, render, safe_next
from pacetrack.web.ui.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CheckedForm,
    LoginForm,
    PageActor,
    new_login_csrf,
    session_token,
    set_login_csrf_cookie,
    set_session_cookie,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _login_page(
    request: Request,
    *,
    values: dict[str, str],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    token = new_login_csrf()
    response = render(
        request,
        "login.html",
        {
            "title": "Log in",
            "values": values,
            "errors": errors,
            "csrf_token": token,
            "next": safe_next(values.get("next")),
        },
        status_code=status_code,
    )
    set_login_csrf_cookie(response, request, token)
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return _login_page(request, values={"next": next, "tenant": "", "login": ""}, errors={})


@router.post("/login")
def login_submit(request: Request, form: LoginForm) -> Response:
    values = {key: str(form.get(key, "")) for key in ("tenant", "login", "next")}
    password = str(form.get("password", ""))
    try:
        command = LoginRequest(
            tenant=values["tenant"].strip(), login=values["login"], password=password
        )
    except ValidationError as exc:
        return _login_page(
            request, values=values, errors=from_validation_error(exc), status_code=422
        )
    settings = container(request).settings
    ttl = timedelta(days=settings.token_ttl_days)
    try:
        with container(request).uow() as work:
            token = auth.login(
                work,
                command,
                ttl=ttl,
                policy=login_policy(settings),
                client_address=client_address(request),
            )
    except LoginThrottled as exc:
        page = _login_page(request, values=values, errors={"_form": [exc.message]}, status_code=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except Unauthenticated as exc:
        return _login_page(request, values=values, errors={"_form": [exc.message]}, status_code=401)
    response = redirect(safe_next(values["next"]))
    set_session_cookie(response, request, token.token, int(ttl.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/logout")
def logout_page(request: Request, actor: PageActor) -> Response:
    return render(request, "logout.html", {"title": "Log out"})


@router.post("/logout")
def logout_submit(request: Request, form: CheckedForm, actor: PageActor) -> Response:
    token = session_token(request)
    if token is not None:
        with container(request).uow() as work:
            auth.revoke_token(work, actor, token, client_address=client_address(request))
    response = redirect("/login", "logged-out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
