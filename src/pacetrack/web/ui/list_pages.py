"""The list of a pipeline's items (/pipelines/{id}/list) and its CSV export
(/pipelines/{id}/list.csv), with the board's filters read by the same parser."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from pacetrack.services.errors import InvalidInput
from pacetrack.services.views import csv_export, item_list
from pacetrack.services.views.item_list import FIELD_SORT, FIXED_SORTS
from pacetrack.web.deps import container, request_uow
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.item_filters import filter_context, parse_filters, query_string, refused_query
from pacetrack.web.ui.rendering import PageRoute, render
from pacetrack.web.ui.security import PageActor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FIXED_HEADINGS = dict(
    zip(FIXED_SORTS, ("Name", "Step", "Owner", "Assigned to", "Days in step"), strict=True)
)
_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 1


@router.get("/pipelines/{instance_id}/list")
def list_page(request: Request, instance_id: str, actor: PageActor) -> Response:
    identifier = parse_id(instance_id, "pipeline")
    params = request.query_params
    try:
        filters = parse_filters(params)
        with request_uow(request) as work:
            shown = item_list.item_list(
                work,
                actor,
                identifier,
                filters,
                sort_key=params.get("sort", "name"),
                direction=params.get("direction", "asc"),
                page=_page_number(params.get("page")),
            )
    except InvalidInput as exc:
        return refused_query(request, exc)
    view = shown.view
    sort = shown.sort
    headings = [(key, heading) for key, heading in FIXED_HEADINGS.items()]
    headings += [(f"{FIELD_SORT}{spec.name}", spec.display_name) for spec in view.shown_fields]

    def sort_link(key: str) -> str:
        direction = "desc" if sort.key == key and sort.direction == "asc" else "asc"
        return query_string(filters, sort=key, direction=direction)

    def page_link(number: int) -> str:
        return query_string(filters, sort=sort.key, direction=sort.direction, page=number)

    return render(
        request,
        "item_list.html",
        {
            "title": f"{view.instance_name}: list",
            "listing": shown,
            "view": view,
            **filter_context(view, filters),
            "headings": headings,
            "sort_link": sort_link,
            "page_link": page_link,
            "csv_query": query_string(filters, sort=sort.key, direction=sort.direction),
            "keep": {"sort": sort.key, "direction": sort.direction},
            "time_zone": view.time_zone,
            "currency": view.currency,
        },
    )


@router.get("/pipelines/{instance_id}/list.csv")
def list_csv(request: Request, instance_id: str, actor: PageActor) -> Response:
    identifier = parse_id(instance_id, "pipeline")
    params = request.query_params
    built = container(request)
    try:
        filters = parse_filters(params)
        with built.uow() as work:
            view, sort = item_list.export_view(
                work,
                actor,
                identifier,
                sort_key=params.get("sort", "name"),
                direction=params.get("direction", "asc"),
            )
    except InvalidInput as exc:
        return refused_query(request, exc)

    def lines() -> Iterator[str]:
        with built.uow() as work:
            rows = item_list.all_rows(work, actor, view, filters, sort)
            yield from csv_export.csv_lines(view, rows)

    name = _UNSAFE_FILE_CHARACTERS.sub("-", view.instance_name).strip("-") or "items"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
