"""What a refused form carries to the page it redirects to (post, redirect, get).

A refused save answers a redirect to the item's page, so the browser's address is a GET
that reloads safely; the refusal (the errors, and what the person typed, so nothing is lost)
rides along in a short-lived cookie for that one page. The cookie is signed with a key
derived from the session token, so it can neither be forged nor carried to another session,
and it is read once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from pacetrack.web.ui.security import CSRF_FIELD, session_token

FLASH_COOKIE = "pacetrack_flash"
FLASH_SECONDS = 300
# Browsers keep about 4 KiB a cookie; past that the typed values are left out, the errors kept.
MAX_COOKIE_BYTES = 3_800
_CONTEXT = b"pacetrack-ui-flash-v1"


@dataclass(frozen=True, kw_only=True)
class Flash:
    field_errors: dict[str, list[str]]
    alert: list[str]
    form: FormData | None


def _key(request: Request) -> bytes | None:
    token = session_token(request)
    return hmac.new(token.encode(), _CONTEXT, hashlib.sha256).digest() if token else None


def _sign(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def remember(
    response: Response,
    request: Request,
    *,
    path: str,
    field_errors: dict[str, list[str]],
    alert: list[str] | None = None,
    form: FormData | None = None,
) -> None:
    """Sets the refusal on ``response`` for the next GET of ``path``."""
    key = _key(request)
    if key is None:
        return
    document: dict[str, Any] = {"path": path, "errors": field_errors, "alert": alert or []}
    # Without a form the page shows the stored values; an empty form would blank them.
    typed = [
        (name, str(value))
        for name, value in (form.multi_items() if form is not None else ())
        if name != CSRF_FIELD
    ]
    for with_form in (True, False) if form is not None else (False,):
        if with_form:
            document["form"] = typed
        else:
            document.pop("form", None)
        body = base64.urlsafe_b64encode(json.dumps(document).encode())
        value = f"{body.decode()}.{_sign(key, body)}"
        if len(value) <= MAX_COOKIE_BYTES:
            break
    else:
        return
    response.set_cookie(
        FLASH_COOKIE,
        value,
        max_age=FLASH_SECONDS,
        path=path,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def take(request: Request, response_path: str) -> Flash | None:
    """The refusal remembered for this page, if any and genuine."""
    raw = request.cookies.get(FLASH_COOKIE)
    key = _key(request)
    if not raw or key is None or "." not in raw:
        return None
    body, _, signature = raw.rpartition(".")
    if not hmac.compare_digest(_sign(key, body.encode()), signature):
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(body.encode()))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or document.get("path") != response_path:
        return None
    typed = document.get("form")
    return Flash(
        field_errors={str(k): [str(m) for m in v] for k, v in dict(document["errors"]).items()},
        alert=[str(message) for message in document.get("alert", [])],
        form=FormData([(str(n), str(v)) for n, v in typed]) if isinstance(typed, list) else None,
    )


def forget(response: Response, path: str) -> None:
    """Read once: the next load of the page is a plain one."""
    response.delete_cookie(FLASH_COOKIE, path=path)
