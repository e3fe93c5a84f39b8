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
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from pacetrack.services import pipelines, template_upgrade, template_versions, templates
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, InvalidInput, NotFound
from pacetrack.services.ids import as_uuid
from pacetrack.services.pipelines import PipelineInstanceOut
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.upgrade_report import UpgradeOut
from pacetrack.web.deps import request_uow
from pacetrack.web.ui import flash
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.rendering import PageRoute, redirect, render
from pacetrack.web.ui.security import CheckedForm, PageActor
from pacetrack.web.ui.version_pages import sentences

router = APIRouter(route_class=PageRoute, include_in_schema=False)

T = TypeVar("T")

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
    items: int
    chosen: uuid.UUID | None

    @property
    def field(self) -> str:
        return f"{MAP_PREFIX}{self.step_template_id}"


def chosen_mapping(values: Mapping[str, str]) -> dict[uuid.UUID, uuid.UUID]:
    """``map-<old step template id>=<new step template id>`` pairs; empty choices left out."""
    chosen: dict[uuid.UUID, uuid.UUID] = {}
    for key, value in values.items():
        old = as_uuid(key.removeprefix(MAP_PREFIX)) if key.startswith(MAP_PREFIX) else None
        new = as_uuid(value)
        if old is not None and new is not None:
            chosen[old] = new
    return chosen


def target_number(raw: str, numbers: list[int]) -> int | None:
    if raw.isdigit() and int(raw) in numbers:
        return int(raw)
    return numbers[0] if numbers else None


def attempt(request: Request, call: Callable[[UnitOfWork], T]) -> tuple[T | None, list[str]]:
    """What ``call`` answers in a unit of work of the request, or the refusal in words."""
    try:
        with request_uow(request) as work:
            return call(work), []
    except (Conflict, InvalidInput) as exc:
        return None, sentences(exc)


def choose_steps(
    leaving: Mapping[uuid.UUID, str],
    targets: list[TargetStep],
    values: Mapping[str, str],
    counts: Mapping[uuid.UUID, int],
) -> tuple[list[RemovedStep], dict[uuid.UUID, uuid.UUID]]:
    """The removed steps (step template id → name) with their items (``counts``, by step
    template id) and the step chosen for them in the address; the valid choices."""
    target_ids = {step.id for step in targets}
    chosen = {
        old: new
        for old, new in chosen_mapping(values).items()
        if new in target_ids and old in leaving
    }
    removed = [
        RemovedStep(
            step_template_id=old, name=name, items=counts.get(old, 0), chosen=chosen.get(old)
        )
        for old, name in leaving.items()
    ]
    return removed, chosen


def removed_step_items(
    work: UnitOfWork,
    actor: Actor,
    instances: Sequence[PipelineInstanceOut],
    leaving: Collection[uuid.UUID],
) -> Counter[uuid.UUID]:
    """The items of the pipelines' steps that the version removes, by step template id."""
    counts: Counter[uuid.UUID] = Counter()
    for instance in instances:
        per_step = template_upgrade.items_per_step(work, actor, instance.id)
        for step in instance.steps or []:
            if step.step_template_id in leaving:
                counts[step.step_template_id] += per_step.get(step.id, 0)
    return counts


def needs_choice(removed: list[RemovedStep]) -> bool:
    """Whether a removed step with items has no step chosen for them yet."""
    return any(step.items and step.chosen is None for step in removed)


def target_steps(snapshot: Mapping[str, Any]) -> list[TargetStep]:
    return [
        TargetStep(id=uuid.UUID(step["id"]), name=str(step["name"])) for step in snapshot["steps"]
    ]


def show_plan(
    request: Request, path: str, name: str, *, title: str, plan: object, removed: list[RemovedStep]
) -> Response:
    """An upgrade page of ``plan``, with a refusal remembered for it shown once."""
    remembered = flash.take(request, path)
    response = render(
        request,
        name,
        {
            "title": title,
            "plan": plan,
            "alert": remembered.alert if remembered else [],
            "mapping": {
                step.field: str(step.chosen) for step in removed if step.chosen is not None
            },
        },
    )
    if remembered is not None:
        flash.forget(response, path)
    return response


def perform(
    request: Request,
    form: CheckedForm,
    path: str,
    upgrade: Callable[[UnitOfWork, int, dict[uuid.UUID, uuid.UUID]], Response],
) -> Response:
    """Runs ``upgrade`` with the posted version and mapping and answers its redirect; a
    refusal goes back to the page at ``path`` with the choice in its address, shown once."""
    values = {key: str(value) for key, value in form.items()}
    raw, mapping = values.get("to_version", ""), chosen_mapping(values)
    try:
        if not raw.isdigit():
            raise NotFound.one("to_version", "choose the version to upgrade to")
        with request_uow(request) as work:
            return upgrade(work, int(raw), mapping)
    except (Conflict, InvalidInput, NotFound) as exc:
        query = {"to": raw, **{f"{MAP_PREFIX}{old}": str(new) for old, new in mapping.items()}}
        response = redirect(f"{path}?{urlencode(query)}")
        flash.remember(response, request, path=path, field_errors={}, alert=sentences(exc))
        return response


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
        number = target_number(values.get("to", ""), numbers)
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
    targets = target_steps(snapshot)
    target_ids = {step.id for step in targets}
    leaving = {
        step.step_template_id: step.name
        for step in instance.steps or []
        if step.step_template_id not in target_ids
    }

    with request_uow(request) as work:
        counts = removed_step_items(work, actor, [instance], leaving)
    removed, chosen = choose_steps(leaving, targets, values, counts)
    report: UpgradeOut | None = None
    refusal: list[str] = []
    if not needs_choice(removed):
        report, refusal = attempt(
            request,
            lambda work: template_upgrade.upgrade_instance(
                work, actor, instance_id, to_version=number, step_mapping=chosen, dry_run=True
            ),
        )
    return replace(empty, targets=targets, removed=removed, report=report, refusal=refusal)


@router.get("/admin/pipelines/{instance_id}/upgrade")
def upgrade_page(request: Request, instance_id: str, actor: PageActor) -> Response:
    actor.require_admin("upgrade pipelines")
    identifier = parse_id(instance_id, "pipeline")
    plan = _plan(request, actor, identifier, request.query_params)
    return show_plan(
        request,
        upgrade_path(identifier),
        "admin_pipeline_upgrade.html",
        title=f"Upgrade {plan.instance.name}",
        plan=plan,
        removed=plan.removed,
    )


@router.post("/admin/pipelines/{instance_id}/upgrade")
def upgrade(request: Request, instance_id: str, form: CheckedForm, actor: PageActor) -> Response:
    actor.require_admin("upgrade pipelines")
    identifier = parse_id(instance_id, "pipeline")

    def upgraded(work: UnitOfWork, number: int, mapping: dict[uuid.UUID, uuid.UUID]) -> Response:
        template_upgrade.upgrade_instance(
            work, actor, identifier, to_version=number, step_mapping=mapping
        )
        return redirect(f"/pipelines/{identifier}", "upgraded")

    return perform(request, form, upgrade_path(identifier), upgraded)
