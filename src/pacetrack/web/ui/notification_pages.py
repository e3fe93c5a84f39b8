"""/notifications: the in-app notification center of the signed-in account."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services import notifications
from pacetrack.services.notifications import MarkRead
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor, container

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/notifications")
def notification_center(
    request: Request, actor: PageActor, unread: bool = False, page: int = 1
) -> Response:
    page = max(page, 1)
    with container(request).uow() as work:
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
    with container(request).uow() as work:
        notifications.mark_read(work, actor, command)
    back = "/notifications?unread=true" if form.get("unread") == "true" else "/notifications"
    return redirect(back, "read")
