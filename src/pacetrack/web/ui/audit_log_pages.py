"""/admin/audit-log: who changed which piece of configuration, when, from what to what."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from pacetrack.services import config_audit, step_configs
from pacetrack.services.config_audit import (
    ACTIONS,
    CREATED,
    DELETED,
    KIND_NAMES,
    AuditLogEntryOut,
    AuditLogFilter,
)
from pacetrack.services.ids import as_uuid
from pacetrack.services.people import accounts
from pacetrack.web.deps import request_uow
from pacetrack.web.ui.errors import FieldErrors
from pacetrack.web.ui.rendering import PageRoute, render
from pacetrack.web.ui.security import PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
KIND_LABELS = {
    "pipeline_template": "Pipeline template",
    "step_template": "Step",
    "field_definition": "Field",
    "step_override": "Step override",
    "pipeline_access": "Pipeline access",
    "pipeline_version": "Pipeline version",
    "webhook_endpoint": "Webhook endpoint",
    "allow_list": "Outbound allow-list",
    "tenant_settings": "Organisation settings",
    "account": "Account",
    "account_role": "Role of an account",
    "role": "Role",
    "account_group": "Group",
    "group_member": "Group member",
    "feature_flag": "Feature flag",
    "template_version": "Template version",
}
ACTION_LABELS = {
    "created": "Created",
    "updated": "Changed",
    "deleted": "Deleted",
    "published": "Published",
    "rolled_back": "Rolled back",
}


def kind_label(kind: str) -> str:
    """The words for a kind; one registered later reads from its name."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def shown_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value or "(empty)"
    if isinstance(value, list) and not value:
        return "(empty)"
    if isinstance(value, list) and all(isinstance(part, str | int | float) for part in value):
        # A list of plain values (allow-list entries, options) reads as words, not JSON.
        return ", ".join(str(part) for part in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, kw_only=True)
class ChangeLine:
    key: str
    old: str | None
    new: str | None


_ACCOUNT_SUFFIX = "_account_id"
_KEY_WORDS = {"url": "URL", "oauth": "OAuth", "id": "ID"}


def key_label(key: str) -> str:
    """``oauth_token_url`` reads "OAuth token URL"; an account id key names the account."""
    words = key.removesuffix(_ACCOUNT_SUFFIX).split("_")
    return " ".join(_KEY_WORDS.get(word, word) for word in words)


def change_lines(entry: AuditLogEntryOut, names: Mapping[str, str]) -> list[ChangeLine]:
    """One line per key: old → new (an update; a published version's number), or what a
    creation set or a deletion removed.
    An account id (``owner_account_id``) shows as the account's name (``names``)."""
    before = entry.before or {}
    after = entry.after or {}
    keys = list(after) + [key for key in before if key not in after]

    def shown(key: str, value: Any) -> str:
        if key.endswith(_ACCOUNT_SUFFIX) and isinstance(value, str):
            return names.get(value, "an account no longer listed")
        return shown_value(value)

    return [
        ChangeLine(
            key=key_label(key),
            # A creation has no old values, but a new version names the one it follows.
            old=None if entry.action == CREATED or key not in before else shown(key, before[key]),
            new=None if entry.action == DELETED else shown(key, after.get(key)),
        )
        for key in keys
    ]


def _day(raw: str, field: str, errors: FieldErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[field] = ["is not a date (year-month-day)"]
        return None


def _filter(request: Request, zone: ZoneInfo, errors: FieldErrors) -> tuple[AuditLogFilter, int]:
    query = request.query_params
    kind = query.get("kind", "")
    if kind and kind not in KIND_NAMES:
        errors["kind"] = ["choose a kind from the list"]
    action = query.get("action", "")
    if action and action not in ACTIONS:
        errors["action"] = ["choose an action from the list"]
    actor_id = as_uuid(query.get("actor"))
    if query.get("actor") and actor_id is None:
        errors["actor"] = ["choose a person from the list"]
    first = _day(query.get("from", ""), "from", errors)
    last = _day(query.get("to", ""), "to", errors)
    offset = int(query["offset"]) if query.get("offset", "").isdigit() else 0
    # Days are the organisation's days: from the start of the first to the end of the last.
    wanted = AuditLogFilter(
        kind=kind if "kind" not in errors and kind else None,
        action=action if "action" not in errors and action else None,
        actor_id=actor_id,
        since=datetime.combine(first, time(), zone) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), zone) if last else None,
    )
    return wanted, min(offset, 2**31 - 1)


def _page_link(request: Request, offset: int) -> str:
    params = {**request.query_params, "offset": str(offset)}
    return f"{request.url.path}?{urlencode(params)}"


@router.get("/admin/audit-log")
def audit_log_page(request: Request, actor: PageActor) -> Response:
    actor.require_admin("read the configuration audit log")
    errors: FieldErrors = {}
    with request_uow(request) as work:
        zone = ZoneInfo(step_configs.tenant_calendar(work, tenant_id=actor.tenant_id).time_zone)
        wanted, offset = _filter(request, zone, errors)
        page = config_audit.list_entries(work, actor, wanted, limit=PAGE_SIZE, offset=offset)
        people = accounts.list_accounts(work, actor)
    query = request.query_params
    names = {str(person.id): person.display_name for person in people}
    return render(
        request,
        "admin_audit_log.html",
        {
            "title": "Audit log",
            "entries": [(entry, change_lines(entry, names)) for entry in page.entries],
            "total": page.total,
            "offset": offset,
            "newer": _page_link(request, max(0, offset - PAGE_SIZE)) if offset else None,
            "older": _page_link(request, offset + PAGE_SIZE)
            if offset + PAGE_SIZE < page.total
            else None,
            "kinds": {kind: kind_label(kind) for kind in KIND_NAMES},
            "actions": ACTION_LABELS,
            "people": list(names.items()),
            "chosen": {
                name: query.get(name, "") for name in ("kind", "action", "actor", "from", "to")
            },
            "filtered": any(query.get(name) for name in ("kind", "action", "actor", "from", "to")),
            "kind_label": kind_label,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )
