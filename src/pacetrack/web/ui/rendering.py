"""Jinja2 rendering of the HTML pages, and the error pages every UI route shares."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.responses import RedirectResponse, Response

from pacetrack.services import notifications, step_configs, tenant_settings
from pacetrack.services.context import Actor
from pacetrack.services.errors import ServiceError
from pacetrack.services.vocabulary import DEFAULT_CURRENCY, counted, currency, format_money
from pacetrack.web.deps import container
from pacetrack.web.error_status import status_of
from pacetrack.web.ui.security import CSRF_FIELD, SESSION_COOKIE, CsrfRejected, LoginRequired
from pacetrack.web.ui.step_icons import symbol_of

logger = logging.getLogger("pacetrack.web.ui")

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

NOTICES = {
    "saved": "Saved.",
    "created": "Created.",
    "moved": "Moved.",
    "reopened": "Reopened.",
    "archived": "Archived.",
    "unarchived": "Back among the completed items.",
    "deleted": "The item is deleted.",
    "approved": "Approved.",
    "rejected": "Rejected.",
    "read": "Marked as read.",
    "logged-out": "You are logged out.",
    "published": "Published as a new version.",
    "upgraded": "Upgraded: the pipeline runs the new version.",
    "rolled-back": "Rolled back: the older version is the draft again, published as a new version.",
}

# "upgraded-3": the upgrade of every pipeline of a template, naming how many it upgraded.
_UPGRADED_MANY = re.compile(r"upgraded-([1-9][0-9]{0,5})")


def notice_words(key: str) -> str | None:
    """What a notice key in the address says, or None for an unknown key."""
    many = _UPGRADED_MANY.fullmatch(key)
    if many is not None:
        count = int(many.group(1))
        runs = "it runs" if count == 1 else "they run"
        return f"Upgraded {counted(count, 'pipeline')}: {runs} the new version."
    return NOTICES.get(key)


@pass_context
def _money(context: Context, value: object) -> str:
    """An amount in the tenant's currency (the page's ``currency``): "$150,000.00"."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return format_money(number, str(context.get("currency", DEFAULT_CURRENCY)))


def _currency_symbol(code: object) -> str:
    """What a money input is prefixed with: the currency's symbol ("$", "€", "CHF")."""
    return currency(str(code)).symbol


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@pass_context
def _when(context: Context, value: object) -> str:
    """A stored (UTC) moment in the tenant's time zone (the page's ``time_zone``)."""
    if isinstance(value, datetime):
        local = value.astimezone(_zone(context.get("time_zone", "UTC")))
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _step_color(value: object) -> str:
    """A step's colour for a style attribute: a plain ``#rrggbb`` or nothing, so no other
    text an admin stored can reach the page's CSS."""
    return value if isinstance(value, str) and _HEX_COLOR.fullmatch(value) else ""


def _step_icon(name: object) -> Markup:
    """The symbol of a step's icon name, hidden from screen readers (the step's name is
    its label); an unknown name renders nothing."""
    symbol = symbol_of(name)
    if not symbol:
        return Markup("")
    return Markup('<span class="step-icon" aria-hidden="true">{}</span>').format(escape(symbol))


def _pretty_json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the package: checking each file's time on every render (once
        # per include and import, every card of a board) buys nothing.
        auto_reload=False,
    )
    environment.filters.update(
        money=_money,
        when=_when,
        pretty_json=_pretty_json,
        step_color=_step_color,
        step_icon=_step_icon,
        currency_symbol=_currency_symbol,
    )
    environment.globals.update(CSRF_FIELD=CSRF_FIELD)
    return environment


templates = Jinja2Templates(env=_environment())


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> Response:
    state = request.state
    notice = notice_words(request.query_params.get("notice", ""))
    actor = getattr(state, "actor", None)
    full: dict[str, Any] = {
        "actor": actor,
        "unread_notifications": 0,
        "csrf_token": getattr(state, "csrf_token", ""),
        "path": request.url.path,
        "notice": notice,
        "title": "",
        "time_zone": "UTC",
        "currency": DEFAULT_CURRENCY,
    }
    full.update(context or {})
    if context is None or "unread_notifications" not in context:
        full["unread_notifications"], time_zone, currency = _chrome(request, actor)
        if context is None or "time_zone" not in context:
            full["time_zone"] = time_zone
        if context is None or "currency" not in context:
            full["currency"] = currency
    return templates.TemplateResponse(request, name, full, status_code=status_code)


def _chrome(request: Request, actor: Actor | None) -> tuple[int, str, str]:
    """The unread count for the navigation badge (0 before login), the tenant's time zone
    and currency."""
    if actor is None or actor.account_id is None:
        return 0, "UTC", DEFAULT_CURRENCY
    with container(request).uow() as work:
        unread = notifications.list_notifications(work, actor, unread=True, limit=1).unread
        calendar = step_configs.tenant_calendar(work, tenant_id=actor.tenant_id)
        currency = tenant_settings.tenant_currency(work, tenant_id=actor.tenant_id)
        return unread, calendar.time_zone, currency


def error_page(request: Request, status: int, heading: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        {
            "title": heading,
            "heading": heading,
            "message": message,
            "status": status,
            # An error page must not depend on the database being healthy.
            "unread_notifications": 0,
        },
        status_code=status,
    )


def not_found(request: Request, what: str = "page") -> Response:
    return error_page(request, 404, "Not found", f"This {what} does not exist.")


def redirect(path: str, notice: str | None = None) -> RedirectResponse:
    """A 303 to ``path`` (which may end in a ``#fragment``), with a notice to show there."""
    target, hash_mark, fragment = path.partition("#")
    if notice:
        target += f"{'&' if '?' in target else '?'}notice={notice}"
    return RedirectResponse(target + hash_mark + fragment, status_code=303)


def _local_path(request: Request) -> str:
    """Where to return after logging in: this page, or for a post the page it came from."""
    if request.method == "GET":
        query = request.url.query
        return request.url.path + (f"?{query}" if query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/"):
        return referer.path
    return "/"


def safe_next(raw: str | None) -> str:
    """A same-site path to go to after login; anything else (``//evil``, URLs) becomes ``/``."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    return raw


def login_redirect(request: Request) -> Response:
    response = RedirectResponse(
        f"/login?next={quote(_local_path(request), safe='/')}", status_code=303
    )
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class PageRoute(APIRoute):
    """A UI route: service errors become HTML pages, never problem+json or a trace."""

    def get_route_handler(self) -> Endpoint:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return login_redirect(request)
            except CsrfRejected:
                return error_page(
                    request,
                    403,
                    "Form expired",
                    "This form could not be accepted: it is out of date or came from another "
                    "site. Reload the page and try again.",
                )
            except ServiceError as exc:
                status = status_of(exc)
                heading = {403: "Not allowed", 404: "Not found", 409: "Conflict"}.get(
                    status, "Request refused"
                )
                return error_page(request, status, heading, exc.message)
            except RequestValidationError:
                return error_page(request, 400, "Bad request", "The request is not valid.")
            except Exception:
                logger.exception("unhandled error in %s %s", request.method, request.url.path)
                return error_page(
                    request,
                    500,
                    "Something went wrong",
                    "An unexpected error occurred; it has been logged. Please try again.",
                )

        return handle
