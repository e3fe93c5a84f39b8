"""/admin/templates: pipeline templates, their steps and each step's seven config families.

``/admin/templates/<id>`` is the step configuration studio: a server-rendered shell
around a script island (frontend/studio, built into static/dist) that edits the
template through the public JSON API. ``/admin/templates/<id>/json`` is the plain
page that works without scripts: each family is edited as JSON in its own form;
saving goes through the template service's ``update_family``, so every save-time
check applies, and its problems come back next to the family with their JSON paths.
``/admin/pipelines/<id>/studio`` is the same island on a running pipeline, where it edits
each step's ``config_overrides`` of the template.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services import notifications, pipelines, templates
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
from pacetrack.services.templates import PipelineTemplateCreate, StepTemplateCreate
from pacetrack.services.vocabulary import CONFIG_FAMILIES
from pacetrack.web.deps import request_uow
from pacetrack.web.ui.errors import FieldErrors, from_invalid_input, from_validation_error
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.rendering import STATIC_DIR, PageRoute, not_found, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor
from pacetrack.web.ui.step_icons import icons_json

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STUDIO_SCRIPT = STATIC_DIR / "dist" / "studio.js"

FAMILY_LABELS = {
    "field_configs": "Field configuration",
    "validations": "Validations",
    "assignments": "Assignments",
    "notifications": "Notifications",
    "automations": "Automations",
    "calculations": "Calculations",
    "metadata": "Metadata",
}


def _list_page(
    request: Request,
    actor: Actor,
    *,
    values: dict[str, str],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    with request_uow(request) as work:
        listed = templates.list_templates(work, actor)
    return render(
        request,
        "admin_templates.html",
        {"title": "Templates", "templates": listed, "values": values, "errors": errors},
        status_code=status_code,
    )


@router.get("/admin/templates")
def templates_page(request: Request, actor: PageActor) -> Response:
    actor.require_admin("change pipeline templates")
    return _list_page(request, actor, values={}, errors={})


@router.post("/admin/templates")
def create_template(request: Request, form: CheckedForm, actor: PageActor) -> Response:
    values = {key: str(form.get(key, "")) for key in ("name", "description")}
    try:
        command = PipelineTemplateCreate.model_validate(values)
        with request_uow(request) as work:
            created = templates.create_template(work, actor, command)
    except ValidationError as exc:
        errors = from_validation_error(exc)
    except InvalidInput as exc:
        errors = from_invalid_input(exc)
    else:
        return redirect(f"/admin/templates/{created.id}", "created")
    return _list_page(request, actor, values=values, errors=errors, status_code=422)


def _editor_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _template_page(
    request: Request,
    actor: Actor,
    template_id: uuid.UUID,
    *,
    edited: tuple[uuid.UUID, str, str] | None = None,
    problems: list[tuple[str, str]] | None = None,
    step_values: dict[str, str] | None = None,
    step_errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Response:
    """The template page; ``edited`` is (step id, family, submitted text) of a refused save."""
    with request_uow(request) as work:
        template = templates.get_template(work, actor, template_id)
    steps = []
    for step in template.steps or []:
        families = []
        for family in CONFIG_FAMILIES:
            mine = edited is not None and edited[0] == step.id and edited[1] == family
            text = edited[2] if mine and edited else _editor_text(getattr(step, family))
            families.append(
                {
                    "name": family,
                    "label": FAMILY_LABELS[family],
                    "text": text,
                    "rows": min(20, max(4, text.count("\n") + 2)),
                    "problems": problems if mine and problems else [],
                }
            )
        steps.append({"step": step, "families": families})
    return render(
        request,
        "admin_template.html",
        {
            "title": template.name,
            "template": template,
            "steps": steps,
            "values": step_values or {},
            "errors": step_errors or {},
        },
        status_code=status_code,
    )


def _studio(
    request: Request,
    *,
    title: str,
    template: templates.PipelineTemplateOut,
    instance: pipelines.PipelineInstanceOut | None,
) -> Response:
    """The studio island on a template, or on ``instance``'s overrides of it."""
    return render(
        request,
        "admin_studio.html",
        {
            "title": title,
            "template": template,
            "instance": instance,
            # Without the built assets (``npm ci && npm run build`` not run) the page
            # says so instead of showing an island that never loads.
            "studio_built": STUDIO_SCRIPT.is_file(),
            "step_icons": icons_json(),
            "message_templates": json.dumps(sorted(notifications.BUILT_IN_TEMPLATES)),
        },
    )


