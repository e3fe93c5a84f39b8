"""The item page (/items/{id}) and the approvals inbox (/approvals).

Every change goes through the item, move and approval services, so the same
rules apply as through the JSON API; refused input comes back next to the
fields it concerns.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from pacetrack.services import activity_feed, approvals, fields, items, moves, pipelines
from pacetrack.services.approvals import ApproveRequest, RejectRequest, RequestApproval
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, InvalidInput, NotFound
from pacetrack.services.ids import as_uuid
from pacetrack.services.item_status import ACTIVE, COMPLETED
from pacetrack.services.items import ItemFieldsUpdate
from pacetrack.services.moves import MoveBlocked, MoveItem, ValidationStatusOut
from pacetrack.services.people import accounts
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.web.deps import request_uow
from pacetrack.web.ui import flash
from pacetrack.web.ui.errors import (
    FieldErrors,
    conflict_words,
    from_invalid_input,
    from_validation_error,
)
from pacetrack.web.ui.field_inputs import build_inputs, changed_values
from pacetrack.web.ui.ids import expected_version, parse_id
from pacetrack.web.ui.move_choices import move_choices, readiness
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIELD_VALUES_PREFIX = "field_values."


def _names(work: UnitOfWork, actor: Actor) -> dict[str, str]:
    return {
        str(account.id): account.display_name or account.username
        for account in accounts.list_accounts(work, actor)
    }


# --- item page -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """What to show after a refused save or move."""

    field_errors: FieldErrors
    form: FormData | None = None
    alert: list[str] | None = None
    move_summary: str | None = None
    move_messages: tuple[str, ...] = ()
    move_target: str = ""


NO_REFUSAL = Refusal(field_errors={})


def _refused_move(status: ValidationStatusOut) -> Refusal:
    """The refusal a move to ``status``'s target meets, from the checklist the move decides
    by: shown after the refused move's redirect, so reloading the page is safe."""
    unmet = [requirement for requirement in status.requirements if not requirement.met]
    if not unmet or status.target_step_id is None:
        return NO_REFUSAL
    field_errors: defaultdict[str, list[str]] = defaultdict(list)
    for requirement in unmet:
        if requirement.field_id:
            field_errors[requirement.field_id].append(requirement.message)
    return Refusal(
        field_errors=dict(field_errors),
        move_summary=f"The item cannot move to {status.target_step_name}: "
        f"{len(unmet)} requirement{'' if len(unmet) == 1 else 's'} not met.",
        move_messages=tuple(requirement.message for requirement in unmet),
        move_target=str(status.target_step_id),
    )


@dataclass(frozen=True, kw_only=True)
class StepLook:
    """How the item's current step is shown: the colour and icon of the version it runs."""

    color: str | None
    icon: str | None


def _step_look(
    work: UnitOfWork, actor: Actor, instance: pipelines.PipelineInstanceOut, step_id: uuid.UUID
) -> StepLook:
    for step in instance.steps or []:
        if step.id == step_id:
            return StepLook(color=step.color, icon=step.icon)
    return StepLook(color=None, icon=None)


