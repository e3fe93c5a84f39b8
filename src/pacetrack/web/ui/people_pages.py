"""The item page's People card: change the owner, add and remove assignees.

Each form posts to the same assignment and ownership services as the JSON API
(``/api/item/assign``, ``/api/item/change-owner``), then redirects to the item's
page (post, redirect, get); a refusal rides along once in the flash cookie and
shows in words above the card.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services import assignments, ownership
from pacetrack.services.assignments import AssignItem
from pacetrack.services.errors import ServiceError, StaleItem
from pacetrack.services.ownership import ChangeOwner
from pacetrack.web.deps import request_uow
from pacetrack.web.ui import flash
from pacetrack.web.ui.errors import STALE_ITEM_WORDS
from pacetrack.web.ui.ids import expected_version, parse_id
from pacetrack.web.ui.rendering import PageRoute, redirect
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PEOPLE_ANCHOR = "#people-heading"


def _refused(request: Request, item_id: uuid.UUID, messages: list[str]) -> Response:
    path = f"/items/{item_id}"
    response = redirect(path + PEOPLE_ANCHOR)
    flash.remember(response, request, path=path, field_errors={}, alert=messages)
    return response


def _words(exc: ServiceError | ValidationError) -> list[str]:
    """The refusal in sentences: the service's reason, then what it says of each person."""
    if isinstance(exc, ValidationError):
        return ["Choose someone from the list."]
    if isinstance(exc, StaleItem):
        return [STALE_ITEM_WORDS]
    details = [problem.message[:1].upper() + problem.message[1:] + "." for problem in exc.problems]
    return [exc.message, *details]


@router.post("/items/{item_id}/owner")
def change_owner(request: Request, item_id: str, form: CheckedForm, actor: PageActor) -> Response:
    identifier = parse_id(item_id, "item")
    try:
        command = ChangeOwner.model_validate(
            {
                "id": identifier,
                "owner_account_id": str(form.get("owner_account_id", "")),
                "expected_version": expected_version(form),
            }
        )
        with request_uow(request) as work:
            ownership.change_owner(work, actor, command)
    except (ServiceError, ValidationError) as exc:
        return _refused(request, identifier, _words(exc))
    return redirect(f"/items/{identifier}{PEOPLE_ANCHOR}", "saved")


@router.post("/items/{item_id}/assignees")
def change_assignees(
    request: Request, item_id: str, form: CheckedForm, actor: PageActor
) -> Response:
    identifier = parse_id(item_id, "item")
    mode = "remove" if form.get("mode") == "remove" else "add"
    try:
        command = AssignItem.model_validate(
            {
                "id": identifier,
                "mode": mode,
                "account_ids": [str(form.get("account_id", ""))],
                "expected_version": expected_version(form),
            }
        )
        with request_uow(request) as work:
            assignments.assign_item(work, actor, command)
    except (ServiceError, ValidationError) as exc:
        return _refused(request, identifier, _words(exc))
    return redirect(f"/items/{identifier}{PEOPLE_ANCHOR}", "saved")