@router.get("/admin/templates/{template_id}")
def studio_page(request: Request, template_id: str, actor: PageActor) -> Response:
    actor.require_admin("change pipeline templates")
    identifier = parse_id(template_id, "template")
    with request_uow(request) as work:
        template = templates.get_template(work, actor, identifier)
    return _studio(request, title=template.name, template=template, instance=None)


@router.get("/admin/pipelines/{instance_id}/studio")
def override_studio_page(request: Request, instance_id: str, actor: PageActor) -> Response:
    """The studio on a running pipeline: its steps' overrides of the template."""
    actor.require_admin("change a pipeline's step configuration")
    identifier = parse_id(instance_id, "pipeline")
    with request_uow(request) as work:
        instance = pipelines.get_instance(work, actor, identifier)
        template = templates.get_template(work, actor, instance.pipeline_template_id)
    title = f"{instance.name}: step configuration"
    return _studio(request, title=title, template=template, instance=instance)


@router.get("/admin/templates/{template_id}/json")
def template_page(request: Request, template_id: str, actor: PageActor) -> Response:
    actor.require_admin("change pipeline templates")
    return _template_page(request, actor, parse_id(template_id, "template"))


@router.post("/admin/templates/{template_id}/steps")
def add_step(request: Request, template_id: str, form: CheckedForm, actor: PageActor) -> Response:
    identifier = parse_id(template_id, "template")
    values = {key: str(form.get(key, "")) for key in ("name", "target_duration_days")}
    data: dict[str, Any] = {"pipeline_template_id": identifier, "name": values["name"]}
    if values["target_duration_days"].strip():
        data["target_duration_days"] = values["target_duration_days"].strip()
    try:
        command = StepTemplateCreate.model_validate(data)
        with request_uow(request) as work:
            templates.create_step(work, actor, command)
    except ValidationError as exc:
        errors = from_validation_error(exc)
    except InvalidInput as exc:
        errors = from_invalid_input(exc)
    else:
        return redirect(f"/admin/templates/{identifier}/json", "created")
    return _template_page(
        request, actor, identifier, step_values=values, step_errors=errors, status_code=422
    )


@router.post("/admin/templates/{template_id}/steps/{step_id}/{family}")
def save_family(
    request: Request,
    template_id: str,
    step_id: str,
    family: str,
    form: CheckedForm,
    actor: PageActor,
) -> Response:
    template_key = parse_id(template_id, "template")
    step_key = parse_id(step_id, "step")
    if family not in CONFIG_FAMILIES:
        return not_found(request, "configuration family")
    with request_uow(request) as work:
        if templates.get_step(work, actor, step_key).pipeline_template_id != template_key:
            return not_found(request, "step")
    text = str(form.get("config", ""))
    problems: list[tuple[str, str]]
    try:
        raw = json.loads(text or "null")
    except json.JSONDecodeError as exc:
        problems = [(family, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")]
    else:
        try:
            with request_uow(request) as work:
                templates.update_family(work, actor, step_key, family=family, raw=raw)
        except InvalidInput as exc:
            problems = [(problem.field, problem.message) for problem in exc.problems] or [
                (family, exc.message)
            ]
        else:
            return redirect(f"/admin/templates/{template_key}/json#step-{step_key}", "saved")
    return _template_page(
        request,
        actor,
        template_key,
        edited=(step_key, family, text),
        problems=problems,
        status_code=422,
    )