def _item_page(
    request: Request,
    actor: Actor,
    item_id: uuid.UUID,
    refusal: Refusal = NO_REFUSAL,
    *,
    status_code: int = 200,
) -> Response:
    with request_uow(request) as work:
        detail = items.get_item(work, actor, item_id)
        item = detail.item
        instance = pipelines.get_instance(work, actor, item.pipeline_instance_id)
        definitions = {field.name: field for field in fields.list_fields(work, actor)}
        names = _names(work, actor)
        # A completed or archived item does not move (its page offers to reopen it instead).
        targets = detail.allowed_next_steps if item.status == ACTIVE else []
        choices = move_choices(targets, current=detail.step)
        status = (
            moves.validation_status(
                work,
                actor,
                item.id,
                target_step_id=choices.primary.id if choices.primary else None,
            )
            if detail.step is not None
            else None
        )
        look = _step_look(work, actor, instance, detail.step.id) if detail.step else None
        refused_to = as_uuid(request.query_params.get("refused_move"))
        if refusal is NO_REFUSAL and refused_to is not None and detail.step is not None:
            try:
                refusal = _refused_move(
                    moves.validation_status(work, actor, item.id, target_step_id=refused_to)
                )
            except NotFound:
                refusal = NO_REFUSAL
        history = items.item_history(work, actor, item.id)
        activity = activity_feed.item_timeline(work, actor, item.id)
        pending = [a for a in approvals.list_pending(work, actor) if a.item_id == item.id]
        approver = approvals.is_approver(work, actor, item.id)
    inputs = build_inputs(
        definitions,
        visible=detail.field_view.visible,
        required=detail.field_view.required,
        values=item.field_values,
        errors=refusal.field_errors,
        form=refusal.form,
        calculated={calc.field_id: calc for calc in detail.calculated_fields},
    )
    # A calculated field the step does not show can still fail: say so in the Details card.
    hidden_calculations = [
        f"{definitions[calc.field_id].label if calc.field_id in definitions else calc.field_id} "
        f"could not be calculated: {calc.error}"
        for calc in detail.calculated_fields
        if calc.error and calc.field_id not in detail.field_view.visible
    ]
    hidden_problems = [
        message
        for name, messages in refusal.field_errors.items()
        if name not in detail.field_view.visible
        for message in messages
    ]
    approval_needed = (
        not approver
        and status is not None
        and any(
            not requirement.met and requirement.rule_id == approvals.APPROVAL_REQUIRED
            for requirement in status.requirements
        )
    )
    return render(
        request,
        "item.html",
        {
            "title": item.name,
            "item": item,
            "step": detail.step,
            "step_look": look,
            "instance": instance,
            "inputs": inputs,
            "choices": choices,
            "readiness": readiness(status),
            "chosen_target": refusal.move_target,
            "status": status,
            "history": history,
            "activity": activity,
            "pending": pending,
            "approval_needed": approval_needed,
            "names": names,
            "refusal": refusal,
            "other_problems": hidden_problems,
            "hidden_calculations": hidden_calculations,
            "time_zone": detail.time_zone,
            "reopen_steps": (instance.steps or []) if item.status == COMPLETED else [],
        },
        status_code=status_code,
    )


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: str, actor: PageActor) -> Response:
    identifier = parse_id(item_id, "item")
    path = f"/items/{identifier}"
    remembered = flash.take(request, path)
    if remembered is None:
        return _item_page(request, actor, identifier)
    refusal = Refusal(
        field_errors=remembered.field_errors,
        form=remembered.form,
        alert=remembered.alert or None,
    )
    response = _item_page(request, actor, identifier, refusal)
    flash.forget(response, path)
    return response


def _refused_save(request: Request, item_id: uuid.UUID, refusal: Refusal) -> Response:
    """Post, redirect, get: the item's page shows the refusal once, with what was typed."""
    path = f"/items/{item_id}"
    response = redirect(f"{path}#fields-heading")
    flash.remember(
        response,
        request,
        path=path,
        field_errors=refusal.field_errors,
        alert=refusal.alert,
        form=refusal.form,
    )
    return response


def _by_field(errors: FieldErrors) -> FieldErrors:
    """Service problems name ``field_values.<name>``; the form knows fields by name."""
    return {key.removeprefix(FIELD_VALUES_PREFIX): messages for key, messages in errors.items()}


@router.post("/items/{item_id}/fields")
def save_fields(request: Request, item_id: str, form: CheckedForm, actor: PageActor) -> Response:
    identifier = parse_id(item_id, "item")
    with request_uow(request) as work:
        detail = items.get_item(work, actor, identifier)
        definitions = {field.name: field for field in fields.list_fields(work, actor)}
    calculated = {calc.field_id for calc in detail.calculated_fields}
    changes, unreadable = changed_values(
        definitions,
        visible=[name for name in detail.field_view.visible if name not in calculated],
        values=detail.item.field_values,
        form=form,
    )
    if unreadable:
        return _refused_save(request, identifier, Refusal(field_errors=unreadable, form=form))
    if not changes:
        return redirect(f"/items/{identifier}", "saved")
    try:
        command = ItemFieldsUpdate(
            id=identifier, field_values=changes, expected_version=expected_version(form)
        )
        with request_uow(request) as work:
            items.update_fields(work, actor, command)
    except InvalidInput as exc:
        refusal = Refusal(field_errors=_by_field(from_invalid_input(exc)), form=form)
    except ValidationError as exc:
        refusal = Refusal(field_errors=_by_field(from_validation_error(exc)), form=form)
    except Conflict as exc:
        refusal = Refusal(field_errors={}, form=form, alert=[conflict_words(exc)])
    else:
        return redirect(f"/items/{identifier}", "saved")
    return _refused_save(request, identifier, refusal)


