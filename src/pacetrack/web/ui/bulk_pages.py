"""Bulk actions from the board and the list (POST /pipelines/{id}/bulk), then a GET result
page (/pipelines/{id}/bulk-result) listing what happened to each item.

Post, redirect, get: the outcomes ride to the result page once in the signed flash cookie
(``web/ui/flash.py``), so reloading it repeats nothing. A cookie holds about 4 KiB; when the
outcomes do not fit, the refused ones are kept first and the page says how many are left out.
"""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from pacetrack.services import pipelines
from pacetrack.services.errors import InvalidInput, PermissionDenied
from pacetrack.services.ids import as_uuid
from pacetrack.services.views.bulk import BulkResult, Outcome, assign_selected, move_selected
from pacetrack.services.vocabulary import counted
from pacetrack.web.deps import container, request_uow
from pacetrack.web.ui import flash
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# What the outcomes may take of the cookie, before base64 and the signature.
OUTCOME_BUDGET = 2_400
SEPARATOR = "\n"


def _result_path(instance_id: uuid.UUID) -> str:
    return f"/pipelines/{instance_id}/bulk-result"


def _back(form: FormData, instance_id: uuid.UUID) -> str:
    """Where the result page links back to: the board or list it came from, with its filters."""
    raw = str(form.get("back", ""))
    board = f"/pipelines/{instance_id}"
    if raw == board or raw.startswith((f"{board}?", f"{board}/list")):
        return raw
    return board


def _fitting(result: BulkResult) -> tuple[dict[str, list[str]], int]:
    """The outcomes that fit in the cookie (refused ones first) and how many do not."""
    ordered = sorted(result.outcomes, key=lambda outcome: outcome.done)
    kept: dict[str, list[str]] = {"refused": [], "done": []}
    for index, outcome in enumerate(ordered):
        key = "done" if outcome.done else "refused"
        kept[key].append(f"{outcome.name}{SEPARATOR}{outcome.words}")
        if len(json.dumps(kept)) > OUTCOME_BUDGET:
            kept[key].pop()
            return kept, len(ordered) - index
    return kept, 0


@router.post("/pipelines/{instance_id}/bulk")
def bulk_action(
    request: Request, instance_id: str, form: CheckedForm, actor: PageActor
) -> Response:
    identifier = parse_id(instance_id, "pipeline")
    back = _back(form, identifier)
    item_ids = [
        parsed for parsed in (as_uuid(str(raw)) for raw in form.getlist("item_id")) if parsed
    ]
    action = str(form.get("action", ""))
    built = container(request)
    try:
        if action == "move":
            step_id = as_uuid(str(form.get("step_id", "")))
            if step_id is None:
                raise InvalidInput.one("step_id", "choose a step of this pipeline")
            result = move_selected(built.uow, actor, identifier, item_ids=item_ids, step_id=step_id)
        elif action == "assign":
            account_id = as_uuid(str(form.get("account_id", "")))
            if account_id is None:
                raise InvalidInput.one("account_id", "choose a person of this organisation")
            result = assign_selected(
                built.uow, actor, identifier, item_ids=item_ids, account_id=account_id
            )
        else:
            raise InvalidInput.one("action", "choose to move or to assign the selected items")
    except PermissionDenied as exc:
        # A tenant without bulk actions (a feature flag): the sentence says so as it is.
        outcomes: dict[str, list[str]] = {}
        alert = [f"Nothing was changed. {exc.message}"]
    except (InvalidInput, ValidationError) as exc:
        message = (
            "; ".join(problem.message for problem in exc.problems)
            if isinstance(exc, InvalidInput)
            else "the selection cannot be read"
        )
        outcomes = {}
        alert = [f"Nothing was changed: {message}."]
    else:
        outcomes, left_out = _fitting(result)
        alert = [result.summary]
        if left_out:
            alert.append(f"{counted(left_out, 'more item')} not listed here.")
    response = redirect(_result_path(identifier))
    flash.remember(
        response,
        request,
        path=_result_path(identifier),
        field_errors=outcomes,
        alert=alert,
        form=FormData([("back", back)]),
    )
    return response


def _outcomes(lines: list[str], *, done: bool) -> list[Outcome]:
    parsed = []
    for line in lines:
        name, _, words = line.partition(SEPARATOR)
        parsed.append(Outcome(name=name, done=done, words=words))
    return parsed


@router.get("/pipelines/{instance_id}/bulk-result")
def bulk_result(request: Request, instance_id: str, actor: PageActor) -> Response:
    identifier = parse_id(instance_id, "pipeline")
    with request_uow(request) as work:
        instance = pipelines.get_instance(work, actor, identifier)
    path = _result_path(identifier)
    remembered = flash.take(request, path)
    back = f"/pipelines/{identifier}"
    context: dict[str, object] = {
        "title": "Bulk action result",
        "view_name": instance.name,
        "summary": "",
        "done": [],
        "refused": [],
        "left_out": "",
    }
    if remembered is not None:
        if remembered.form is not None:
            back = _back(remembered.form, identifier)
        context.update(
            summary=remembered.alert[0] if remembered.alert else "",
            left_out=" ".join(remembered.alert[1:]),
            done=_outcomes(remembered.field_errors.get("done", []), done=True),
            refused=_outcomes(remembered.field_errors.get("refused", []), done=False),
        )
    context["back"] = back
    response = render(request, "bulk_result.html", context)
    if remembered is not None:
        flash.forget(response, path)
    return response
