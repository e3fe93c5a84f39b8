"""/ : the pipeline instances of the tenant, and starting a new one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services import pipelines, templates
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
from pacetrack.services.pipelines import PipelineInstanceCreate
from pacetrack.web.deps import request_uow
from pacetrack.web.ui.errors import FieldErrors, from_invalid_input, from_validation_error
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _home(
    request: Request,
    actor: Actor,
    *,
    values: dict[str, Any],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    with request_uow(request) as work:
        instances = pipelines.list_instances(work, actor)
        template_list = templates.list_templates(work, actor)
    names = {template.id: template.name for template in template_list}
    return render(
        request,
        "pipelines.html",
        {
            "title": "Pipelines",
            "instances": instances,
            "template_names": names,
            "templates": template_list,
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/")
def home(request: Request, actor: PageActor) -> Response:
    return _home(request, actor, values={}, errors={})


@router.post("/pipelines")
def start_pipeline(request: Request, form: CheckedForm, actor: PageActor) -> Response:
    values = {key: str(form.get(key, "")) for key in ("name", "pipeline_template_id")}
    try:
        command = PipelineInstanceCreate.model_validate(
            {key: value for key, value in values.items() if value.strip()}
        )
        with request_uow(request) as work:
            created = pipelines.create_instance(work, actor, command)
    except ValidationError as exc:
        errors = from_validation_error(exc)
    except InvalidInput as exc:
        errors = from_invalid_input(exc)
    else:
        return redirect(f"/pipelines/{created.id}", "created")
    return _home(request, actor, values=values, errors=errors, status_code=422)
