"""A rule that is deleted or disabled stops at once.

An armed timer carries the copy of its rule taken when the item entered the step, so
that a firing shows what was configured then. Saving a running step's overrides
therefore cancels, in the same transaction, every armed timer of the step whose rule is
no longer an enabled timed rule of the step's new effective configuration (the version
its pipeline runs, with the new overrides). Rules that stay keep their timers as armed.

An edit to a step template is a draft that no running step reads: its rules reach
running pipelines, and their timers change, when a version is published and the
pipelines are upgraded to it (``services.template_upgrade``).
"""

from __future__ import annotations

from pacetrack.db.tables import Step
from pacetrack.engine.triggers import timed_rules
from pacetrack.services.step_configs import config_with_overrides
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.version_steps import VersionStep


def stop_removed_rules_of_step(uow: UnitOfWork, *, template: VersionStep, step: Step) -> int:
    """After ``step.config_overrides`` is replaced (``template``: the step as the version its
    pipeline runs has it): the timers cancelled at the step."""
    config = config_with_overrides(
        template.families,
        target_duration_days=template.target_duration_days,
        overrides=step.config_overrides or {},
    )
    keep = {(firing.kind, firing.rule.id) for firing in timed_rules(config)}
    return uow.timers.cancel_rules_except(step.tenant_id, step.id, keep=keep, now=uow.clock.now())
