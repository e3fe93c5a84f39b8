"""A rule that is deleted or disabled stops at once.

An armed timer carries the copy of its rule taken when the item entered the step, so
that a firing shows what was configured then. Saving a step template's or a running
step's notifications or automations therefore cancels, in the same transaction, every
armed timer of the affected running steps whose rule is no longer an enabled timed rule
of the step's new effective configuration. Rules that stay keep their timers as armed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from pacetrack.db import timers as timer_rows
from pacetrack.db.tables import Step, StepTemplate
from pacetrack.engine.triggers import timed_rules
from pacetrack.services.step_configs import config_with_overrides
from pacetrack.services.unit_of_work import UnitOfWork

RULE_FAMILIES = frozenset({"notifications", "automations"})
"""The families whose rules arm timers."""


def _stop_for_steps(
    uow: UnitOfWork, *, template: StepTemplate, families: Mapping[str, Any], steps: Sequence[Step]
) -> int:
    now = uow.clock.now()
    cancelled = 0
    for step in steps:
        config = config_with_overrides(
            families,
            target_duration_days=template.target_duration_days,
            overrides=step.config_overrides or {},
        )
        keep = {(firing.kind, firing.rule.id) for firing in timed_rules(config)}
        cancelled += timer_rows.cancel_rules_except(
            uow.session, tenant_id=step.tenant_id, step_id=step.id, keep=keep, now=now
        )
    return cancelled


def stop_removed_rules_of_template(
    uow: UnitOfWork,
    *,
    template: StepTemplate,
    families: Mapping[str, Any],
    changed: Collection[str],
) -> int:
    """After the ``changed`` families of ``template`` are saved (``families``: all of its
    stored families now): the timers cancelled in every running copy of it (a copy whose
    override replaces the family is unaffected, and the recomputed config says so)."""
    if not RULE_FAMILIES & set(changed):
        return 0
    steps = list(
        uow.session.scalars(
            select(Step).where(
                Step.tenant_id == template.tenant_id, Step.step_template_id == template.id
            )
        )
    )
    return _stop_for_steps(uow, template=template, families=families, steps=steps)


def stop_removed_rules_of_step(
    uow: UnitOfWork, *, template: StepTemplate, families: Mapping[str, Any], step: Step
) -> int:
    """After ``step.config_overrides`` is replaced: the timers cancelled at the step."""
    return _stop_for_steps(uow, template=template, families=families, steps=[step])
