"""The board of a pipeline instance (/pipelines/{id}) and its quick add.

The board reads the board read model (``services.views.board``); the filters come from the
page's query through the parser the list and the CSV export share; a new item goes through
the item service, into the column it was added in.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
from pacetrack.services.ids import as_uuid
from pacetrack.services.items import ItemCreate, create_item
from pacetrack.services.moves import MoveBlocked
from pacetrack.services.views.board import CARDS_PER_COLUMN, board
from pacetrack.web.deps import request_uow
from pacetrack.web.ui.errors import FieldErrors, from_invalid_input, from_validation_error
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.item_filters import filter_context, parse_filters, query_string, refused_query
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _board(
    request: Request,
    actor: Actor,
    instance_id: uuid.UUID,
    *,
    values: dict[str, str],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    try:
        filters = parse_filters(request.query_params)
    except InvalidInput as exc:
        return refused_query(request, exc)
    expanded = as_uuid(request.query_params.get("more"))
    with request_uow(request) as work:
        shown = board(work, actor, instance_id, filters, expanded=expanded)
    view = shown.view
    return render(
        request,
        "board.html",
        {
            "title": view.instance_name,
            "board": shown,
            "view": view,
            **filter_context(view, filters),
            "query_with": lambda **extra: query_string(filters, **extra),
            "per_column": CARDS_PER_COLUMN,
            "values": values,
            "errors": errors,
            "time_zone": view.time_zone,
            "currency": view.currency,
        },
        status_code=status_code,
    )


@router.get("/pipelines/{instance_id}")
def board_page(request: Request, instance_id: str, actor: PageActor) -> Response:
    return _board(request, actor, parse_id(instance_id, "pipeline"), values={}, errors={})


@router.post("/pipelines/{instance_id}/items")
def add_item(request: Request, instance_id: str, form: CheckedForm, actor: PageActor) -> Response:
    """The "New item" form (first step) and each column's quick add (that column's step)."""
    identifier = parse_id(instance_id, "pipeline")
    values = {"name": str(form.get("name", "")), "step_id": str(form.get("step_id", ""))}
    step_id = as_uuid(values["step_id"])
    try:
        command = ItemCreate(
            pipeline_instance_id=identifier, name=values["name"].strip(), step_id=step_id
        )
        with request_uow(request) as work:
            created = create_item(work, actor, command)
    except ValidationError as exc:
        errors = from_validation_error(exc)
    except InvalidInput as exc:
        errors = from_invalid_input(exc)
    except MoveBlocked as exc:
        errors = {"_form": [exc.message, *(v.message for v in exc.violations)]}
    else:
        if step_id is not None:
            return redirect(f"/pipelines/{identifier}#col-{step_id}", "created")
        return redirect(f"/items/{created.id}", "created")
    return _board(request, actor, identifier, values=values, errors=errors, status_code=422)
