"""What an upgrade of a running pipeline changed (or, on a dry run, would change)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from pacetrack.engine.words import counted
from pacetrack.services.activity_words import joined


class RemovedStepOut(BaseModel):
    step_template_id: uuid.UUID
    name: str
    items: int = Field(description="Items in the step before the upgrade")
    mapped_to: uuid.UUID | None = Field(description="The step template id its items went to")
    mapped_to_name: str | None


class RenamedStepOut(BaseModel):
    step_template_id: uuid.UUID
    old_name: str
    new_name: str


class TimerCounts(BaseModel):
    cancelled: int = 0
    rearmed: int = 0
    added: int = 0


class UpgradeOut(BaseModel):
    pipeline_instance_id: uuid.UUID
    pipeline_name: str
    from_version: int
    to_version: int
    dry_run: bool
    steps_added: list[str]
    steps_removed: list[RemovedStepOut]
    steps_renamed: list[RenamedStepOut]
    items_moved: int
    timers: TimerCounts
    words: list[str] = Field(description="Every change as a sentence")


def _quoted(names: list[str]) -> str:
    return joined([f"“{name}”" for name in names])


def upgrade_words(report: UpgradeOut) -> list[str]:
    verb = "would move" if report.dry_run else "moved"
    words = [
        f"“{report.pipeline_name}” {'would run' if report.dry_run else 'runs'} version "
        f"{report.to_version} instead of version {report.from_version}."
    ]
    if report.steps_added:
        words.append(f"Steps added: {_quoted(report.steps_added)}.")
    for step in report.steps_removed:
        if step.items and step.mapped_to_name:
            words.append(
                f"Step “{step.name}” is removed; its {counted(step.items, 'item')} "
                f"{verb} to “{step.mapped_to_name}”."
            )
        else:
            words.append(f"Step “{step.name}” is removed; it had no items.")
    for renamed in report.steps_renamed:
        words.append(f"Step “{renamed.old_name}” is renamed “{renamed.new_name}”.")
    timers = report.timers
    if timers.cancelled or timers.rearmed or timers.added:
        words.append(
            f"Timers: {counted(timers.cancelled, 'timer')} cancelled, "
            f"{timers.rearmed} re-armed at their new due time, {timers.added} armed."
        )
    else:
        words.append("No armed timer changes.")
    return words
