"""/admin/fields: the tenant's field definitions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from pacetrack.services import fields
from pacetrack.services.context import Actor
from pacetrack.services.errors import InvalidInput
from pacetrack.services.fields import FieldDefinitionCreate
from pacetrack.services.vocabulary import FieldType
from pacetrack.web.deps import request_uow
from pacetrack.web.ui.errors import FieldErrors, from_invalid_input, from_validation_error
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELD_TYPE_LABELS = {
    FieldType.TEXT: "Text",
    FieldType.LONG_TEXT: "Long text",
    FieldType.NUMBER: "Number",
    FieldType.CURRENCY: "Currency",
    FieldType.PERCENTAGE: "Percentage",
    FieldType.DATE: "Date",
    FieldType.DATETIME: "Date and time",
    FieldType.BOOLEAN: "Yes / no",
    FieldType.DROPDOWN: "Dropdown",
    FieldType.MULTISELECT: "Multi-select",
    FieldType.EMAIL: "Email",
    FieldType.URL: "URL",
    FieldType.USER: "User",
    FieldType.OBJECT: "Object (JSON)",
}
_TEXT_INPUTS = ("name", "label", "field_type", "description", "options", "pattern")
_NUMBER_INPUTS = ("min_value", "max_value", "precision")


def _fields_page(
    request: Request,
    actor: Actor,
    *,
    values: dict[str, Any],
    errors: FieldErrors,
    status_code: int = 200,
) -> Response:
    with request_uow(request) as work:
        defined = fields.list_fields(work, actor)
    return render(
        request,
        "admin_fields.html",
        {
            "title": "Fields",
            "fields": defined,
            "field_types": FIELD_TYPE_LABELS,
            "values": values,
            "errors": errors,
        },
        status_code=status_code,
    )


def _create_command(form: FormData) -> dict[str, Any]:
    """The create command's properties as typed in; blanks are left out."""
    data: dict[str, Any] = {}
    for key in (*_TEXT_INPUTS, *_NUMBER_INPUTS):
        raw = str(form.get(key, "")).strip()
        if raw:
            data[key] = raw
    if "options" in data:
        data["options"] = [line.strip() for line in data["options"].splitlines() if line.strip()]
    data["is_required"] = form.get("is_required") == "on"
    return data


@router.get("/admin/fields")
def fields_page(request: Request, actor: PageActor) -> Response:
    actor.require_admin("define fields")
    return _fields_page(request, actor, values={"field_type": "text"}, errors={})


@router.post("/admin/fields")
def create_field(request: Request, form: CheckedForm, actor: PageActor) -> Response:
    values: dict[str, Any] = {
        key: str(form.get(key, "")) for key in (*_TEXT_INPUTS, *_NUMBER_INPUTS)
    }
    values["is_required"] = form.get("is_required") == "on"
    try:
        command = FieldDefinitionCreate.model_validate(_create_command(form))
    except ValidationError as exc:
        return _fields_page(
            request, actor, values=values, errors=from_validation_error(exc), status_code=422
        )
    try:
        with request_uow(request) as work:
            fields.create_field(work, actor, command)
    except InvalidInput as exc:
        return _fields_page(
            request, actor, values=values, errors=from_invalid_input(exc), status_code=422
        )
    return redirect("/admin/fields", "created")
