"""The server-rendered web UI: HTML pages over the same services as the JSON API."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pacetrack.web.ui import (
    admin_pages,
    audit_log_pages,
    auth_pages,
    board_pages,
    bulk_pages,
    item_lifecycle_pages,
    item_pages,
    library_pages,
    list_pages,
    notification_pages,
    people_pages,
    pipeline_pages,
    template_pages,
    upgrade_all_pages,
    upgrade_pages,
    version_pages,
)
from pacetrack.web.ui.rendering import STATIC_DIR

PAGE_MODULES = (
    auth_pages,
    admin_pages,
    audit_log_pages,
    pipeline_pages,
    library_pages,  # before template_pages: /admin/templates/library is not a template id
    template_pages,
    version_pages,
    upgrade_all_pages,
    upgrade_pages,
    board_pages,
    list_pages,
    bulk_pages,
    item_pages,
    people_pages,
    item_lifecycle_pages,
    notification_pages,
)


def install(app: FastAPI) -> None:
    """Adds the pages and serves ``/static``."""
    for module in PAGE_MODULES:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
