"""/admin/templates/<id>/upgrade: upgrading every active pipeline of a template that runs
another version at once (admins), as ``POST /api/pipeline-template/upgrade-instances``.

It works like the one-pipeline page (``upgrade_pages``, whose helpers it uses): the target
version and the step chosen for each removed step's items are in the address; the mapping
is by step template id, so one choice serves every pipeline that has the step, and the
items are counted across them. The button posts what the dry run showed and redirects
(303) to the versions page naming how many pipelines were upgraded; a refusal (one
refuses them all) comes back once on this page.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from fastapi import APIRouter, Request
from starlette.responses import Response

from pacetrack.services import pipelines, template_upgrade, template_versions, templates
from pacetrack.services.context import Actor
from pacetrack.services.pipelines import PipelineInstanceOut
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.upgrade_report import UpgradeOut
from pacetrack.web.deps import request_uow
from pacetrack.web.ui.ids import parse_id
from pacetrack.web.ui.rendering import PageRoute, redirect
from pacetrack.web.ui.security import CheckedForm, PageActor
from pacetrack.web.ui.upgrade_pages import (
    RemovedStep,
    TargetStep,
    attempt,
    choose_steps,
    needs_choice,
    perform,
    removed_step_items,
    show_plan,
    target_number,
    target_steps,
)
from pacetrack.web.ui.version_pages import versions_path

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def upgrade_all_path(template_id: uuid.UUID) -> str:
    return f"/admin/templates/{template_id}/upgrade"


@dataclass(frozen=True, kw_only=True)
class Plan:
    template_id: uuid.UUID
    template_name: str
    latest: int | None
    to_version: int | None
    # The active pipelines that run another version than the target, with their steps.
    behind: list[PipelineInstanceOut]
    targets: list[TargetStep] = field(default_factory=list)
    removed: list[RemovedStep] = field(default_factory=list)
    reports: list[UpgradeOut] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)


def _plan(
    request: Request, actor: Actor, template_id: uuid.UUID, values: Mapping[str, str]
) -> Plan:
    with request_uow(request) as work:
        name = templates.get_template(work, actor, template_id).name
        numbers = [v.number for v in template_versions.list_versions(work, actor, template_id)]
        number = target_number(values.get("to", ""), numbers)
        snapshot = (
            template_versions.get_version(work, actor, template_id, number).snapshot
            if number is not None
            else None
        )
        behind = [
            pipelines.get_instance(work, actor, instance.id)
            for instance in pipelines.list_instances(work, actor, template_id=template_id)
            if instance.status == "active" and instance.template_version != number
        ]
    plan = Plan(
        template_id=template_id,
        template_name=name,
        latest=numbers[0] if numbers else None,
        to_version=number,
        behind=behind,
    )
    if number is None or snapshot is None or not behind:
        return plan
    targets = target_steps(snapshot)
    target_ids = {step.id for step in targets}
    # Every pipeline's removed steps, once each by step template id, in pipeline order.
    leaving: dict[uuid.UUID, str] = {}
    for instance in behind:
        for step in instance.steps or []:
            if step.step_template_id not in target_ids:
                leaving.setdefault(step.step_template_id, step.name)

    with request_uow(request) as work:
        counts = removed_step_items(work, actor, behind, leaving)
    removed, chosen = choose_steps(leaving, targets, values, counts)
    reports: list[UpgradeOut] = []
    refusal: list[str] = []
    if not needs_choice(removed):
        done, refusal = attempt(
            request,
            lambda work: template_upgrade.upgrade_template_instances(
                work, actor, template_id, to_version=number, step_mapping=chosen, dry_run=True
            ),
        )
        reports = done or []
    return replace(plan, targets=targets, removed=removed, reports=reports, refusal=refusal)


@router.get("/admin/templates/{template_id}/upgrade")
def upgrade_all_page(request: Request, template_id: str, actor: PageActor) -> Response:
    actor.require_admin("upgrade pipelines")
    identifier = parse_id(template_id, "template")
    plan = _plan(request, actor, identifier, request.query_params)
    return show_plan(
        request,
        upgrade_all_path(identifier),
        "admin_template_upgrade.html",
        title=f"Upgrade the pipelines of {plan.template_name}",
        plan=plan,
        removed=plan.removed,
    )


@router.post("/admin/templates/{template_id}/upgrade")
def upgrade_all(
    request: Request, template_id: str, form: CheckedForm, actor: PageActor
) -> Response:
    actor.require_admin("upgrade pipelines")
    identifier = parse_id(template_id, "template")

    def upgraded(work: UnitOfWork, number: int, mapping: dict[uuid.UUID, uuid.UUID]) -> Response:
        reports = template_upgrade.upgrade_template_instances(
            work, actor, identifier, to_version=number, step_mapping=mapping
        )
        return redirect(versions_path(identifier), f"upgraded-{len(reports)}")

    return perform(request, form, upgrade_all_path(identifier), upgraded)
