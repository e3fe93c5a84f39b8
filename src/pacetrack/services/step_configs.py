"""The effective configuration of a runtime step, the tenant's calendar and field specs.

A move reads the configuration of two steps and every field definition of the
tenant. Parsing the stored JSON into the engine's frozen values is the costly
part, and it gives the same result as long as the stored documents are the
same, so the parsed values are cached by what identifies their content: a step
template's id and ``updated_at`` plus the step's overrides, and the tenant's
field ids with their ``updated_at``. Only a cheap version query reaches the
database on a hit. The cached values are frozen, so sharing them between
threads and requests is safe; reusing the very same objects also lets the
engine reuse the rule checks it built for them.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from pacetrack.db.tables import FieldDefinition, Step, StepTemplate, Tenant
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import CONFIG_FAMILIES, StepConfig, apply_overrides
from pacetrack.engine.fields import FieldSpec
from pacetrack.services.config_schema import step_config
from pacetrack.services.errors import NotFound
from pacetrack.services.fields import load_field_specs

Value = TypeVar("Value")

OVERRIDE_KEYS = frozenset({*CONFIG_FAMILIES, "target_duration_days"})


class _BoundedCache(Generic[Value]):
    """A small thread-safe LRU map; entries are immutable values."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_configs: _BoundedCache[StepConfig] = _BoundedCache(4096)
_templates: _BoundedCache[StepConfig] = _BoundedCache(4096)
_fields: _BoundedCache[dict[str, FieldSpec]] = _BoundedCache(256)
_calendars: _BoundedCache[BusinessCalendar] = _BoundedCache(1024)


def clear_caches() -> None:
    """Forget every parsed value (tests that rewrite stored rows behind the services' back)."""
    for cache in (_configs, _templates, _fields, _calendars):
        cache.clear()


def _template_config(template: StepTemplate) -> StepConfig:
    key = (template.tenant_id, template.id, template.updated_at)
    cached = _templates.get(key)
    if cached is None:
        cached = step_config(
            {family: getattr(template, _column(family)) for family in CONFIG_FAMILIES},
            target_duration_days=template.target_duration_days,
        )
        _templates.put(key, cached)
    return cached


def _column(family: str) -> str:
    return "metadata_" if family == "metadata" else family


def _overrides_key(overrides: Mapping[str, Any] | None) -> str:
    return json.dumps(overrides or {}, sort_keys=True, default=str)


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


def effective_configs(
    session: Session, *, tenant_id: uuid.UUID, steps: Sequence[Step]
) -> dict[uuid.UUID, StepConfig]:
    """The effective config of each of ``steps`` (keyed by step id), with one query."""
    wanted = {step.step_template_id for step in steps}
    versions = {
        row.id: row.updated_at
        for row in session.execute(
            select(StepTemplate.id, StepTemplate.updated_at).where(
                StepTemplate.tenant_id == tenant_id, StepTemplate.id.in_(wanted)
            )
        )
    }
    result: dict[uuid.UUID, StepConfig] = {}
    missing: list[Step] = []
    for step in steps:
        if step.step_template_id not in versions:
            raise NotFound("The step's template does not exist.")
        key = (
            tenant_id,
            step.step_template_id,
            versions[step.step_template_id],
            _overrides_key(step.config_overrides),
        )
        cached = _configs.get(key)
        if cached is None:
            missing.append(step)
        else:
            result[step.id] = cached
    if missing:
        templates = {
            row.id: row
            for row in session.scalars(
                select(StepTemplate).where(
                    StepTemplate.tenant_id == tenant_id,
                    StepTemplate.id.in_({step.step_template_id for step in missing}),
                )
            )
        }
        for step in missing:
            template = templates[step.step_template_id]
            config = _merge(_template_config(template), step.config_overrides)
            key = (
                tenant_id,
                template.id,
                template.updated_at,
                _overrides_key(step.config_overrides),
            )
            _configs.put(key, config)
            result[step.id] = config
    return result


def effective_config(session: Session, *, tenant_id: uuid.UUID, step: Step) -> StepConfig:
    """The step template's seven families and target duration, with ``step.config_overrides``.

    An override family replaces the template's family as a whole; ``metadata``
    keys are merged over the template's (``engine.config.apply_overrides``).
    """
    return effective_configs(session, tenant_id=tenant_id, steps=[step])[step.id]


def field_specs(session: Session, *, tenant_id: uuid.UUID) -> dict[str, FieldSpec]:
    """Every live field of the tenant, keyed by name; parsed once per change of definitions."""
    versions = tuple(
        sorted(
            (row.id, row.updated_at)
            for row in session.execute(
                select(FieldDefinition.id, FieldDefinition.updated_at).where(
                    FieldDefinition.tenant_id == tenant_id, FieldDefinition.deleted_at.is_(None)
                )
            )
        )
    )
    key = (tenant_id, versions)
    cached = _fields.get(key)
    if cached is None:
        cached = load_field_specs(session, tenant_id=tenant_id)
        _fields.put(key, cached)
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


def business_calendar(tenant: Tenant) -> BusinessCalendar:
    """The tenant's time zone, working weekdays (Monday = 0) and holidays."""
    weekdays = frozenset(
        int(day)
        for day in (tenant.working_weekdays or ())
        if isinstance(day, int) and 0 <= day <= 6
    )
    holidays = frozenset(
        day for day in (_holiday(raw) for raw in (tenant.holidays or ())) if day is not None
    )
    key = (tenant.time_zone, weekdays, holidays)
    cached = _calendars.get(key)
    if cached is None:
        cached = BusinessCalendar(
            time_zone=tenant.time_zone or "UTC", working_weekdays=weekdays, holidays=holidays
        )
        _calendars.put(key, cached)
    return cached


def tenant_calendar(session: Session, *, tenant_id: uuid.UUID) -> BusinessCalendar:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found.")
    return business_calendar(tenant)
