"""The HTTP status that answers each kind of service error.

Services say what went wrong (``services.errors``); which status a client sees is the
web layer's choice, made here for both the JSON API and the pages.
"""

from __future__ import annotations

from pacetrack.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Refused,
    ServiceError,
    Unauthenticated,
)
from pacetrack.services.login_throttle import LoginThrottled

_STATUS_OF_KIND: dict[type[ServiceError], int] = {
    InvalidInput: 422,
    Refused: 422,
    NotFound: 404,
    Unauthenticated: 401,
    PermissionDenied: 403,
    Conflict: 409,
    LoginThrottled: 429,
}


def status_of(error: ServiceError) -> int:
    """The status of the error's nearest kind with one (a ``StaleItem`` is a ``Conflict``);
    400 for any other refusal."""
    for kind in type(error).__mro__:
        status = _STATUS_OF_KIND.get(kind)
        if status is not None:
            return status
    return 400
