"""The FastAPI application: JSON API under /api, OpenAPI at /docs."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from pacetrack.bootstrap import Container
from pacetrack.web import body_limit, openapi, problems
from pacetrack.web.routes import (
    accounts,
    approvals,
    assignments,
    audit,
    audit_log,
    auth,
    automations,
    events,
    fields,
    items,
    metrics,
    notifications,
    pipelines,
    studio,
    template_upgrade,
    template_versions,
    templates,
    tenant,
)
from pacetrack.web.shutdown import close_streams_on_signal
from pacetrack.web.ui import install as install_ui


def create_app(
    container: Container, *, close_container: bool = False, freeze_startup_objects: bool = False
) -> FastAPI:
    """The application over ``container``; ``close_container``: the app owns it and
    closes it (its database pool) when it shuts down. ``freeze_startup_objects``: the
    process serves this app for its whole life (``pacetrack serve``), see ``_freeze``."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The worker thread lives exactly as long as the app (``serve --no-worker`` turns it off).
        embedded = None
        if container.settings.embedded_worker:
            from pacetrack.worker.embedded import EmbeddedWorker

            embedded = EmbeddedWorker(container).start()
        restore_signals = close_streams_on_signal(container.feed.broker.close)
        if freeze_startup_objects:
            _freeze()
        try:
            yield
        finally:
            restore_signals()
            container.feed.broker.close()
            if embedded is not None:
                embedded.stop()
            if close_container:
                container.close()

    app = FastAPI(
        lifespan=lifespan,
        title="PaceTrack",
        version="0.1.0",
        description="Track items through configurable pipelines of steps.",
        docs_url="/docs",
    )
    app.state.container = container
    body_limit.install(app, container.settings)
    problems.install(app)
    openapi.install(app)
    # Requests are matched against routes in this order: the busiest paths come first.
    for module in (
        items,
        approvals,
        assignments,
        notifications,
        events,
        auth,
        fields,
        accounts,
        templates,
        template_versions,
        template_upgrade,
        pipelines,
        automations,
        audit,
        audit_log,
        studio,
        metrics,
        tenant,
    ):
        app.include_router(module.router)
    install_ui(app)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _freeze() -> None:
    """Moves every object alive at start-up out of the garbage collector's sight.

    The modules, routes, templates and the container live as long as the process, yet a
    full collection walks all of them: about 70 ms on a small machine, paid by whichever
    request happened to trigger it (a board's p95 was three times its median). Frozen,
    they are no longer walked, and a full collection sees only what requests made.
    """
    gc.collect()
    gc.freeze()


def app_from_environment() -> FastAPI:
    """An application built from the ``PACETRACK_*`` settings, for each process of
    ``pacetrack serve --workers N`` (uvicorn imports it by name in every worker)."""
    from pacetrack.bootstrap import build
    from pacetrack.settings import Settings

    return create_app(build(Settings()), close_container=True, freeze_startup_objects=True)
