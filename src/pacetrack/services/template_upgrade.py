"""Upgrading running pipelines to another published version of their template.

One pipeline (``upgrade_instance``) or every active pipeline of a template
(``upgrade_template_instances``), in one transaction that locks the pipeline row and
every item of it first (by writing each item's version), so that a move in flight
either commits before the upgrade reads anything or reads the pipeline again after it.

What an upgrade does (``engine.upgrade_plan`` decides, ``uow.upgrades`` writes, a
step's rows at a time):

- steps new in the target version are added at the version's position; kept steps keep
  their items and overrides and take the version's name and position;
- a step the version lacks is removed (its row stays, marked removed, for the history
  that names it); its items must be mapped to a step of the version, and are moved
  there as a move would be, without running the entry validations: the stay is closed
  and its timers cancelled, a stay at the new step begins now with the new step's timers,
  and the item's activity says "Moved from Old to New by the upgrade to version N";
- armed timers of kept steps follow the new effective config: a rule that is gone,
  disabled or no longer timed is cancelled; a changed rule is re-armed from the stay's
  entry with its new settings, keeping the occurrence it was at (fired occurrences are
  never repeated); a new timed rule is armed for the active items in the step.

A dry run is the same work rolled back: its report is what the upgrade would do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pacetrack.db.repositories import upgrades as rows
from pacetrack.db.tables import STEP_REMOVED, PipelineInstance, Step
from pacetrack.db.tables_versions import PipelineTemplateVersion
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import StepConfig
from pacetrack.engine.timers import due_at
from pacetrack.engine.triggers import Firing, planned_timers
from pacetrack.engine.upgrade_plan import (
    RunningStep,
    TargetStep,
    UpgradePlan,
    offsets,
    plan_upgrade,
    timer_plan,
)
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pacetrack.services.pipelines import new_step_row
from pacetrack.services.side_effects import dump_rule
from pacetrack.services.step_configs import running_config, tenant_calendar
from pacetrack.services.template_versions import version_row
from pacetrack.services.templates import get_template_row
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.upgrade_report import (
    RemovedStepOut,
    RenamedStepOut,
    TimerCounts,
    UpgradeOut,
    upgrade_words,
)
from pacetrack.services.version_steps import (
    VersionStep,
    instance_running_steps,
    steps_of_snapshot,
)


def _target(
    uow: UnitOfWork, actor: Actor, template_id: uuid.UUID, number: int | None
) -> PipelineTemplateVersion:
    if number is not None:
        return version_row(uow, actor, template_id, number, field="to_version")
    latest = uow.template_versions.latest(actor.tenant_id, template_id)
    if latest is None:
        raise NotFound.one("to_version", "the template has no published version")
    return latest


def _refuse(problems: Sequence[Any], *, prefix: str) -> None:
    invalid = [p for p in problems if p.kind == "invalid"]
    if invalid:
        raise InvalidInput(
            [
                FieldProblem(field=f"step_mapping.{p.key}", message=prefix + p.message)
                for p in invalid
            ],
            "The step mapping cannot be used.",
        )
    raise Conflict(
        "Items are in steps the version removes.",
        problems=[FieldProblem(field="step_mapping", message=prefix + p.message) for p in problems],
    )


def _document(firing: Firing, config: StepConfig) -> dict[str, Any]:
    return {
        **dump_rule(firing.kind, firing.rule),
        "target_duration_days": config.target_duration_days,
    }


def _business_due(
    firing: Firing, config: StepConfig, calendar: BusinessCalendar
) -> Callable[[datetime, int], datetime]:
    def due(entered: datetime, occurrence: int) -> datetime:
        moment = due_at(
            firing.rule,
            entered_at=entered,
            occurrence=occurrence,
            target_duration_days=config.target_duration_days,
            calendar=calendar,
        )
        assert moment is not None  # the rule's offsets were checked first
        return moment

    return due


class _Run:
    """One pipeline's upgrade inside the caller's transaction."""

    def __init__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        instance: PipelineInstance,
        *,
        dry_run: bool,
        many: bool,
    ) -> None:
        self.uow, self.actor, self.instance = uow, actor, instance
        self.dry_run, self.many = dry_run, many
        self.upgrades = uow.upgrades
        self.now = uow.clock.now()
        self.calendar = tenant_calendar(uow, tenant_id=actor.tenant_id)
        self.timers = TimerCounts()
        self.where = {"tenant_id": actor.tenant_id, "instance_id": instance.id}
        self.mapped: set[uuid.UUID] = set()

    def _rows(self, step: Step) -> rows.StepRows:
        return rows.StepRows(
            tenant_id=self.actor.tenant_id, instance_id=self.instance.id, step_id=step.id
        )

    def _rule(self, firing: Firing, config: StepConfig) -> rows.TimedRule | None:
        spec = offsets(firing.rule, target_duration_days=config.target_duration_days)
        if spec is None:
            return None
        return rows.TimedRule(
            kind=firing.kind,
            rule_id=firing.rule.id,
            trigger=firing.rule.trigger,
            document=_document(firing, config),
            first=spec.first,
            every=spec.every,
            due=_business_due(firing, config, self.calendar) if spec.business else None,
        )

    def _kept_timers(self, step: Step, old: StepConfig | None, new: StepConfig) -> None:
        plan, at_step, now = timer_plan(old, new), self._rows(step), self.now
        self.timers.cancelled += self.upgrades.cancel_all_but(at_step, keep=plan.keep, now=now)
        for firing in plan.rearm:
            rule = self._rule(firing, new)
            if rule is None:  # an at_risk rule of a step that no longer has a target
                self.timers.cancelled += self.upgrades.cancel_rule(
                    at_step, kind=firing.kind, rule_id=firing.rule.id, now=now
                )
                continue
            rearmed, cancelled = self.upgrades.rearm(at_step, rule, now=now)
            self.timers.rearmed += rearmed
            self.timers.cancelled += cancelled
        for firing in plan.add:
            rule = self._rule(firing, new)
            if rule is not None:
                self.timers.added += self.upgrades.arm_for_stays(at_step, rule, now=now)

    def run(
        self, target: PipelineTemplateVersion, mapping: Mapping[uuid.UUID, uuid.UUID]
    ) -> UpgradeOut:
        instance = self.instance
        from_version = instance.template_version or 0
        self.upgrades.touch_items(**self.where, now=self.now)
        counts = self.upgrades.items_per_step(**self.where)
        running = instance_running_steps(
            self.uow.template_versions, tenant_id=self.actor.tenant_id, instance_id=instance.id
        )
        if self.many:
            # One mapping serves pipelines that run different versions: each takes the
            # entries for its own steps (a key no pipeline has is refused by the caller).
            present = {step.step_template_id for step, _ in running}
            mapping = {old: new for old, new in mapping.items() if old in present}
        self.mapped = set(mapping)
        published = steps_of_snapshot(target.snapshot)
        plan = plan_upgrade(
            running=[
                RunningStep(
                    step_id=step.id,
                    step_template_id=step.step_template_id,
                    name=step.name,
                    position=step.position,
                    items=counts.get(step.id, 0),
                )
                for step, _ in running
            ],
            target=[
                TargetStep(step_template_id=s.step_template_id, name=s.name, position=s.position)
                for s in published.values()
            ],
            mapping=mapping,
            target_version=target.number,
        )
        if not isinstance(plan, UpgradePlan):
            _refuse(plan, prefix=f"Pipeline “{instance.name}”: " if self.many else "")
        assert isinstance(plan, UpgradePlan)
        by_template: dict[uuid.UUID, tuple[Step, VersionStep]] = {}
        looks = {step.id: look for step, look in running}
        for kept in plan.kept:
            step = next(s for s, _ in running if s.id == kept.step.step_id)
            new_look = published[step.step_template_id]
            old_look = looks.get(step.id)
            old = running_config(self.uow, old_look, step.config_overrides) if old_look else None
            self._kept_timers(step, old, running_config(self.uow, new_look, step.config_overrides))
            step.name, step.position, step.updated_at = new_look.name, new_look.position, self.now
            by_template[step.step_template_id] = (step, new_look)
        for added in plan.added:
            row = new_step_row(
                tenant_id=self.actor.tenant_id,
                instance_id=instance.id,
                step_template_id=added.step_template_id,
                name=added.name,
                position=added.position,
                now=self.now,
            )
            self.upgrades.add(row)
            by_template[added.step_template_id] = (row, published[added.step_template_id])
        self.uow.flush()
        moved = 0
        removed_out = []
        for removed in plan.removed:
            step = next(s for s, _ in running if s.id == removed.step.step_id)
            step.status, step.updated_at = STEP_REMOVED, self.now
            destination = (
                by_template.get(removed.mapped_to.step_template_id) if removed.mapped_to else None
            )
            if destination is not None and removed.step.items:
                moved += self._map(step, destination, target.number)
            removed_out.append(
                RemovedStepOut(
                    step_template_id=step.step_template_id,
                    name=step.name,
                    items=removed.step.items,
                    mapped_to=removed.mapped_to.step_template_id if removed.mapped_to else None,
                    mapped_to_name=removed.mapped_to.name if removed.mapped_to else None,
                )
            )
        instance.template_version, instance.updated_at = target.number, self.now
        self.uow.flush()
        self.upgrades.announce_upgraded(tenant_id=instance.tenant_id, pipeline_id=instance.id)
        report = UpgradeOut(
            pipeline_instance_id=instance.id,
            pipeline_name=instance.name,
            from_version=from_version,
            to_version=target.number,
            dry_run=self.dry_run,
            steps_added=[step.name for step in plan.added],
            steps_removed=removed_out,
            steps_renamed=[
                RenamedStepOut(
                    step_template_id=k.target.step_template_id,
                    old_name=k.step.name,
                    new_name=k.target.name,
                )
                for k in plan.kept
                if k.renamed
            ],
            items_moved=moved,
            timers=self.timers,
            words=[],
        )
        return report.model_copy(update={"words": upgrade_words(report)})

    def _map(self, step: Step, destination: tuple[Step, VersionStep], number: int) -> int:
        to_step, look = destination
        config = running_config(self.uow, look, to_step.config_overrides)
        planned = [
            rows.NewTimer(
                kind=p.firing.kind,
                rule_id=p.firing.rule.id,
                trigger=p.firing.rule.trigger,
                document=_document(p.firing, config),
                due_at=p.due.due_at,
            )
            for p in planned_timers(config, entered_at=self.now, calendar=self.calendar)
        ]
        moved, cancelled, armed = self.upgrades.map_items(
            self._rows(step),
            to_step=to_step.id,
            actor_id=self.actor.account_id,
            activity={
                "from_step_id": str(step.id),
                "from_step": step.name,
                "to_step_id": str(to_step.id),
                "to_step": to_step.name,
                "automatic": False,
                "upgrade_to_version": number,
            },
            timers=planned,
            now=self.now,
        )
        self.timers.cancelled += cancelled
        self.timers.added += armed
        return moved


def _finish(uow: UnitOfWork, reports: list[UpgradeOut], *, dry_run: bool) -> list[UpgradeOut]:
    if dry_run:
        uow.rollback()
    else:
        uow.commit()
    return reports


def items_per_step(uow: UnitOfWork, actor: Actor, instance_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """The items in each step of a pipeline (step id → count), as an upgrade counts those it
    must map: a read, without the locks and writes of a dry run."""
    actor.require_admin("upgrade pipelines")
    return uow.upgrades.items_per_step(tenant_id=actor.tenant_id, instance_id=instance_id)


def upgrade_instance(
    uow: UnitOfWork,
    actor: Actor,
    instance_id: uuid.UUID,
    *,
    to_version: int | None = None,
    step_mapping: Mapping[uuid.UUID, uuid.UUID] | None = None,
    dry_run: bool = False,
) -> UpgradeOut:
    """Upgrades one pipeline to ``to_version`` (default: the template's latest version);
    ``step_mapping``: step template id of a removed step → the one its items go to."""
    actor.require_admin("upgrade pipelines")
    instance = uow.upgrades.locked_instance(tenant_id=actor.tenant_id, instance_id=instance_id)
    if instance is None:
        raise NotFound.one("id", "no such pipeline instance")
    target = _target(uow, actor, instance.pipeline_template_id, to_version)
    if instance.template_version == target.number:
        raise Conflict.one("to_version", f"the pipeline already runs version {target.number}")
    report = _Run(uow, actor, instance, dry_run=dry_run, many=False).run(target, step_mapping or {})
    return _finish(uow, [report], dry_run=dry_run)[0]


def upgrade_template_instances(
    uow: UnitOfWork,
    actor: Actor,
    template_id: uuid.UUID,
    *,
    to_version: int | None = None,
    step_mapping: Mapping[uuid.UUID, uuid.UUID] | None = None,
    dry_run: bool = False,
) -> list[UpgradeOut]:
    """Upgrades every active pipeline of the template that runs another version, all in
    one transaction (one refusal refuses them all), oldest pipeline first."""
    actor.require_admin("upgrade pipelines")
    template = get_template_row(uow, actor, template_id)
    target = _target(uow, actor, template.id, to_version)
    ids = uow.templates.active_instance_ids(actor.tenant_id, template.id)
    reports, used = [], set[uuid.UUID]()
    for instance_id in ids:
        instance = uow.upgrades.locked_instance(tenant_id=actor.tenant_id, instance_id=instance_id)
        if instance is None or instance.template_version == target.number:
            continue
        run = _Run(uow, actor, instance, dry_run=dry_run, many=True)
        reports.append(run.run(target, step_mapping or {}))
        used |= run.mapped
    unused = [old for old in step_mapping or {} if old not in used]
    if reports and unused:
        raise InvalidInput(
            [
                FieldProblem(
                    field=f"step_mapping.{old}",
                    message="is not a step of any pipeline being upgraded",
                )
                for old in unused
            ],
            "The step mapping cannot be used.",
        )
    if not reports:
        raise Conflict.one(
            "to_version",
            f"every active pipeline of the template already runs version {target.number}",
        )
    return _finish(uow, reports, dry_run=dry_run)
