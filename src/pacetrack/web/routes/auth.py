"""/api/auth/login and /api/auth/logout"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from pacetrack.bootstrap import Container
from pacetrack.services import auth
from pacetrack.services.auth import LoginRequest, TokenOut
from pacetrack.web.deps import CurrentActor, Work, _bearer, client_address, container, login_policy

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login")
def login(
    body: LoginRequest,
    request: Request,
    work: Work,
    app: Annotated[Container, Depends(container)],
) -> TokenOut:
    with work:
        return auth.login(
            work,
            body,
            ttl=timedelta(days=app.settings.token_ttl_days),
            policy=login_policy(app.settings),
            client_address=client_address(request),
        )


@router.post("/logout", status_code=204)
def logout(
    actor: CurrentActor,
    work: Work,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if credentials is not None:
        with work:
            auth.revoke_token(
                work, actor, credentials.credentials, client_address=client_address(request)
            )
