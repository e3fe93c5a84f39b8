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

Within one transaction a step's config is also remembered on the session, so
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

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from pacetrack.db.driver import DriverStatement, attach, columns_of, fetch_all
from pacetrack.db.session import transaction_memo
from pacetrack.db.tables import RUNNING_STEP, FieldDefinition, Item, PipelineInstance, Step, Tenant
from pacetrack.db.tables_versions import PipelineTemplateVersion
from pacetrack.engine.calendar import BusinessCalendar
from pacetrack.engine.config import CONFIG_FAMILIES, StepConfig, apply_overrides
from pacetrack.engine.fields import FieldSpec, FieldType
from pacetrack.services.caches import Caches, caches_of
from pacetrack.services.config_schema import step_config
from pacetrack.services.errors import NotFound
from pacetrack.services.version_steps import (
    VersionStep,
    running_steps,
    version_ids_of,
    version_join,
)

OVERRIDE_KEYS = frozenset({*CONFIG_FAMILIES, "target_duration_days"})

_MEMO = "pacetrack.step_configs"


def _memo(session: Session) -> dict[Hashable, Any]:
    return transaction_memo(session, _MEMO)


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
    session: Session, *, tenant_id: uuid.UUID, steps: Sequence[Step]
) -> dict[uuid.UUID, StepConfig]:
    """The effective config of each of ``steps`` (keyed by step id), with at most one query."""
    memo = _memo(session)
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
    version_ids = version_ids_of(
        session, tenant_id=tenant_id, step_ids=[step.id for step in missing]
    )
    running = running_steps(
        session,
        tenant_id=tenant_id,
        steps=[(step, version_ids.get(step.id)) for step in missing],
    )
    for step in missing:
        published = running.get(step.id)
        if published is None:
            raise NotFound("The step's template does not exist.")
        config = running_config(session, published, step.config_overrides)
        memo[("config", step.id)] = config
        result[step.id] = config
    return result


def running_config(
    session: Session, published: VersionStep, overrides: Mapping[str, Any] | None
) -> StepConfig:
    """The effective config of a step that runs ``published`` with ``overrides``."""
    return _config_from_text(
        caches_of(session), published.texts, published.target_duration_days, overrides
    )


def config_of_step(
    session: Session, *, tenant_id: uuid.UUID, step_id: uuid.UUID
) -> StepConfig | None:
    """The effective config of step ``step_id`` (None when the tenant has no such step),
    without a query when this transaction has read it already (a move has)."""
    known: StepConfig | None = _memo(session).get(("config", step_id))
    if known is not None:
        return known
    step = session.get(Step, (tenant_id, step_id))
    return None if step is None else effective_config(session, tenant_id=tenant_id, step=step)


def effective_config(session: Session, *, tenant_id: uuid.UUID, step: Step) -> StepConfig:
    """The seven families and target duration of the step in the template version its
    pipeline runs (``services.version_steps``), with ``step.config_overrides``.

    An override family replaces the template's family as a whole; ``metadata``
    keys are merged over the template's (``engine.config.apply_overrides``).
    """
    return effective_configs(session, tenant_id=tenant_id, steps=[step])[step.id]


_FIELD_COLUMNS = (
    FieldDefinition.name,
    FieldDefinition.field_type,
    FieldDefinition.label,
    cast(FieldDefinition.options, Text),
    FieldDefinition.is_required,
    FieldDefinition.min_value,
    FieldDefinition.max_value,
    FieldDefinition.pattern,
    FieldDefinition.precision,
)


_FIELDS_QUERY = (
    select(*_FIELD_COLUMNS)
    .where(
        FieldDefinition.tenant_id == bindparam("tenant_id"), FieldDefinition.deleted_at.is_(None)
    )
    .order_by(FieldDefinition.name)
)


def _spec(row: Sequence[Any]) -> FieldSpec:
    name, field_type, label, options, is_required, low, high, pattern, precision = row
    return FieldSpec(
        name=name,
        field_type=FieldType(field_type),
        label=label,
        options=tuple(json.loads(options) if options else ()),
        is_required=bool(is_required),
        min_value=low,
        max_value=high,
        pattern=pattern,
        precision=precision,
    )


