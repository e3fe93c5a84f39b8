"""What upgrading a running pipeline to another template version changes: pure decisions.

Steps are matched by their step template id. A step of the target version that the
pipeline lacks is added; a step the target version lacks is removed, and its items must
be mapped to a step of the target version (a removed step without items needs no
mapping); a kept step keeps its items and overrides and takes the version's name and
position. Timed rules are compared per kept step, old effective config against new.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pacetrack.engine.config import StepConfig, TriggerSettings
from pacetrack.engine.triggers import Firing, timed_rules
from pacetrack.engine.words import counted


@dataclass(frozen=True, kw_only=True)
class RunningStep:
    """A step of the pipeline as it runs now, with how many items are in it."""

    step_id: uuid.UUID
    step_template_id: uuid.UUID
    name: str
    position: int
    items: int


@dataclass(frozen=True, kw_only=True)
class TargetStep:
    """A step of the target version."""

    step_template_id: uuid.UUID
    name: str
    position: int


@dataclass(frozen=True, kw_only=True)
class RemovedStep:
    step: RunningStep
    mapped_to: TargetStep | None


@dataclass(frozen=True, kw_only=True)
class KeptStep:
    step: RunningStep
    target: TargetStep

    @property
    def renamed(self) -> bool:
        return self.step.name != self.target.name


@dataclass(frozen=True, kw_only=True)
class UpgradePlan:
    added: tuple[TargetStep, ...]
    removed: tuple[RemovedStep, ...]
    kept: tuple[KeptStep, ...]


@dataclass(frozen=True, kw_only=True)
class PlanProblem:
    """A refusal: ``conflict`` (a mapping is missing) or ``invalid`` (a mapping is wrong)."""

    kind: Literal["conflict", "invalid"]
    key: uuid.UUID | None
    message: str


def plan_upgrade(
    *,
    running: Sequence[RunningStep],
    target: Sequence[TargetStep],
    mapping: Mapping[uuid.UUID, uuid.UUID],
    target_version: int,
) -> UpgradePlan | tuple[PlanProblem, ...]:
    """The plan, or every problem with ``mapping`` (old step template id to new one)."""
    by_template = {step.step_template_id: step for step in target}
    present = {step.step_template_id: step for step in running}
    problems: list[PlanProblem] = []
    for old, new in mapping.items():
        source = present.get(old)
        if source is None:
            problems.append(
                PlanProblem(kind="invalid", key=old, message="is not a step of this pipeline")
            )
        elif old in by_template:
            problems.append(
                PlanProblem(
                    kind="invalid",
                    key=old,
                    message=f"“{source.name}” is kept by version {target_version}; "
                    "only removed steps are mapped",
                )
            )
        elif new not in by_template:
            name = present[new].name if new in present else str(new)
            problems.append(
                PlanProblem(
                    kind="invalid",
                    key=old,
                    message=f"“{source.name}” is mapped to “{name}”, "
                    f"which is not a step of version {target_version}",
                )
            )
    for step in running:
        if (
            step.step_template_id not in by_template
            and step.items
            and step.step_template_id not in mapping
        ):
            problems.append(
                PlanProblem(
                    kind="conflict",
                    key=step.step_template_id,
                    message=f"“{step.name}” has {counted(step.items, 'item')} and is not in "
                    f"version {target_version}: map it to a step of that version",
                )
            )
    if problems:
        return tuple(problems)
    return UpgradePlan(
        added=tuple(step for step in target if step.step_template_id not in present),
        removed=tuple(
            RemovedStep(step=step, mapped_to=_mapped(step, mapping, by_template))
            for step in running
            if step.step_template_id not in by_template
        ),
        kept=tuple(
            KeptStep(step=step, target=by_template[step.step_template_id])
            for step in running
            if step.step_template_id in by_template
        ),
    )


def _mapped(
    step: RunningStep,
    mapping: Mapping[uuid.UUID, uuid.UUID],
    by_template: Mapping[uuid.UUID, TargetStep],
) -> TargetStep | None:
    new = mapping.get(step.step_template_id)
    return None if new is None else by_template.get(new)


RuleKey = tuple[str, str]


@dataclass(frozen=True, kw_only=True)
class TimerPlan:
    """How a kept step's armed timers follow its new config."""

    keep: frozenset[RuleKey]
    """The timed rules of the new config: an armed timer of any other rule is cancelled."""
    rearm: tuple[Firing, ...]
    """Rules in both whose settings (or, for ``at_risk``, the target duration) changed."""
    add: tuple[Firing, ...]
    """Rules new to the step: armed for the items in it."""


def _keyed(config: StepConfig | None) -> dict[RuleKey, Firing]:
    if config is None:
        return {}
    return {(firing.kind, firing.rule.id): firing for firing in timed_rules(config)}


def timer_plan(old: StepConfig | None, new: StepConfig) -> TimerPlan:
    before, after = _keyed(old), _keyed(new)
    old_target = old.target_duration_days if old is not None else None

    def changed(key: RuleKey) -> bool:
        rule = after[key].rule
        if before[key].rule != rule:
            return True
        return rule.trigger == "at_risk" and old_target != new.target_duration_days

    return TimerPlan(
        keep=frozenset(after),
        rearm=tuple(after[key] for key in after if key in before and changed(key)),
        add=tuple(after[key] for key in after if key not in before),
    )


@dataclass(frozen=True, kw_only=True)
class Offsets:
    """Occurrence ``k`` of a timed rule falls due ``first + (k - 1) * every`` days after entry;
    ``every`` None: the rule has occurrence 1 only."""

    first: int
    every: int | None
    business: bool


def offsets(rule: TriggerSettings, *, target_duration_days: int | None) -> Offsets | None:
    """The due-time arithmetic of ``rule`` (as ``engine.timers`` does it); None when it has
    no due time (an ``at_risk`` rule of a step without a target duration)."""
    business = rule.day_kind == "business"
    if rule.trigger == "at_risk":
        if target_duration_days is None:
            return None
        first = max(target_duration_days + (rule.threshold_days or 0), 0)
        return Offsets(first=first, every=None, business=business)
    if rule.trigger == "on_duration" and rule.duration_days is not None:
        every = rule.repeat_every_days or None
        return Offsets(first=max(rule.duration_days, 0), every=every, business=business)
    return None
