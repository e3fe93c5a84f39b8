"""The item page's lifecycle buttons: reopen a completed item into a step, archive and
unarchive it, delete it (admins).

Each posts to the lifecycle service and redirects (post, redirect, get); a refusal comes
back once on the item's page as an alert, so reloading it changes nothing.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services import items, lifecycle
from pacetrack.services.errors import Conflict, InvalidInput
from pacetrack.services.lifecycle import ItemLifecycleChange, ReopenItem
from pacetrack.services.moves import MoveBlocked
from pacetrack.web.deps import request_uow
from pacetrack.web.ui import flash
from pacetrack.web.ui.errors import conflict_words
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.rendering import PageRoute, redirect
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _version(form: CheckedForm) -> int | None:
    raw = str(form.get("expected_version", ""))
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None


def _refused(request: Request, item_id: uuid.UUID, messages: list[str]) -> Response:
    path = f"/items/{item_id}"
    response = redirect(path)
    flash.remember(response, request, path=path, field_errors={}, alert=messages)
    return response


def _reasons(exc: MoveBlocked | Conflict | InvalidInput | ValidationError) -> list[str]:
    if isinstance(exc, MoveBlocked):
        return [exc.message, *(violation.message for violation in exc.violations)]
    if isinstance(exc, ValidationError):
        return ["Choose the step to reopen the item into."]
    if isinstance(exc, InvalidInput):
        return ["Choose a step of the item's pipeline to reopen it into."]
    return [conflict_words(exc)]


@router.post("/items/{item_id}/reopen")
def reopen(request: Request, item_id: str, form: CheckedForm, actor: PageActor) -> Response:
    identifier = parse_id(item_id, "item")
    try:
        command = ReopenItem.model_validate(
            {
                "id": identifier,
                "step_id": str(form.get("step_id", "")),
                "expected_version": _version(form),
            }
        )
        with request_uow(request) as work:
            lifecycle.reopen_item(work, actor, command)
    except (MoveBlocked, Conflict, InvalidInput, ValidationError) as exc:
        return _refused(request, identifier, _reasons(exc))
    return redirect(f"/items/{identifier}", "reopened")


def _change(
    request: Request, item_id: str, form: CheckedForm, actor: PageActor, action: str
) -> Response:
    identifier = parse_id(item_id, "item")
    command = ItemLifecycleChange(id=identifier, expected_version=_version(form))
    try:
        with request_uow(request) as work:
            if action == "archive":
                lifecycle.archive_item(work, actor, command)
            else:
                lifecycle.unarchive_item(work, actor, command)
    except Conflict as exc:
        return _refused(request, identifier, [conflict_words(exc)])
    return redirect(f"/items/{identifier}", f"{action}d")


@router.post("/items/{item_id}/archive")
def archive(request: Request, item_id: str, form: CheckedForm, actor: PageActor) -> Response:
    return _change(request, item_id, form, actor, "archive")


@router.post("/items/{item_id}/unarchive")
def unarchive(request: Request, item_id: str, form: CheckedForm, actor: PageActor) -> Response:
    return _change(request, item_id, form, actor, "unarchive")


@router.post("/items/{item_id}/delete")
def delete(request: Request, item_id: str, form: CheckedForm, actor: PageActor) -> Response:
    identifier = parse_id(item_id, "item")
    with request_uow(request) as work:
        instance_id = items.get_item(work, actor, identifier).item.pipeline_instance_id
    try:
        with request_uow(request) as work:
            lifecycle.delete_item(
                work, actor, ItemLifecycleChange(id=identifier, expected_version=_version(form))
            )
    except Conflict as exc:
        return _refused(request, identifier, [conflict_words(exc)])
    return redirect(f"/pipelines/{instance_id}", "deleted")
