"""The FastAPI application: JSON API under /api, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI

from pacetrack.bootstrap import Container
from pacetrack.web import problems
from pacetrack.web.routes import accounts, auth, fields, items, pipelines, templates
from pacetrack.web.ui import install as install_ui


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="PaceTrack",
        version="0.1.0",
        description="Track items through configurable pipelines of steps.",
        docs_url="/docs",
    )
    app.state.container = container
    problems.install(app)
    for module in (auth, fields, accounts, templates, pipelines, items):
        app.include_router(module.router)
    install_ui(app)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
