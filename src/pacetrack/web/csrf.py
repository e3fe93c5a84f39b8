"""The CSRF token of a cookie session, shared by the HTML forms and the JSON API.

The token is derived from the session token with HMAC: a page of another site can
neither read the HttpOnly session cookie nor compute the token, and no server-side
state is needed. Forms carry it in a hidden field; the page islands send it in the
``X-CSRF-Token`` header when they call the JSON API with the session cookie.
"""

from __future__ import annotations

import hashlib
import hmac

CSRF_HEADER = "X-CSRF-Token"
_CSRF_CONTEXT = b"pacetrack-ui-csrf-v1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_for(token: str) -> str:
    return hmac.new(token.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def same_secret(expected: str | None, given: object) -> bool:
    if not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected, given)