# PostgreSQL: a revision of the tenant's live field definitions, read in the statement
# that reads the pipeline, so a move whose fields are cached needs no query of its own
# for them: how many there are, and the newest transaction that wrote one (``xmin``,
# which every insert and update of a row sets). Any change to the live set changes one
# of the two, and reading them costs nothing per field, unlike hashing the rows.
_FIELDS_DIGEST = (
    select(
        func.concat(
            func.count(),
            ":",
            func.max(cast(cast(literal_column("field_definition.xmin"), Text), BigInteger)),
        )
    )
    .where(
        FieldDefinition.tenant_id == bindparam("tenant_id"), FieldDefinition.deleted_at.is_(None)
    )
    .scalar_subquery()
)
_FIELDS_QUERY_PG = _FIELDS_QUERY.add_columns(_FIELDS_DIGEST)


def field_specs(
    session: Session, *, tenant_id: uuid.UUID, digest: str | None = None
) -> dict[str, FieldSpec]:
    """Every live field of the tenant, keyed by name; parsed once per content of definitions.

    ``digest``: the tenant's fields digest read in this transaction (PostgreSQL,
    ``load_pipeline``); when the fields with that digest are cached, no query runs.
    """
    memo = _memo(session)
    known = memo.get(("fields", tenant_id))
    if known is not None:
        return known  # type: ignore[no-any-return]
    caches = caches_of(session)
    if digest is not None:
        cached = caches.field_specs_by_digest.get((tenant_id, digest))
        if cached is not None:
            memo[("fields", tenant_id)] = cached
            return cached
    postgres = session.get_bind().dialect.name == "postgresql"
    result = session.execute(
        _FIELDS_QUERY_PG if postgres else _FIELDS_QUERY, {"tenant_id": tenant_id}
    )
    raw = [tuple(row) for row in result]
    rows = tuple(row[: len(_FIELD_COLUMNS)] for row in raw)
    key = (tenant_id, rows)
    cached = caches.field_specs.get(key)
    if cached is None:
        cached = {str(row[0]): _spec(row) for row in rows}
        caches.field_specs.put(key, cached)
    if postgres and raw:
        # The digest read in the same statement as the rows, so it describes them.
        caches.field_specs_by_digest.put((tenant_id, raw[0][-1]), cached)
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


def tenant_calendar(session: Session, *, tenant_id: uuid.UUID) -> BusinessCalendar:
    memo = _memo(session)
    known = memo.get(("calendar", tenant_id))
    if known is not None:
        return known  # type: ignore[no-any-return]
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found.")
    calendar = business_calendar(caches_of(session), tenant)
    memo[("calendar", tenant_id)] = calendar
    return calendar


# Built once: constructing a statement and its cache key costs more than running it.
_ON_INSTANCE, _ON_VERSION = version_join()
_STEP_ROW_TAIL = (
    PipelineTemplateVersion.id.label("version_id"),
    Tenant.time_zone,
    Tenant.working_weekdays,
    Tenant.holidays,
)
"""After a step: the id of the version row its pipeline runs, the tenant's calendar
columns (``_pipeline_from_rows`` reads rows of this shape)."""


_PIPELINE_QUERY = (
    select(Step, *_STEP_ROW_TAIL)
    .join(Tenant, Tenant.id == Step.tenant_id)
    .join(PipelineInstance, _ON_INSTANCE)
    .outerjoin(PipelineTemplateVersion, _ON_VERSION)
    .where(
        Step.tenant_id == bindparam("tenant_id"),
        Step.pipeline_instance_id == bindparam("instance_id"),
        RUNNING_STEP,
    )
    .order_by(Step.position, Step.name)
)


_PIPELINE_QUERY_PG = _PIPELINE_QUERY.add_columns(_FIELDS_DIGEST)


@dataclass(frozen=True, kw_only=True)
class PipelineConfigs:
    """A pipeline instance's steps in order, the configs asked for, the tenant's calendar."""

    steps: list[Step]
    configs: dict[uuid.UUID, StepConfig]
    calendar: BusinessCalendar
    fields_digest: str | None = None
    """PostgreSQL: the digest of the tenant's fields, for ``field_specs``."""


