"""The effective configuration of a runtime step, the tenant's calendar and field specs.

A move reads the configuration of two steps and every field definition of the
tenant. Parsing the stored JSON into the engine's frozen values is the costly
part, and it gives the same result for the same stored text, so the parsed
values are cached by that text (never by a timestamp: two edits within one
clock tick, or under a frozen test clock, must not share a cache entry), in the
caches of the Container whose session factory opened the session
(``services.caches``). The cached values are frozen, so sharing them between
threads and requests is safe; reusing the very same objects also lets the engine
reuse the rule checks it built for them.

Within one transaction a step's config is also remembered (``uow.memo``), so
the move path and the side effects it triggers read each step once.
``load_pipeline`` reads a pipeline's steps, the configs of the steps a move
needs and the tenant's calendar in one query (round trips dominate a move).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pacetrack.db.repositories.fields import FieldSpecColumns
from pacetrack.db.repositories.steps import CalendarColumns, PipelineRows
from pacetrack.db.tables import Item, Step, Tenant
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import CONFIG_FAMILIES, StepConfig, apply_overrides
from pacetrack.engine.fields import FieldSpec, FieldType
from pacetrack.services.caches import Caches
from pacetrack.services.config_schema import step_config
from pacetrack.services.errors import NotFound
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.version_steps import VersionStep, running_steps

OVERRIDE_KEYS = frozenset({*CONFIG_FAMILIES, "target_duration_days"})

_MEMO = "pacetrack.step_configs"


def _memo(uow: UnitOfWork) -> dict[Hashable, Any]:
    return uow.memo(_MEMO)


def _overrides_key(overrides: Mapping[str, Any] | None) -> str:
    if not overrides:
        return ""  # most steps override nothing: no need to serialise an empty document
    return json.dumps(overrides, sort_keys=True, default=str)


def _config_from_text(
    caches: Caches,
    texts: Sequence[str | None],
    duration: int | None,
    overrides: Mapping[str, Any] | None,
) -> StepConfig:
    key = (tuple(texts), duration, _overrides_key(overrides))
    cached = caches.configs.get(key)
    if cached is None:
        families = {
            family: json.loads(text)
            for family, text in zip(CONFIG_FAMILIES, texts, strict=True)
            if text is not None
        }
        cached = _merge(step_config(families, target_duration_days=duration), overrides)
        caches.configs.put(key, cached)
    return cached


def _merge(template: StepConfig, overrides: Mapping[str, Any] | None) -> StepConfig:
    present = frozenset(key for key in (overrides or {}) if key in OVERRIDE_KEYS)
    if not present:
        return template
    assert overrides is not None
    duration = overrides.get("target_duration_days")
    parsed = step_config(
        {family: overrides[family] for family in CONFIG_FAMILIES if family in present},
        target_duration_days=duration if isinstance(duration, int) else None,
    )
    return apply_overrides(template, parsed, present)


def config_with_overrides(
    families: Mapping[str, Any], *, target_duration_days: int | None, overrides: Mapping[str, Any]
) -> StepConfig:
    """The effective config of a runtime step from its template's stored ``families`` and the
    step's ``config_overrides``, as a move would read it once they are saved."""
    return _merge(step_config(families, target_duration_days=target_duration_days), overrides)


def effective_configs(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, steps: Sequence[Step]
) -> dict[uuid.UUID, StepConfig]:
    """The effective config of each of ``steps`` (keyed by step id), with at most one query."""
    memo = _memo(uow)
    result: dict[uuid.UUID, StepConfig] = {}
    missing: list[Step] = []
    for step in steps:
        known = memo.get(("config", step.id))
        if known is None:
            missing.append(step)
        else:
            result[step.id] = known
    if not missing:
        return result
    versions = uow.template_versions
    version_ids = versions.version_ids_of_steps(tenant_id, [step.id for step in missing])
    running = running_steps(
        versions,
        tenant_id=tenant_id,
        steps=[(step, version_ids.get(step.id)) for step in missing],
    )
    for step in missing:
        published = running.get(step.id)
        if published is None:
            raise NotFound("The step's template does not exist.")
        config = running_config(uow, published, step.config_overrides)
        memo[("config", step.id)] = config
        result[step.id] = config
    return result


def running_config(
    uow: UnitOfWork, published: VersionStep, overrides: Mapping[str, Any] | None
) -> StepConfig:
    """The effective config of a step that runs ``published`` with ``overrides``."""
    return _config_from_text(uow.caches, published.texts, published.target_duration_days, overrides)


def config_of_step(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, step_id: uuid.UUID
) -> StepConfig | None:
    """The effective config of step ``step_id`` (None when the tenant has no such step),
    without a query when this transaction has read it already (a move has)."""
    known: StepConfig | None = _memo(uow).get(("config", step_id))
    if known is not None:
        return known
    step = uow.steps.get(tenant_id, step_id)
    return None if step is None else effective_config(uow, tenant_id=tenant_id, step=step)


def effective_config(uow: UnitOfWork, *, tenant_id: uuid.UUID, step: Step) -> StepConfig:
    """The seven families and target duration of the step in the template version its
    pipeline runs (``services.version_steps``), with ``step.config_overrides``.

    An override family replaces the template's family as a whole; ``metadata``
    keys are merged over the template's (``engine.config.apply_overrides``).
    """
    return effective_configs(uow, tenant_id=tenant_id, steps=[step])[step.id]


def _spec(row: FieldSpecColumns) -> FieldSpec:
    return FieldSpec(
        name=row.name,
        field_type=FieldType(row.field_type),
        label=row.label,
        options=tuple(json.loads(row.options) if row.options else ()),
        is_required=row.is_required,
        min_value=row.min_value,
        max_value=row.max_value,
        pattern=row.pattern,
        precision=row.precision,
    )