def _refused_move_alert(request: Request, item_id: uuid.UUID, alert: list[str]) -> Response:
    """Post, redirect, get for a move refused before any rule was checked."""
    path = f"/items/{item_id}"
    response = redirect(path)
    flash.remember(response, request, path=path, field_errors={}, alert=alert)
    return response


@router.post("/items/{item_id}/move")
def move(request: Request, item_id: str, form: CheckedForm, actor: PageActor) -> Response:
    identifier = parse_id(item_id, "item")
    target = str(form.get("step_id", ""))
    try:
        command = MoveItem.model_validate(
            {"id": identifier, "step_id": target, "expected_version": expected_version(form)}
        )
        with request_uow(request) as work:
            moves.move_item(work, actor, command)
    except MoveBlocked:
        # Post, redirect, get: the item's page shows why, and reloading it moves nothing.
        return redirect(f"/items/{identifier}?refused_move={target}#move-summary")
    except (InvalidInput, ValidationError) as exc:
        problems = (
            from_invalid_input(exc) if isinstance(exc, InvalidInput) else from_validation_error(exc)
        )
        alert = ["The move could not be made.", *(m for ms in problems.values() for m in ms)]
        return _refused_move_alert(request, identifier, alert)
    except Conflict as exc:
        # Someone changed the item since this page was drawn: the page shows it as it is
        # now, with the reason, on a GET address.
        return _refused_move_alert(request, identifier, [conflict_words(exc)])
    return redirect(f"/items/{identifier}", "moved")


@router.post("/items/{item_id}/request-approval")
def request_approval(
    request: Request, item_id: str, form: CheckedForm, actor: PageActor
) -> Response:
    identifier = parse_id(item_id, "item")
    comment = str(form.get("comment", ""))
    try:
        command = RequestApproval(item_id=identifier, comment=comment)
        with request_uow(request) as work:
            approvals.request_approval(work, actor, command)
    except (InvalidInput, Conflict, ValidationError) as exc:
        return _approval_refused(request, actor, identifier, exc)
    return redirect(f"/items/{identifier}", "saved")


def _approval_refused(
    request: Request,
    actor: Actor,
    item_id: uuid.UUID,
    exc: InvalidInput | Conflict | ValidationError,
) -> Response:
    problems = (
        from_validation_error(exc) if isinstance(exc, ValidationError) else from_invalid_input(exc)
    )
    messages = [
        message if key == "_form" else f"{key.replace('_', ' ').capitalize()}: {message}"
        for key, values in problems.items()
        for message in values
    ]
    return _item_page(
        request, actor, item_id, Refusal(field_errors={}, alert=messages), status_code=422
    )


@router.post("/approvals/{request_id}/{decision}")
def decide(
    request: Request, request_id: str, decision: str, form: CheckedForm, actor: PageActor
) -> Response:
    identifier = parse_id(request_id, "approval request")
    item_id = parse_id(str(form.get("item_id", "")), "item")
    comment = str(form.get("comment", ""))
    try:
        with request_uow(request) as work:
            if decision == "approve":
                approvals.approve(
                    work, actor, ApproveRequest(request_id=identifier, comment=comment)
                )
            elif decision == "reject":
                approvals.reject(work, actor, RejectRequest(request_id=identifier, comment=comment))
            else:
                return _approval_refused(
                    request, actor, item_id, InvalidInput.one("decision", "unknown decision")
                )
    except (InvalidInput, Conflict, ValidationError) as exc:
        return _approval_refused(request, actor, item_id, exc)
    notice = "approved" if decision == "approve" else "rejected"
    if form.get("back") == "approvals":
        return redirect("/approvals", notice)
    return redirect(f"/items/{item_id}", notice)


@router.get("/approvals")
def approvals_inbox(request: Request, actor: PageActor) -> Response:
    """What waits for the signed-in account's decision, oldest first, decided in place."""
    with request_uow(request) as work:
        waiting = approvals.list_pending(work, actor)
        names = _names(work, actor)
    return render(
        request, "approvals.html", {"title": "Approvals", "waiting": waiting, "names": names}
    )
