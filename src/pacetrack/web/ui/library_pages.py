"""/admin/templates/library: the templates PaceTrack ships, previewed and copied into the
organisation as pipeline templates of its own (through the same service as
``POST /api/template-library/instantiate``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, InvalidInput
from pacetrack.services.studio import template_library
from pacetrack.services.studio.template_library import LibraryInstantiate
from pacetrack.web.deps import request_uow
from pacetrack.web.ui.errors import FieldErrors, from_invalid_input, from_validation_error
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FAMILY_WORDS = {
    "validations": ("rule", "rules"),
    "assignments": ("assignment", "assignments"),
    "notifications": ("notification", "notifications"),
    "automations": ("automation", "automations"),
    "calculations": ("calculation", "calculations"),
}


def _counts(rule_counts: dict[str, int]) -> str:
    """“2 rules, 1 notification”: what a step of the library template holds, in words."""
    parts = []
    for family, (one, many) in FAMILY_WORDS.items():
        count = rule_counts.get(family, 0)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts) or "nothing automatic"


@router.get("/admin/templates/library")
def library_page(request: Request, actor: PageActor) -> Response:
    actor.require_admin("create pipeline templates")
    return render(
        request,
        "admin_library.html",
        {"title": "Template library", "library": template_library.list_library(actor)},
    )


def _preview(
    request: Request,
    actor: Actor,
    key: str,
    *,
    values: dict[str, str],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    template = template_library.get_library_template(actor, key)
    labels = {field.name: field.label for field in template.fields}
    return render(
        request,
        "admin_library_template.html",
        {
            "title": f"{template.name} (library)",
            "template": template,
            "labels": labels,
            "counts": {step.name: _counts(step.rule_counts) for step in template.steps},
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
    )


@router.get("/admin/templates/library/{key}")
def library_template_page(request: Request, key: str, actor: PageActor) -> Response:
    actor.require_admin("create pipeline templates")
    return _preview(request, actor, key, values={}, errors={})


@router.post("/admin/templates/library/{key}")
def create_from_library(
    request: Request, key: str, form: CheckedForm, actor: PageActor
) -> Response:
    actor.require_admin("create pipeline templates")
    values = {"name": str(form.get("name", "")).strip()}
    try:
        command = LibraryInstantiate(key=key, name=values["name"] or None)
        with request_uow(request) as work:
            created = template_library.instantiate(work, actor, command)
    except ValidationError as exc:
        errors = from_validation_error(exc)
        status = 422
    except (Conflict, InvalidInput) as exc:
        errors = from_invalid_input(exc)
        status = 409 if isinstance(exc, Conflict) else 422
    else:
        return redirect(f"/admin/templates/{created.id}", "created")
    # A clash with the organisation's own fields is about the whole form, not its key.
    if "key" in errors:
        errors.setdefault("_form", []).extend(errors.pop("key"))
    return _preview(request, actor, key, values=values, errors=errors, status_code=status)