def field_specs(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, digest: str | None = None
) -> dict[str, FieldSpec]:
    """Every live field of the tenant, keyed by name; parsed once per content of definitions.

    ``digest``: the tenant's fields digest read in this transaction (PostgreSQL,
    ``load_pipeline``); when the fields with that digest are cached, no query runs.
    """
    memo = _memo(uow)
    known = memo.get(("fields", tenant_id))
    if known is not None:
        return known  # type: ignore[no-any-return]
    caches = uow.caches
    if digest is not None:
        cached = caches.field_specs_by_digest.get((tenant_id, digest))
        if cached is not None:
            memo[("fields", tenant_id)] = cached
            return cached
    rows, read_digest = uow.fields.spec_columns(tenant_id)
    key = (tenant_id, rows)
    cached = caches.field_specs.get(key)
    if cached is None:
        cached = {row.name: _spec(row) for row in rows}
        caches.field_specs.put(key, cached)
    if read_digest is not None:
        caches.field_specs_by_digest.put((tenant_id, read_digest), cached)
    memo[("fields", tenant_id)] = cached
    return cached


def _holiday(raw: object) -> date | None:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            return None
    return None


def _calendar(
    caches: Caches, time_zone: str | None, weekdays_raw: Any, holidays_raw: Any
) -> BusinessCalendar:
    stored = weekdays_raw or ()
    weekdays = frozenset(day for day in stored if isinstance(day, int) and 0 <= day <= 6)
    holidays = frozenset(
        day for day in (_holiday(raw) for raw in (holidays_raw or ())) if day is not None
    )
    key = (time_zone, weekdays, holidays)
    cached = caches.calendars.get(key)
    if cached is None:
        cached = BusinessCalendar(
            time_zone=time_zone or "UTC", working_weekdays=weekdays, holidays=holidays
        )
        caches.calendars.put(key, cached)
    return cached


def business_calendar(caches: Caches, tenant: Tenant) -> BusinessCalendar:
    """The tenant's time zone, working weekdays (Monday = 0) and holidays."""
    return _calendar(caches, tenant.time_zone, tenant.working_weekdays, tenant.holidays)


def _stored_calendar(caches: Caches, columns: CalendarColumns) -> BusinessCalendar:
    return _calendar(caches, columns.time_zone, columns.working_weekdays, columns.holidays)


def tenant_calendar(uow: UnitOfWork, *, tenant_id: uuid.UUID) -> BusinessCalendar:
    memo = _memo(uow)
    known = memo.get(("calendar", tenant_id))
    if known is not None:
        return known  # type: ignore[no-any-return]
    tenant = uow.tenants.get(tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found.")
    calendar = business_calendar(uow.caches, tenant)
    memo[("calendar", tenant_id)] = calendar
    return calendar


@dataclass(frozen=True, kw_only=True)
class PipelineConfigs:
    """A pipeline instance's steps in order, the configs asked for, the tenant's calendar."""

    steps: list[Step]
    configs: dict[uuid.UUID, StepConfig]
    calendar: BusinessCalendar
    fields_digest: str | None = None
    """PostgreSQL: the digest of the tenant's fields, for ``field_specs``."""


def load_pipeline(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    wanted: Collection[uuid.UUID | None],
) -> PipelineConfigs:
    """One query: every running step of the instance with the id of the version row it
    runs, and the tenant's calendar columns; the configs of the ``wanted`` steps come from
    that version (parsed once per Container, read only the first time it is needed)."""
    rows = uow.steps.pipeline_rows(tenant_id, instance_id)
    return _pipeline_configs(uow, tenant_id=tenant_id, rows=rows, wanted=wanted)


def lock_item_with_pipeline(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    wanted: Collection[uuid.UUID],
) -> tuple[Item, PipelineConfigs] | None:
    """The item ``item_id`` locked for the rest of the transaction, with what
    ``load_pipeline`` reads for its pipeline (the item's current step always among the
    wanted ones), in one query; None when there is no such item of the tenant."""
    locked = uow.items.lock_with_pipeline(tenant_id, item_id)
    if locked is None:
        return None
    item = locked.item
    return item, _pipeline_configs(
        uow, tenant_id=tenant_id, rows=locked.pipeline, wanted={item.current_step_id, *wanted}
    )


def _pipeline_configs(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    rows: PipelineRows,
    wanted: Collection[uuid.UUID | None],
) -> PipelineConfigs:
    """``PipelineConfigs`` from a pipeline's steps (each with the id of the version row its
    pipeline runs) and the tenant's calendar columns when read."""
    memo = _memo(uow)
    steps: list[Step] = [step for step, _ in rows.steps]
    configs: dict[uuid.UUID, StepConfig] = {}
    chosen = [(step, version_id) for step, version_id in rows.steps if step.id in wanted]
    for step_id, published in running_steps(
        uow.template_versions, tenant_id=tenant_id, steps=chosen
    ).items():
        step = next(step for step, _ in chosen if step.id == step_id)
        config = running_config(uow, published, step.config_overrides)
        memo[("config", step.id)] = config
        configs[step.id] = config
    if rows.calendar is not None:
        calendar = _stored_calendar(uow.caches, rows.calendar)
        memo[("calendar", tenant_id)] = calendar
    else:
        calendar = tenant_calendar(uow, tenant_id=tenant_id)
    return PipelineConfigs(
        steps=steps, configs=configs, calendar=calendar, fields_digest=rows.fields_digest
    )
