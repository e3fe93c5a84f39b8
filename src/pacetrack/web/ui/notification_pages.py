"""/notifications: the in-app notification center of the signed-in account."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services import notifications
from pacetrack.services.notifications import CHANNELS, TRIGGER_KINDS, MarkRead, PreferencesIn
from pacetrack.web.deps import request_uow
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/notifications")
def notification_center(
    request: Request, actor: PageActor, unread: bool = False, page: int = 1
) -> Response:
    page = max(page, 1)
    with request_uow(request) as work:
        listed = notifications.list_notifications(
            work, actor, unread=unread, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    shown_total = listed.unread if unread else listed.total
    return render(
        request,
        "notifications.html",
        {
            "title": "Notifications",
            "listed": listed,
            "unread_only": unread,
            "page": page,
            "has_next": page * PAGE_SIZE < shown_total,
        },
    )


@router.post("/notifications/read")
def mark_read(request: Request, form: CheckedForm, actor: PageActor) -> Response:
    if form.get("all") == "true":
        command = MarkRead(all=True)
    else:
        try:
            command = MarkRead(ids=[parse_id(str(form.get("id", "")), "notification")])
        except ValidationError:
            return redirect("/notifications")
    with request_uow(request) as work:
        notifications.mark_read(work, actor, command)
    back = "/notifications?unread=true" if form.get("unread") == "true" else "/notifications"
    return redirect(back, "read")


KIND_NAMES = {
    "on_enter": "An item enters a step",
    "on_exit": "An item leaves a step",
    "on_duration": "An item has stayed in a step a while (reminders)",
    "at_risk": "An item is at risk of missing its target time",
    "on_field_change": "A watched field changes",
    "assigned": "Something is assigned to me",
    "assignment_unresolved": "Nobody could be assigned",
    "approval_requested": "My approval is requested",
    "approval_decided": "My approval request is decided",
}
"""Each kind of notification as a person would say it."""


@router.get("/notifications/preferences")
def preferences_page(request: Request, actor: PageActor) -> Response:
    with request_uow(request) as work:
        preferences = notifications.get_preferences(work, actor)
    rows = [
        {"kind": kind, "name": KIND_NAMES.get(kind, kind), **preferences.channels[kind]}
        for kind in TRIGGER_KINDS
    ]
    return render(
        request,
        "preferences.html",
        {"title": "Notification settings", "rows": rows, "digest": preferences.email_digest},
    )


@router.post("/notifications/preferences")
def save_preferences(request: Request, form: CheckedForm, actor: PageActor) -> Response:
    # An unticked box is absent from the form: every kind's switches are set from what came.
    command = PreferencesIn.model_validate(
        {
            "channels": {
                kind: {channel: form.get(f"{kind}.{channel}") == "on" for channel in CHANNELS}
                for kind in TRIGGER_KINDS
            },
            "email_digest": "daily" if form.get("email_digest") == "daily" else "off",
        }
    )
    with request_uow(request) as work:
        notifications.set_preferences(work, actor, command)
    return redirect("/notifications/preferences", "saved")
