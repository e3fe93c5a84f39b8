"""The step configuration studio's API: /api/expression/check, /api/step-template/simulate,
/api/notification/preview and /api/template-library/{list,get,instantiate}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from pacetrack.services.studio import (
    expression_check,
    notification_preview,
    simulation,
    template_library,
)
from pacetrack.services.studio.expression_check import ExpressionCheck, ExpressionCheckOut
from pacetrack.services.studio.notification_preview import (
    NotificationPreview,
    NotificationPreviewOut,
)
from pacetrack.services.studio.simulation_models import SimulationOut, StepSimulation
from pacetrack.services.studio.template_library import (
    KEY_PATTERN,
    LibraryInstantiate,
    LibraryTemplate,
    LibraryTemplateSummary,
)
from pacetrack.services.templates import PipelineTemplateOut
from pacetrack.web.deps import CurrentActor, Work, container

expressions = APIRouter(prefix="/api/expression", tags=["step configuration studio"])
simulations = APIRouter(prefix="/api/step-template", tags=["step configuration studio"])
previews = APIRouter(prefix="/api/notification", tags=["step configuration studio"])
library = APIRouter(prefix="/api/template-library", tags=["template library"])


@expressions.post("/check")
def check_expression(body: ExpressionCheck, actor: CurrentActor, work: Work) -> ExpressionCheckOut:
    """The verdict saving a rule with this expression would reach; a broken expression is
    answered 200 with ``ok: false`` and the errors (admins and managers)."""
    with work:
        return expression_check.check_expression(work, actor, body)


@simulations.post("/simulate")
def simulate_step(body: StepSimulation, actor: CurrentActor, work: Work) -> SimulationOut:
    """What entering and leaving the step would decide for an item, writing nothing
    (admins and managers)."""
    with work:
        return simulation.simulate_step(work, actor, body)


@library.get("/list")
def list_library(actor: CurrentActor) -> list[LibraryTemplateSummary]:
    """The built-in templates."""
    return template_library.list_library(actor)


@library.get("/get")
def get_library_template(
    key: Annotated[str, Query(max_length=64, pattern=KEY_PATTERN)], actor: CurrentActor
) -> LibraryTemplate:
    """One built-in template: its fields and its steps with a summary of their rules."""
    return template_library.get_library_template(actor, key)


@library.post("/instantiate", status_code=201)
def instantiate(body: LibraryInstantiate, actor: CurrentActor, work: Work) -> PipelineTemplateOut:
    """A pipeline template in your tenant made from a built-in one (admins)."""
    with work:
        return template_library.instantiate(work, actor, body)


@previews.post("/preview")
def preview_notification(
    body: NotificationPreview, actor: CurrentActor, work: Work, request: Request
) -> NotificationPreviewOut:
    """A notification's subject and body rendered against an item or sample values, through
    the worker's templating; a template that cannot render is refused with 422 naming
    ``subject`` or ``body`` (admins and managers)."""
    with work:
        return notification_preview.preview_notification(
            work, actor, body, base_url=container(request).settings.base_url
        )


router = APIRouter()
router.include_router(expressions)
router.include_router(simulations)
router.include_router(previews)
router.include_router(library)