def load_pipeline(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    instance_id: uuid.UUID,
    wanted: Collection[uuid.UUID | None],
) -> PipelineConfigs:
    """One query: every running step of the instance with the id of the version row it
    runs, and the tenant's calendar columns; the configs of the ``wanted`` steps come from
    that version (parsed once per Container, read only the first time it is needed)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    rows = session.execute(
        _PIPELINE_QUERY_PG if postgres else _PIPELINE_QUERY,
        {"tenant_id": tenant_id, "instance_id": instance_id},
    ).all()
    return _pipeline_from_rows(
        session,
        tenant_id=tenant_id,
        rows=rows,
        wanted=wanted,
        calendar_columns=rows[0][2:5] if rows else None,
        digest=rows[0][-1] if postgres and rows else None,
    )


# The item locked (FOR UPDATE) and its pipeline read in the same statement: a move is
# bound by round trips, and this one is the first of them. The locked item is one row
# (with the tenant's calendar and, on PostgreSQL, the fields digest); each step of its
# pipeline is a row of its own, so the item's values are read once, however many steps.
_ITEM_COLUMNS = columns_of(Item)
_STEP_COLUMNS = columns_of(Step)
_ITEM_ID_AT = _ITEM_COLUMNS.index(Item.__table__.c.id)
_STEP_ID_AT = len(_ITEM_COLUMNS) + _STEP_COLUMNS.index(Step.__table__.c.id)
_STEP_END = len(_ITEM_COLUMNS) + len(_STEP_COLUMNS)
_CALENDAR_AT = _STEP_END + 1
_SEEN_VERSION_AT = _CALENDAR_AT + 3


def _nothing(column: Any, label: str | None = None) -> ColumnElement[Any]:
    """A typed NULL in place of ``column`` (both halves of a UNION need the same types)."""
    typed = cast(null(), column.type)
    return typed.label(label) if label else typed


def _item_pipeline_select(*, digest: bool) -> Select[Any]:
    locked = (
        select(*_ITEM_COLUMNS)
        .where(Item.tenant_id == bindparam("tenant_id"), Item.id == bindparam("item_id"))
        .with_for_update()
        .cte("locked")
    )
    # The item's version as of the statement's snapshot, beside the locked (newest) one:
    # when they differ, the item was written by a transaction that committed while this
    # statement waited for the lock (an upgrade writes every item of its pipeline), and
    # the steps read from the snapshot may be out of date.
    seen_version = (
        select(Item.version)
        .where(Item.tenant_id == bindparam("tenant_id"), Item.id == bindparam("item_id"))
        .scalar_subquery()
    )
    step_nulls = [_nothing(column) for column in _STEP_COLUMNS]
    order_at = len(_ITEM_COLUMNS) + _STEP_COLUMNS.index(Step.__table__.c.order)
    name_at = len(_ITEM_COLUMNS) + _STEP_COLUMNS.index(Step.__table__.c.name)
    columns = [
        *locked.c,
        *step_nulls,
        _nothing(_STEP_ROW_TAIL[0]),
        *_STEP_ROW_TAIL[1:],
        seen_version,
        *([_FIELDS_DIGEST] if digest else []),
    ]
    # Every column of the union named by its place (the first SELECT names them), so that
    # none is taken for another and the steps can be ordered by position and name.
    item_row = select(
        *(column.label(f"c{place}") for place, column in enumerate(columns))
    ).join_from(locked, Tenant, Tenant.id == locked.c.tenant_id)
    step_rows = (
        select(
            *(_nothing(column) for column in _ITEM_COLUMNS),
            *_STEP_COLUMNS,
            _STEP_ROW_TAIL[0],
            *(_nothing(column) for column in _STEP_ROW_TAIL[1:]),
            _nothing(Item.version),
            *([cast(null(), Text)] if digest else []),
        )
        .join_from(
            locked,
            Step,
            and_(
                Step.tenant_id == locked.c.tenant_id,
                Step.pipeline_instance_id == locked.c.pipeline_instance_id,
                RUNNING_STEP,
            ),
        )
        .join(PipelineInstance, _ON_INSTANCE)
        .outerjoin(PipelineTemplateVersion, _ON_VERSION)
    )
    both = union_all(item_row, step_rows).subquery()
    return select(both).order_by(both.c[f"c{order_at}"], both.c[f"c{name_at}"])


_ITEM_PIPELINE_QUERY = _item_pipeline_select(digest=False)
# PostgreSQL: on the driver's cursor (``db.driver``).
_ITEM_PIPELINE_DRIVER = DriverStatement(_item_pipeline_select(digest=True))
_READS_AFTER_A_WAIT = 3
"""How often the statement is read again when the item changed while it waited."""


def lock_item_with_pipeline(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    item_id: uuid.UUID,
    wanted: Collection[uuid.UUID],
) -> tuple[Item, PipelineConfigs] | None:
    """The item ``item_id`` locked for the rest of the transaction, with what
    ``load_pipeline`` reads for its pipeline (the item's current step always among the
    wanted ones), in one query; None when there is no such item of the tenant.

    When the item changed while the statement waited for its lock, the statement runs
    again (the item is locked by then, so the second reading is current): the steps and
    version of the first one come from before that change, which may have been an upgrade.

    SQLite has no row locks; its transactions begin IMMEDIATE (``db.session``),
    which serialises writers for the same effect.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    params = {"tenant_id": tenant_id, "item_id": item_id}
    rows: Sequence[Sequence[Any]] = ()
    item_row: Sequence[Any] | None = None
    for _ in range(_READS_AFTER_A_WAIT):
        if postgres:
            rows = fetch_all(session, _ITEM_PIPELINE_DRIVER, params)
        else:
            rows = session.execute(_ITEM_PIPELINE_QUERY, params).all()
        item_row = next((row for row in rows if row[_ITEM_ID_AT] is not None), None)
        if item_row is None:
            return None
        locked_version = item_row[_ITEM_COLUMNS.index(Item.__table__.c.version)]
        if item_row[_SEEN_VERSION_AT] == locked_version:
            break
    assert item_row is not None
    item = attach(session, Item, item_row[: len(_ITEM_COLUMNS)])
    steps = [
        (attach(session, Step, row[len(_ITEM_COLUMNS) : _STEP_END]), *row[_STEP_END:])
        for row in rows
        if row[_STEP_ID_AT] is not None
    ]
    return item, _pipeline_from_rows(
        session,
        tenant_id=tenant_id,
        rows=steps,
        wanted={item.current_step_id, *wanted},
        calendar_columns=item_row[_CALENDAR_AT : _CALENDAR_AT + 3],
        digest=item_row[-1] if postgres else None,
    )


def _pipeline_from_rows(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    rows: Sequence[Sequence[Any]],
    wanted: Collection[uuid.UUID | None],
    calendar_columns: Sequence[Any] | None,
    digest: str | None,
) -> PipelineConfigs:
    """``PipelineConfigs`` from rows of (step, id of the version row its pipeline runs, ...)
    and the tenant's calendar columns (time zone, working weekdays, holidays) when read."""
    memo = _memo(session)
    steps: list[Step] = [row[0] for row in rows]
    configs: dict[uuid.UUID, StepConfig] = {}
    chosen = [(row[0], row[1]) for row in rows if row[0].id in wanted]
    for step_id, published in running_steps(session, tenant_id=tenant_id, steps=chosen).items():
        step = next(step for step, _ in chosen if step.id == step_id)
        config = running_config(session, published, step.config_overrides)
        memo[("config", step.id)] = config
        configs[step.id] = config
    if calendar_columns is not None:
        calendar = _calendar(caches_of(session), *calendar_columns)
        memo[("calendar", tenant_id)] = calendar
    else:
        calendar = tenant_calendar(session, tenant_id=tenant_id)
    return PipelineConfigs(steps=steps, configs=configs, calendar=calendar, fields_digest=digest)
