"""/admin/templates/<id>/versions: a template's draft, its published versions, their diff.

Admins and managers read the page; only admins see and may post its forms (publish the
draft with a note, roll back to an older version after ticking the confirmation). Every
post redirects (303) to the page's GET address: a success with a notice, a refusal with
its words carried once in the flash cookie, so a reload repeats nothing. The diff of two
chosen versions is a GET form: its ``from`` and ``to`` stay in the address.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from pacetrack.services import (
    pipelines,
    template_draft,
    template_rollback,
    template_versions,
    templates,
)
from pacetrack.services.errors import Conflict, InvalidInput, ServiceError
from pacetrack.services.pipelines import PipelineInstanceOut
from pacetrack.services.template_versions import PublishVersion, RollbackVersion, VersionOut
from pacetrack.web.deps import request_uow
from pacetrack.web.ui import flash
from pacetrack.web.ui.errors import FieldErrors, from_validation_error
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CONFIRM = "yes"


def versions_path(template_id: uuid.UUID) -> str:
    return f"/admin/templates/{template_id}/versions"


@dataclass(frozen=True, kw_only=True)
class VersionRow:
    version: VersionOut
    latest: bool
    running: list[PipelineInstanceOut]


def _rows(versions: list[VersionOut], instances: list[PipelineInstanceOut]) -> list[VersionRow]:
    by_version: defaultdict[int | None, list[PipelineInstanceOut]] = defaultdict(list)
    for instance in instances:
        if instance.status == "active":
            by_version[instance.template_version].append(instance)
    latest = versions[0].number if versions else None
    return [
        VersionRow(
            version=version,
            latest=version.number == latest,
            running=by_version.get(version.number, []),
        )
        for version in versions
    ]


def _chosen(request: Request, numbers: list[int], errors: FieldErrors) -> tuple[int, int] | None:
    """The two versions to compare from the address, when both are given and exist."""
    query = request.query_params
    if "from" not in query and "to" not in query:
        return None
    chosen: list[int] = []
    for name in ("from", "to"):
        raw = query.get(name, "")
        if not raw.isdigit() or int(raw) not in numbers:
            errors[name] = ["choose a version from the list"]
        else:
            chosen.append(int(raw))
    return (chosen[0], chosen[1]) if len(chosen) == 2 else None


@router.get("/admin/templates/{template_id}/versions")
def versions_page(request: Request, template_id: str, actor: PageActor) -> Response:
    actor.require_manager("read template versions")
    identifier = parse_id(template_id, "template")
    path = versions_path(identifier)
    remembered = flash.take(request, path)
    errors: FieldErrors = {}
    with request_uow(request) as work:
        name = templates.get_template(work, actor, identifier).name
        versions = template_versions.list_versions(work, actor, identifier)
        draft = template_draft.draft_changes(work, actor, identifier)
        instances = pipelines.list_instances(work, actor, template_id=identifier)
        numbers = [version.number for version in versions]
        chosen = _chosen(request, numbers, errors)
        diff = (
            template_versions.diff_versions(
                work, actor, identifier, before=chosen[0], after=chosen[1]
            )
            if chosen is not None
            else None
        )
    query = request.query_params
    selected = {
        "from": query.get("from") or (str(numbers[1]) if len(numbers) > 1 else ""),
        "to": query.get("to") or (str(numbers[0]) if numbers else ""),
    }
    typed: FormData | None = remembered.form if remembered else None
    context: dict[str, Any] = {
        "title": f"{name}: versions",
        "template_id": identifier,
        "template_name": name,
        "draft": draft,
        "rows": _rows(versions, instances),
        "latest_number": numbers[0] if numbers else None,
        "behind": sum(
            1
            for instance in instances
            if instance.status == "active" and numbers and instance.template_version != numbers[0]
        ),
        "diff": diff,
        "selected": selected,
        "errors": errors,
        "form_errors": remembered.field_errors if remembered else {},
        "alert": remembered.alert if remembered else [],
        "typed": {key: str(value) for key, value in typed.items()} if typed else {},
    }
    response = render(
        request, "admin_template_versions.html", context, status_code=422 if errors else 200
    )
    if remembered is not None:
        flash.forget(response, path)
    return response


def _refused(
    request: Request,
    template_id: uuid.UUID,
    form: FormData,
    *,
    anchor: str,
    field_errors: FieldErrors | None = None,
    alert: list[str] | None = None,
) -> Response:
    path = versions_path(template_id)
    response = redirect(f"{path}#{anchor}")
    flash.remember(
        response, request, path=path, field_errors=field_errors or {}, alert=alert, form=form
    )
    return response


def _prefixed(errors: FieldErrors, prefix: str) -> FieldErrors:
    """A form's errors under its own keys, so two forms of the page never share one."""
    return {f"{prefix}.{key}": messages for key, messages in errors.items()}


def sentences(exc: ServiceError) -> list[str]:
    """A refusal's messages as sentences for the page's alert."""
    messages = [problem.message for problem in exc.problems] or [exc.message]
    return [
        message[:1].upper() + message[1:] + ("" if message.endswith((".", "!", "?")) else ".")
        for message in messages
    ]


@router.post("/admin/templates/{template_id}/versions/publish")
def publish(request: Request, template_id: str, form: CheckedForm, actor: PageActor) -> Response:
    actor.require_admin("publish pipeline templates")
    identifier = parse_id(template_id, "template")
    try:
        command = PublishVersion.model_validate({"id": identifier, "note": form.get("note", "")})
        with request_uow(request) as work:
            template_versions.publish(work, actor, command)
    except ValidationError as exc:
        errors = _prefixed(from_validation_error(exc), "publish")
        return _refused(request, identifier, form, anchor="publish-heading", field_errors=errors)
    except (Conflict, InvalidInput) as exc:
        return _refused(request, identifier, form, anchor="publish-heading", alert=sentences(exc))
    return redirect(versions_path(identifier), "published")


@router.post("/admin/templates/{template_id}/versions/{number}/rollback")
def rollback(
    request: Request, template_id: str, number: int, form: CheckedForm, actor: PageActor
) -> Response:
    actor.require_admin("roll back pipeline templates")
    identifier = parse_id(template_id, "template")
    prefix = f"rollback-{number}"
    if form.get("confirm") != CONFIRM:
        errors = {f"{prefix}.confirm": ["tick the box to confirm the rollback"]}
        return _refused(request, identifier, form, anchor=f"version-{number}", field_errors=errors)
    try:
        command = RollbackVersion.model_validate(
            {"id": identifier, "version": number, "note": form.get("note", "")}
        )
        with request_uow(request) as work:
            template_rollback.rollback(work, actor, command)
    except ValidationError as exc:
        errors = _prefixed(from_validation_error(exc), prefix)
        return _refused(request, identifier, form, anchor=f"version-{number}", field_errors=errors)
    except (Conflict, InvalidInput) as exc:
        return _refused(request, identifier, form, anchor=f"version-{number}", alert=sentences(exc))
    return redirect(versions_path(identifier), "rolled-back")
