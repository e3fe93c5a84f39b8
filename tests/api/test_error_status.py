"""Each kind of service error is answered with its HTTP status, chosen by the web layer."""

from __future__ import annotations

import pytest

from pacetrack.services.errors import (
    Conflict,
    FieldProblem,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceError,
    StaleItem,
    Unauthenticated,
)
from pacetrack.services.item_status import ItemNotOpen
from pacetrack.services.login_throttle import LoginThrottled
from pacetrack.services.moves import MoveBlocked
from pacetrack.web.error_status import status_of


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ServiceError("No."), 400),
        (InvalidInput([FieldProblem(field="name", message="is empty")]), 422),
        (MoveBlocked([]), 422),
        (NotFound("No such item."), 404),
        (Unauthenticated(), 401),
        (PermissionDenied(), 403),
        (Conflict(), 409),
        (StaleItem(current=3, sent=2), 409),
        (ItemNotOpen("The item is archived."), 409),
        (LoginThrottled(retry_after=30), 429),
    ],
)
def test_each_kind_of_error_has_its_status(error: ServiceError, status: int) -> None:
    assert status_of(error) == status


def test_service_errors_carry_no_http_status() -> None:
    kinds = [ServiceError, *_subclasses(ServiceError)]
    assert [kind.__name__ for kind in kinds if "status" in vars(kind)] == []


def _subclasses(kind: type[ServiceError]) -> list[type[ServiceError]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found
