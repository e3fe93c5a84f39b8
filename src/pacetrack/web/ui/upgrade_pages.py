"""/admin/pipelines/<id>/upgrade: what upgrading a pipeline to a newer template version
would change (the dry run), and the upgrade itself (admins).

The page is a GET: the target version (``to``) and the chosen step for each removed
step's items (``map-<step template id>``) are in its address, so the dry run can be
reloaded and shared; the items of a removed step are counted by a dry run that maps
every removed step somewhere, and the dry run shown is the one of the chosen mapping.
The upgrade button posts exactly what the dry run showed and redirects (303) to the
pipeline's board with a notice; a refusal comes back once on this page.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from pacetrack.services import pipelines, template_upgrade, template_versions, templates
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, InvalidInput, NotFound
from pacetrack.services.pipelines import PipelineInstanceOut
from pacetrack.services.upgrade_report import UpgradeOut
from pacetrack.web.deps import request_uow
from pacetrack.web.ui import flash
from pacetrack.web.ui.ids import parse_id, uuid_or_none
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor
from pacetrack.web.ui.version_pages import sentences

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAP_PREFIX = "map-"


def upgrade_path(instance_id: uuid.UUID) -> str:
    return f"/admin/pipelines/{instance_id}/upgrade"


@dataclass(frozen=True, kw_only=True)
class TargetStep:
    id: uuid.UUID
    name: str


@dataclass(frozen=True, kw_only=True)
class RemovedStep:
    """A running step the target version does not have: its items and where they go."""

    step_template_id: uuid.UUID
    name: str
    items: int | None
    chosen: uuid.UUID | None

    @property
    def field(self) -> str:
        return f"{MAP_PREFIX}{self.step_template_id}"


def _mapping(values: Mapping[str, str]) -> dict[uuid.UUID, uuid.UUID]:
    """``map-<old step template id>=<new step template id>`` pairs; empty choices left out."""
    chosen: dict[uuid.UUID, uuid.UUID] = {}
    for key, value in values.items():
        old = uuid_or_none(key.removeprefix(MAP_PREFIX)) if key.startswith(MAP_PREFIX) else None
        new = uuid_or_none(value)
        if old is not None and new is not None:
            chosen[old] = new
    return chosen


def _target_number(raw: str, numbers: list[int]) -> int | None:
    if raw.isdigit() and int(raw) in numbers:
        return int(raw)
    return numbers[0] if numbers else None


def _dry_run(
    request: Request,
    actor: Actor,
    instance_id: uuid.UUID,
    *,
    to_version: int,
    mapping: Mapping[uuid.UUID, uuid.UUID],
) -> UpgradeOut | list[str]:
    """The dry run's report, or the refusal in words."""
    try:
        with request_uow(request) as work:
            return template_upgrade.upgrade_instance(
                work,
                actor,
                instance_id,
                to_version=to_version,
                step_mapping=dict(mapping),
                dry_run=True,
            )
    except (Conflict, InvalidInput) as exc:
        return sentences(exc)


@dataclass(frozen=True, kw_only=True)
class Plan:
    instance: PipelineInstanceOut
    template_name: str
    latest: int | None
    to_version: int | None
    targets: list[TargetStep]
    removed: list[RemovedStep]
    report: UpgradeOut | None
    refusal: list[str]


def _plan(
    request: Request, actor: Actor, instance_id: uuid.UUID, values: Mapping[str, str]
) -> Plan:
    with request_uow(request) as work:
        instance = pipelines.get_instance(work, actor, instance_id)
        template_id = instance.pipeline_template_id
        template_name = templates.get_template(work, actor, template_id).name
        numbers = [v.number for v in template_versions.list_versions(work, actor, template_id)]
        number = _target_number(values.get("to", ""), numbers)
        snapshot = (
            template_versions.get_version(work, actor, template_id, number).snapshot
            if number is not None
            else None
        )
    latest = numbers[0] if numbers else None
    empty = Plan(
        instance=instance,
        template_name=template_name,
        latest=latest,
        to_version=number,
        targets=[],
        removed=[],
        report=None,
        refusal=[],
    )
    if number is None or snapshot is None or number == instance.template_version:
        return empty
    targets = [
        TargetStep(id=uuid.UUID(step["id"]), name=str(step["name"])) for step in snapshot["steps"]
    ]
    target_ids = {step.id for step in targets}
    leaving = [step for step in instance.steps or [] if step.step_template_id not in target_ids]
    chosen = {
        old: new
        for old, new in _mapping(values).items()
        if new in target_ids and any(step.step_template_id == old for step in leaving)
    }
    counts: dict[uuid.UUID, int] = {}
    refusal: list[str] = []
    if leaving and targets:
        # Every removed step mapped somewhere, only to count the items of each.
        counting = {
            step.step_template_id: chosen.get(step.step_template_id, targets[0].id)
            for step in leaving
        }
        counted = _dry_run(request, actor, instance_id, to_version=number, mapping=counting)
        if isinstance(counted, list):
            refusal = counted
        else:
            counts = {step.step_template_id: step.items for step in counted.steps_removed}
    removed = [
        RemovedStep(
            step_template_id=step.step_template_id,
            name=step.name,
            items=counts.get(step.step_template_id),
            chosen=chosen.get(step.step_template_id),
        )
        for step in leaving
    ]
    unmapped = [step for step in removed if step.items and step.chosen is None]
    report: UpgradeOut | None = None
    if not refusal and not unmapped:
        outcome = _dry_run(request, actor, instance_id, to_version=number, mapping=chosen)
        if isinstance(outcome, list):
            refusal = outcome
        else:
            report = outcome
    return replace(empty, targets=targets, removed=removed, report=report, refusal=refusal)


@router.get("/admin/pipelines/{instance_id}/upgrade")
def upgrade_page(request: Request, instance_id: str, actor: PageActor) -> Response:
    actor.require_admin("upgrade pipelines")
    identifier = parse_id(instance_id, "pipeline")
    path = upgrade_path(identifier)
    remembered = flash.take(request, path)
    plan = _plan(request, actor, identifier, request.query_params)
    response = render(
        request,
        "admin_pipeline_upgrade.html",
        {
            "title": f"Upgrade {plan.instance.name}",
            "plan": plan,
            "alert": remembered.alert if remembered else [],
            "mapping": {
                step.field: str(step.chosen) for step in plan.removed if step.chosen is not None
            },
        },
    )
    if remembered is not None:
        flash.forget(response, path)
    return response


@router.post("/admin/pipelines/{instance_id}/upgrade")
def upgrade(request: Request, instance_id: str, form: CheckedForm, actor: PageActor) -> Response:
    actor.require_admin("upgrade pipelines")
    identifier = parse_id(instance_id, "pipeline")
    values = {key: str(value) for key, value in form.items()}
    raw = values.get("to_version", "")
    mapping = _mapping(values)
    try:
        if not raw.isdigit():
            raise NotFound.one("to_version", "choose the version to upgrade to")
        with request_uow(request) as work:
            template_upgrade.upgrade_instance(
                work, actor, identifier, to_version=int(raw), step_mapping=mapping
            )
    except (Conflict, InvalidInput, NotFound) as exc:
        path = upgrade_path(identifier)
        query = {"to": raw, **{f"{MAP_PREFIX}{old}": str(new) for old, new in mapping.items()}}
        response = redirect(f"{path}?{urlencode(query)}")
        flash.remember(response, request, path=path, field_errors={}, alert=sentences(exc))
        return response
    return redirect(f"/pipelines/{identifier}", "upgraded")
