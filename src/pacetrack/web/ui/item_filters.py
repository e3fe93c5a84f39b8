"""The one reading of the item filters in a page's query (board, list and CSV share it),
and the query that keeps them when a link changes something else (a page, a sort)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import Response

from pacetrack.services.errors import FieldProblem, InvalidInput
from pacetrack.services.ids import as_uuid
from pacetrack.services.views.pipeline_view import ItemFilters, PipelineView
from pacetrack.web.ui.rendering import error_page

QUERY_WORDS = {
    "assignee": "Assigned to",
    "owner": "Owner",
    "at_risk": "At risk only",
    "q": "Name contains",
    "status": "Status",
    "sort": "Sort",
    "direction": "Sort order",
}

TRUE_WORDS = frozenset({"1", "on", "true", "yes"})
FALSE_WORDS = frozenset({"", "0", "off", "false", "no"})
PEOPLE = {"assignee": "assignee", "owner": "owner"}
STATUS_WORDS = {
    "open": "Open",
    "completed": "Completed",
    "archived": "Archived",
    "any": "Open, completed or archived",
}
"""The status filter's choices, in the order the filters offer them."""


def parse_filters(query: Mapping[str, str]) -> ItemFilters:
    """The filters ``query`` asks for; a value that cannot be read is a 422 naming it."""
    problems: list[FieldProblem] = []
    people: dict[str, uuid.UUID | None] = {}
    for key, word in PEOPLE.items():
        raw = query.get(key, "").strip()
        people[key] = as_uuid(raw)
        if raw and people[key] is None:
            problems.append(FieldProblem(field=key, message=f"the {word} is not a known person"))
    risk = query.get("at_risk", "").strip().lower()
    if risk not in TRUE_WORDS | FALSE_WORDS:
        problems.append(FieldProblem(field="at_risk", message="must be on or off"))
    status = query.get("status", "").strip().lower() or "open"
    if status not in STATUS_WORDS:
        problems.append(
            FieldProblem(field="status", message="must be open, completed, archived or any")
        )
    if problems:
        raise InvalidInput(problems, "The filters cannot be read.")
    try:
        return ItemFilters(
            assignee=people["assignee"],
            owner=people["owner"],
            at_risk=risk in TRUE_WORDS,
            q=query.get("q", "").strip(),
            status=status,
        )
    except ValidationError as exc:
        raise InvalidInput(
            [FieldProblem(field="q", message="the search text is too long or not plain text")],
            "The filters cannot be read.",
        ) from exc


def filter_params(filters: ItemFilters) -> dict[str, str]:
    params: dict[str, str] = {}
    if filters.assignee is not None:
        params["assignee"] = str(filters.assignee)
    if filters.owner is not None:
        params["owner"] = str(filters.owner)
    if filters.at_risk:
        params["at_risk"] = "1"
    if filters.q:
        params["q"] = filters.q
    if filters.status != "open":
        params["status"] = filters.status
    return params


def query_string(filters: ItemFilters, **extra: object) -> str:
    """``?assignee=…&q=…`` plus ``extra`` (left out when None), or "" when empty."""
    params = filter_params(filters)
    params.update({key: str(value) for key, value in extra.items() if value is not None})
    return f"?{urlencode(params)}" if params else ""


def filter_context(view: PipelineView, filters: ItemFilters) -> dict[str, object]:
    """What the shared filters form (``_item_filters.html``) reads from a page's context."""
    return {
        "filters": filters,
        "people": sorted(view.people.values(), key=lambda person: person.name.lower()),
        "status_words": STATUS_WORDS,
        "query": query_string(filters),
    }


def refused_query(request: Request, exc: InvalidInput) -> Response:
    """A 422 page saying which part of the address cannot be read, and why."""
    reasons = "; ".join(
        f"{QUERY_WORDS.get(problem.field or '', 'The address')}: {problem.message}"
        for problem in exc.problems
    )
    return error_page(
        request, 422, "This view cannot be shown", f"{reasons}. Change or clear the filters."
    )
