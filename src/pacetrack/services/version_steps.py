"""What a running step does: its entry in the template version its pipeline runs.

A pipeline runs the version it records (``pipeline_instance.template_version``), not the
template's draft: a runtime step's families, target duration, colour, icon and
description come from that version's snapshot, found by the step's ``step_template_id``,
and its ``config_overrides`` apply on top. Versions are never changed once written, so a
version's parsed steps are cached by the version row's id in the Container's caches
(``services.caches``; an id is never reused, not even after a publish that was rolled back).

A step whose template is missing from its version (a pipeline from before versions whose
step template had been deleted by then) falls back to the step template row as stored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pacetrack.db.repositories.template_versions import TemplateVersionRepository
from pacetrack.db.tables import Step, StepTemplate
from pacetrack.engine.config import CONFIG_FAMILIES
from pacetrack.services.caches import caches_of


@dataclass(frozen=True, kw_only=True)
class VersionStep:
    """One step of a published version (or, as a fallback, of the stored template)."""

    step_template_id: uuid.UUID
    name: str
    description: str
    position: int
    target_duration_days: int | None
    color: str | None
    icon: str | None
    families: Mapping[str, Any]
    texts: tuple[str | None, ...]
    """Each family as JSON text in ``CONFIG_FAMILIES`` order: the parsed-config cache key."""

    @property
    def metadata(self) -> Mapping[str, Any]:
        value = self.families.get("metadata")
        return value if isinstance(value, Mapping) else {}


VersionSteps = Mapping[uuid.UUID, VersionStep]
"""A version's steps by step template id."""

_MEMO = "pacetrack.version_steps"


def _texts(families: Mapping[str, Any]) -> tuple[str | None, ...]:
    return tuple(
        json.dumps(families[family], sort_keys=True, default=str) if family in families else None
        for family in CONFIG_FAMILIES
    )


def _step_of(entry: Mapping[str, Any]) -> VersionStep:
    families = {family: entry[family] for family in CONFIG_FAMILIES if family in entry}
    duration = entry.get("target_duration_days")
    return VersionStep(
        step_template_id=uuid.UUID(str(entry["id"])),
        name=str(entry.get("name", "")),
        description=str(entry.get("description") or ""),
        position=int(entry.get("position", 0)),
        target_duration_days=duration if isinstance(duration, int) else None,
        color=entry.get("color"),
        icon=entry.get("icon"),
        families=families,
        texts=_texts(families),
    )


def steps_of_snapshot(snapshot: Mapping[str, Any]) -> dict[uuid.UUID, VersionStep]:
    """A version snapshot's steps by step template id, in the version's order; their
    ``position`` is their place in that order from 1 (a draft's positions may tie)."""
    steps = (_step_of(entry) for entry in snapshot.get("steps") or [])
    return {
        step.step_template_id: replace(step, position=place)
        for place, step in enumerate(steps, start=1)
    }


def _live(row: StepTemplate) -> VersionStep:
    families = {
        family: getattr(row, "metadata_" if family == "metadata" else family)
        for family in CONFIG_FAMILIES
    }
    return VersionStep(
        step_template_id=row.id,
        name=row.name,
        description=row.description or "",
        position=row.position,
        target_duration_days=row.target_duration_days,
        color=row.color,
        icon=row.icon,
        families=families,
        texts=_texts(families),
    )


def versions_by_id(
    versions: TemplateVersionRepository,
    *,
    tenant_id: uuid.UUID,
    version_ids: Collection[uuid.UUID],
) -> dict[uuid.UUID, VersionSteps]:
    """The parsed steps of each version row (read only for those not cached yet)."""
    cached_versions = caches_of(versions).versions
    found: dict[uuid.UUID, VersionSteps] = {}
    missing = []
    for version_id in set(version_ids):
        cached = cached_versions.get((tenant_id, version_id))
        if cached is None:
            missing.append(version_id)
        else:
            found[version_id] = cached
    if missing:
        for version_id, snapshot in versions.snapshots(tenant_id, missing).items():
            parsed = steps_of_snapshot(snapshot)
            cached_versions.put((tenant_id, version_id), parsed)
            found[version_id] = parsed
    return found


def running_steps(
    versions: TemplateVersionRepository,
    *,
    tenant_id: uuid.UUID,
    steps: Sequence[tuple[Step, uuid.UUID | None]],
) -> dict[uuid.UUID, VersionStep]:
    """What each step (with the id of the version row its pipeline runs) does, by step id."""
    memo = versions.memo(_MEMO)
    parsed = versions_by_id(
        versions,
        tenant_id=tenant_id,
        version_ids={version_id for _, version_id in steps if version_id is not None},
    )
    result: dict[uuid.UUID, VersionStep] = {}
    fallback: list[Step] = []
    for step, version_id in steps:
        entry = parsed.get(version_id) if version_id is not None else None
        published = entry.get(step.step_template_id) if entry is not None else None
        if published is not None:
            result[step.id] = published
        elif (known := memo.get(step.step_template_id)) is not None:
            result[step.id] = known
        else:
            fallback.append(step)
    if fallback:
        rows = versions.stored_step_templates(
            tenant_id, {step.step_template_id for step in fallback}
        )
        live = {row.id: _live(row) for row in rows}
        for step in fallback:
            if step.step_template_id in live:
                memo[step.step_template_id] = live[step.step_template_id]
                result[step.id] = live[step.step_template_id]
    return result


def instance_running_steps(
    versions: TemplateVersionRepository, *, tenant_id: uuid.UUID, instance_id: uuid.UUID
) -> list[tuple[Step, VersionStep | None]]:
    """The instance's steps in order (removed ones left out), each with what it does."""
    pairs = versions.running_steps_of_instance(tenant_id, instance_id)
    found = running_steps(versions, tenant_id=tenant_id, steps=pairs)
    return [(step, found.get(step.id)) for step, _ in pairs]


def version_board(
    versions: TemplateVersionRepository,
    *,
    tenant_id: uuid.UUID,
    template_id: uuid.UUID,
    number: int | None,
) -> Mapping[str, Any] | None:
    """The board setting (money field, card fields) of version ``number`` of the template,
    which a pipeline running it shows. One statement reads the version row's id with the
    template's own setting, the fallback for a pipeline without a version row or a
    version whose snapshot has none; the snapshot is read once per version (the
    Container's caches)."""
    found = versions.board_with_version_id(tenant_id, template_id, number)
    if found is None:
        return None
    live, version_id = found
    if version_id is None:
        return live if isinstance(live, Mapping) else None
    boards = caches_of(versions).boards
    cached = boards.get((tenant_id, version_id))
    if cached is None:
        snapshot = versions.snapshot(tenant_id, version_id)
        board = (snapshot or {}).get("board")
        cached = (board if isinstance(board, Mapping) else None,)
        boards.put((tenant_id, version_id), cached)
    chosen = cached[0] if cached[0] is not None else live
    return chosen if isinstance(chosen, Mapping) else None
