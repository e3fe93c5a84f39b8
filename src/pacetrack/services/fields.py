"""Field definitions: the custom fields of a tenant."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import FieldDefinition, StepTemplate
from pacetrack.engine.fields import NAME_PATTERN, NUMERIC_TYPES, OPTION_TYPES, FieldSpec, FieldType
from pacetrack.engine.patterns import pattern_problem
from pacetrack.engine.words import noun
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pacetrack.services.input_types import BoundedDecimal, PlainStr
from pacetrack.services.unit_of_work import UnitOfWork

TEXT_TYPES = frozenset({FieldType.TEXT, FieldType.LONG_TEXT, FieldType.EMAIL, FieldType.URL})


class FieldDefinitionChanges(BaseModel):
    """The editable properties of a field definition (all optional on update)."""

    model_config = ConfigDict(extra="forbid")
    label: PlainStr | None = Field(default=None, min_length=1, max_length=200)
    description: PlainStr | None = Field(default=None, max_length=5000)
    options: list[PlainStr] | None = Field(default=None, max_length=500)
    is_required: bool | None = None
    min_value: BoundedDecimal | None = None
    max_value: BoundedDecimal | None = None
    pattern: PlainStr | None = Field(default=None, max_length=1000)
    precision: int | None = Field(default=None, ge=0, le=10)


def _only_for(types: frozenset[FieldType], *properties: str) -> dict[str, Any]:
    """JSON Schema: ``properties`` are absent or null unless ``field_type`` is one of ``types``."""
    return {
        "if": {"not": {"properties": {"field_type": {"enum": sorted(t.value for t in types)}}}},
        "then": {"properties": {name: {"type": "null"} for name in properties}},
    }


_TYPE_RULES: dict[str, Any] = {
    "allOf": [
        _only_for(NUMERIC_TYPES, "min_value", "max_value", "precision"),
        _only_for(TEXT_TYPES, "pattern"),
        {
            "if": {"properties": {"field_type": {"enum": sorted(t.value for t in OPTION_TYPES)}}},
            "then": {
                "required": ["options"],
                "properties": {"options": {"type": "array", "minItems": 1, "uniqueItems": True}},
            },
            "else": {"properties": {"options": {"maxItems": 0}}},
        },
    ]
}
"""Which properties each field type takes, for the OpenAPI."""


class FieldDefinitionCreate(FieldDefinitionChanges):
    """A new field. Which properties a type takes is in the schema; what it cannot say is
    checked by the server: ``min_value`` not above ``max_value``, ``pattern`` a valid RE2
    regular expression, options distinct and not blank."""

    model_config = ConfigDict(json_schema_extra=_TYPE_RULES)
    name: PlainStr = Field(
        min_length=1,
        max_length=63,
        json_schema_extra={"pattern": NAME_PATTERN.pattern},
        description="Immutable identifier: lower case letters, digits and _; starts with a letter",
    )
    label: PlainStr = Field(min_length=1, max_length=200)
    field_type: FieldType
    scope: Literal["item", "pipeline"] = "item"


class FieldDefinitionUpdate(FieldDefinitionChanges):
    id: uuid.UUID
    name: PlainStr | None = Field(
        default=None, description="Names are immutable; only the same name"
    )
    field_type: FieldType | None = Field(default=None, description="Types are immutable")


class FieldDefinitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    label: str
    description: str
    field_type: str
    scope: str
    options: list[str]
    is_required: bool
    min_value: Decimal | None
    max_value: Decimal | None
    pattern: str | None
    precision: int | None


def to_spec(row: FieldDefinition) -> FieldSpec:
    return FieldSpec(
        name=row.name,
        field_type=FieldType(row.field_type),
        label=row.label,
        options=tuple(row.options or ()),
        is_required=row.is_required,
        min_value=row.min_value,
        max_value=row.max_value,
        pattern=row.pattern,
        precision=row.precision,
    )


def load_field_rows(uow: UnitOfWork, *, tenant_id: uuid.UUID) -> list[FieldDefinition]:
    return uow.fields.live(tenant_id)


def load_field_specs(uow: UnitOfWork, *, tenant_id: uuid.UUID) -> dict[str, FieldSpec]:
    """Every live field of the tenant as the engine sees it, keyed by name."""
    return {row.name: to_spec(row) for row in load_field_rows(uow, tenant_id=tenant_id)}


def check_definition(
    *,
    field_type: FieldType,
    options: list[str],
    min_value: Decimal | None,
    max_value: Decimal | None,
    pattern: str | None,
    precision: int | None,
) -> None:
    """The definition rules of a field (options, limits, pattern, precision); raises InvalidInput.

    Shared by the field API and template import, so imported fields meet the same rules.
    """
    problems: list[FieldProblem] = []
    if field_type in OPTION_TYPES:
        if not options:
            problems.append(FieldProblem(field="options", message=f"a {field_type} needs options"))
        if len(set(options)) != len(options):
            problems.append(FieldProblem(field="options", message="options must be distinct"))
        if any(not option.strip() for option in options):
            problems.append(FieldProblem(field="options", message="options must not be blank"))
    elif options:
        problems.append(
            FieldProblem(field="options", message=f"a {field_type} field takes no options")
        )
    for name, value in (("min_value", min_value), ("max_value", max_value)):
        if value is not None and field_type not in NUMERIC_TYPES:
            problems.append(FieldProblem(field=name, message="only numeric fields have limits"))
        if value is not None and not value.is_finite():
            problems.append(FieldProblem(field=name, message="must be a finite number"))
    if (
        min_value is not None
        and max_value is not None
        and min_value.is_finite()
        and max_value.is_finite()
        and min_value > max_value
    ):
        problems.append(FieldProblem(field="min_value", message="must not exceed max_value"))
    if pattern is not None:
        if field_type not in TEXT_TYPES:
            problems.append(
                FieldProblem(field="pattern", message="only text fields have a pattern")
            )
        elif (problem := pattern_problem(pattern)) is not None:
            problems.append(FieldProblem(field="pattern", message=problem))
    if precision is not None and field_type not in NUMERIC_TYPES:
        problems.append(FieldProblem(field="precision", message="only numeric fields have one"))
    if problems:
        raise InvalidInput(problems)


def _get(uow: UnitOfWork, actor: Actor, field_id: uuid.UUID) -> FieldDefinition:
    row = uow.fields.get(actor.tenant_id, field_id)
    if row is None:
        raise NotFound("Field definition not found.")
    return row


def create_field(uow: UnitOfWork, actor: Actor, data: FieldDefinitionCreate) -> FieldDefinitionOut:
    actor.require_admin("define fields")
    if not NAME_PATTERN.match(data.name):
        raise InvalidInput.one(
            "name",
            "must start with a lower-case letter and contain only a-z, 0-9 and _ (max 63)",
        )
    check_definition(
        field_type=data.field_type,
        options=data.options or [],
        min_value=data.min_value,
        max_value=data.max_value,
        pattern=data.pattern,
        precision=data.precision,
    )
    existing = uow.fields.live_named(actor.tenant_id, data.name)
    if existing is not None:
        raise Conflict.one("name", f"a field named “{data.name}” exists already")
    now = uow.clock.now()
    row = FieldDefinition(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        name=data.name,
        label=data.label,
        description=data.description or "",
        field_type=data.field_type.value,
        scope=data.scope,
        options=data.options or [],
        is_required=bool(data.is_required),
        min_value=data.min_value,
        max_value=data.max_value,
        pattern=data.pattern,
        precision=data.precision,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    uow.fields.add(row)
    uow.commit()
    return FieldDefinitionOut.model_validate(row)


def list_fields(uow: UnitOfWork, actor: Actor) -> list[FieldDefinitionOut]:
    rows = load_field_rows(uow, tenant_id=actor.tenant_id)
    return [FieldDefinitionOut.model_validate(row) for row in rows]


def get_field(uow: UnitOfWork, actor: Actor, field_id: uuid.UUID) -> FieldDefinitionOut:
    return FieldDefinitionOut.model_validate(_get(uow, actor, field_id))


def update_field(uow: UnitOfWork, actor: Actor, data: FieldDefinitionUpdate) -> FieldDefinitionOut:
    actor.require_admin("change fields")
    row = _get(uow, actor, data.id)
    if data.name is not None and data.name != row.name:
        raise InvalidInput.one("name", "a field's name cannot be changed (it keys stored values)")
    if data.field_type is not None and data.field_type.value != row.field_type:
        raise InvalidInput.one("field_type", "a field's type cannot be changed")
    changes: dict[str, Any] = data.model_dump(
        exclude_unset=True, exclude={"id", "name", "field_type"}
    )
    merged = {
        key: changes.get(key, getattr(row, key))
        for key in ("options", "min_value", "max_value", "pattern", "precision")
    }
    check_definition(field_type=FieldType(row.field_type), **merged)
    for key, value in changes.items():
        if key in {"label", "is_required"} and value is None:
            raise InvalidInput.one(key, "must not be null")
        setattr(row, key, value if key != "options" else (value or []))
    row.updated_at = uow.clock.now()
    uow.commit()
    return FieldDefinitionOut.model_validate(row)


def delete_field(uow: UnitOfWork, actor: Actor, field_id: uuid.UUID) -> None:
    """Soft-deletes the field; refused while a step configuration still names it."""
    actor.require_admin("delete fields")
    row = _get(uow, actor, field_id)
    users = [
        step.name
        for step in uow.fields.step_templates(actor.tenant_id)
        if _mentions(step, row.name)
    ]
    if users:
        raise Conflict(
            f"Field “{row.name}” is used by {noun(len(set(users)), 'step')} "
            f"{', '.join(sorted(set(users)))}; "
            "remove it from their configuration first."
        )
    row.deleted_at = uow.clock.now()
    uow.commit()


def _mentions(step: StepTemplate, name: str) -> bool:
    document = json.dumps(
        [
            step.field_configs,
            step.validations,
            step.notifications,
            step.automations,
            step.calculations,
        ]
    )
    return f'"{name}"' in document or _word_in_expressions(document, name)


def _word_in_expressions(document: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_.]){re.escape(name)}(?![A-Za-z0-9_])", document) is not None
