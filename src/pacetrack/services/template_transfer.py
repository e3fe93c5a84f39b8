"""Pipeline templates as portable documents (``pacetrack.pipeline-template/v1``).

A document carries a template, its steps with all seven configuration
families and every field definition the steps reference, without any id:
fields are referenced by name, people by username, group name or role name.
That makes a document importable into any tenant, and exporting an imported
document gives the same document back.

Importing checks the whole document first (every problem reported with its
path, such as ``steps[2].validations[0].min_value``) and then writes the
missing fields, the template and its steps in one transaction.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pacetrack.db.tables import FieldDefinition
from pacetrack.engine.config import CONFIG_FAMILIES, StepConfig
from pacetrack.engine.expressions import ExpressionError, referenced_names
from pacetrack.engine.fields import NAME_PATTERN, FieldSpec, FieldType
from pacetrack.services import templates
from pacetrack.services.board_setting import BoardSetting, board_problems, stored_board
from pacetrack.services.config_schema import dump_family, problems_from, step_settings
from pacetrack.services.context import Actor, system_actor
from pacetrack.services.errors import Conflict, FieldProblem, InvalidInput
from pacetrack.services.fields import (
    check_definition,
    load_field_rows,
    to_spec,
)
from pacetrack.services.input_types import BoundedDecimal, DbInt, JsonList, JsonValue, PlainStr
from pacetrack.services.tenant_features import disabled_family_problems
from pacetrack.services.tenants import tenant_by_slug
from pacetrack.services.unit_of_work import UnitOfWork

FORMAT = "pacetrack.pipeline-template/v1"
LIBRARY_PACKAGE = "pacetrack"
LIBRARY_FOLDER = "templates_library"
EXPRESSION_KEYS = frozenset({"expression", "condition", "visible_when", "required_when"})
_TEMPLATE_FIELD = re.compile(r"\{\{\s*field\.([a-z][a-z0-9_]*)")


class FieldDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainStr = Field(min_length=1, max_length=63)
    label: PlainStr = Field(min_length=1, max_length=200)
    field_type: FieldType
    description: PlainStr = Field(default="", max_length=5000)
    scope: Literal["item", "pipeline"] = "item"
    options: list[PlainStr] = Field(default_factory=list, max_length=500)
    is_required: bool = False
    min_value: BoundedDecimal | None = None
    max_value: BoundedDecimal | None = None
    pattern: PlainStr | None = Field(default=None, max_length=1000)
    precision: int | None = Field(default=None, ge=0, le=10)


class StepDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainStr = Field(min_length=1, max_length=200)
    description: PlainStr = Field(default="", max_length=5000)
    order: DbInt | None = None
    target_duration_days: int | None = Field(default=None, ge=0, le=36500)
    color: PlainStr | None = Field(default=None, max_length=32)
    icon: PlainStr | None = Field(default=None, max_length=64)
    field_configs: JsonValue = Field(default_factory=list)
    validations: JsonValue = Field(default_factory=list)
    assignments: JsonValue = Field(default_factory=list)
    notifications: JsonValue = Field(default_factory=list)
    automations: JsonValue = Field(default_factory=list)
    calculations: JsonValue = Field(default_factory=list)
    metadata: JsonValue = Field(default_factory=dict)


class TemplateDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["pacetrack.pipeline-template/v1"]
    name: PlainStr = Field(min_length=1, max_length=200)
    description: PlainStr = Field(default="", max_length=5000)
    board: BoardSetting | None = None
    # Checked one by one, so that every bad field and step is reported at once.
    fields: JsonList = Field(default_factory=list, max_length=1000)
    steps: JsonList = Field(default_factory=list, max_length=200)


# --- export ----------------------------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    """The shortest exact text of a stored decimal (``5000.0000000000`` -> ``5000``)."""
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        normalized = normalized.quantize(Decimal(1))
    return format(normalized, "f")


def field_document(row: FieldDefinition) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": row.name,
        "label": row.label,
        "field_type": row.field_type,
        "description": row.description or "",
        "scope": row.scope,
        "options": list(row.options or []),
        "is_required": bool(row.is_required),
    }
    for key in ("min_value", "max_value"):
        value = getattr(row, key)
        if value is not None:
            document[key] = _decimal_text(Decimal(value))
    if row.pattern is not None:
        document["pattern"] = row.pattern
    if row.precision is not None:
        document["precision"] = row.precision
    return document


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from _strings(value)


def referenced_fields(node: Any) -> set[str]:
    """Every field name a stored configuration mentions (references, expressions, templates)."""
    names: set[str] = set()
    if isinstance(node, list | tuple):
        for value in node:
            names |= referenced_fields(value)
        return names
    if not isinstance(node, Mapping):
        if isinstance(node, str):
            names.update(_TEMPLATE_FIELD.findall(node))
        return names
    for key, value in node.items():
        if key in templates.FIELD_REFERENCE_KEYS and isinstance(value, str):
            names.add(value)
        elif key in templates.FIELD_LIST_KEYS and isinstance(value, list):
            names.update(item for item in value if isinstance(item, str))
        elif key in EXPRESSION_KEYS and isinstance(value, str):
            with contextlib.suppress(ExpressionError):
                names |= referenced_names(value)
        elif key == "field_mapping" and isinstance(value, Mapping):
            names.update(str(target) for target in value)
            names |= referenced_fields(list(value.values()))
        else:
            names |= referenced_fields(value)
    return names


def export_template(uow: UnitOfWork, actor: Actor, template_id: uuid.UUID) -> dict[str, Any]:
    """The template as a portable document (no ids; fields by name)."""
    template = templates.get_template_row(uow, actor, template_id)
    steps = uow.templates.live_steps(actor.tenant_id, template.id)
    mentioned: set[str] = set()
    step_documents = []
    for step in steps:
        families = templates.stored_families(step)
        mentioned |= (
            referenced_fields(families) | step_settings(families["metadata"] or {}).fields_named
        )
        step_documents.append(
            {
                "name": step.name,
                "description": step.description or "",
                "order": step.position,
                "target_duration_days": step.target_duration_days,
                "color": step.color,
                "icon": step.icon,
                **{
                    family: families[family] if families[family] is not None else []
                    for family in CONFIG_FAMILIES
                    if family != "metadata"
                },
                "metadata": dict(families["metadata"] or {}),
            }
        )
    board = stored_board(template.board).model_dump()
    mentioned |= set(board["card_fields"]) | ({board["money_field"]} - {None})
    rows = load_field_rows(uow, tenant_id=actor.tenant_id)
    return {
        "format": FORMAT,
        "name": template.name,
        "description": template.description or "",
        "board": board,
        "fields": [field_document(row) for row in rows if row.name in mentioned],
        "steps": step_documents,
    }


# --- import ----------------------------------------------------------------------------------


def _prefixed(problems: tuple[FieldProblem, ...], prefix: str) -> list[FieldProblem]:
    return [FieldProblem(field=f"{prefix}.{p.field}", message=p.message) for p in problems]


def _parse_document(document: Mapping[str, Any]) -> TemplateDocument:
    if not isinstance(document, Mapping):
        raise InvalidInput.one("document", "must be an object")
    try:
        return TemplateDocument.model_validate(dict(document))
    except ValidationError as exc:
        raise InvalidInput(problems_from(exc, ""), "The template document is not valid.") from exc


def _spec(field: FieldDocument) -> FieldSpec:
    return FieldSpec(
        name=field.name,
        field_type=field.field_type,
        label=field.label,
        options=tuple(field.options),
        is_required=field.is_required,
        min_value=field.min_value,
        max_value=field.max_value,
        pattern=field.pattern,
        precision=field.precision,
    )


def _field_specs(
    parsed: TemplateDocument, existing: Mapping[str, FieldDefinition]
) -> tuple[dict[str, FieldSpec], list[FieldDocument], list[FieldProblem]]:
    """The specs steps are checked against, the fields to create, and the problems found."""
    specs = {name: to_spec(row) for name, row in existing.items()}
    to_create: list[FieldDocument] = []
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for index, raw_field in enumerate(parsed.fields):
        path = f"fields[{index}]"
        try:
            field = FieldDocument.model_validate(raw_field)
        except ValidationError as exc:
            problems.extend(problems_from(exc, path))
            continue
        if field.name in seen:
            problems.append(FieldProblem(field=f"{path}.name", message="listed twice"))
            continue
        seen.add(field.name)
        if not NAME_PATTERN.match(field.name):
            problems.append(
                FieldProblem(
                    field=f"{path}.name",
                    message="must start with a lower-case letter and contain only a-z, 0-9 and _",
                )
            )
            continue
        current = existing.get(field.name)
        if current is not None:
            if current.field_type != field.field_type.value:
                problems.append(
                    FieldProblem(
                        field=f"{path}.field_type",
                        message=f"the tenant's field “{field.name}” is a {current.field_type}, "
                        f"not a {field.field_type.value}",
                    )
                )
                # Check the steps against the document's own field, so only the clash is reported.
                specs[field.name] = _spec(field)
            continue
        try:
            check_definition(
                field_type=field.field_type,
                options=field.options,
                min_value=field.min_value,
                max_value=field.max_value,
                pattern=field.pattern,
                precision=field.precision,
            )
        except InvalidInput as exc:
            problems.extend(_prefixed(exc.problems, path))
            continue
        to_create.append(field)
        specs[field.name] = _spec(field)
    return specs, to_create, problems


def _checked_steps(
    parsed: TemplateDocument,
    *,
    specs: Mapping[str, FieldSpec],
    names_by_id: Mapping[str, str],
    disabled: Callable[[Mapping[str, Any], str], list[FieldProblem]],
) -> tuple[list[tuple[StepDocument, int, dict[str, Any]]], list[FieldProblem]]:
    """Each step's checked families; ``disabled(families, path)``: the families the tenant
    has turned off that the step uses."""
    checked: list[tuple[StepDocument, int, dict[str, Any]]] = []
    problems: list[FieldProblem] = []
    names: set[str] = set()
    orders: set[int] = set()
    for index, raw_step in enumerate(parsed.steps):
        path = f"steps[{index}]"
        try:
            step = StepDocument.model_validate(raw_step)
        except ValidationError as exc:
            problems.extend(problems_from(exc, path))
            continue
        if step.name in names:
            problems.append(FieldProblem(field=f"{path}.name", message="a step name is repeated"))
        names.add(step.name)
        position = step.order if step.order is not None else index + 1
        if position in orders:
            problems.append(FieldProblem(field=f"{path}.order", message="an order is repeated"))
        orders.add(position)
        raw = {family: getattr(step, family) for family in CONFIG_FAMILIES}
        refused = disabled(raw, f"{path}.")
        if refused:
            problems.extend(refused)
            continue
        try:
            parsed_families = templates.parse_families(
                raw, names_by_id=names_by_id, prefix=f"{path}."
            )
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        config = replace(
            StepConfig(target_duration_days=step.target_duration_days), **parsed_families
        )
        problems.extend(templates.check_config(config, fields=specs, prefix=f"{path}."))
        problems.extend(
            templates.metadata_problems(
                parsed_families.get("metadata", {}),
                names_by_id=names_by_id,
                fields=specs,
                prefix=f"{path}.",
            )
        )
        dumped = {family: dump_family(family, value) for family, value in parsed_families.items()}
        checked.append((step, position, dumped))
    return checked, problems


def import_template(
    uow: UnitOfWork, actor: Actor, document: Mapping[str, Any], *, name: str | None = None
) -> templates.PipelineTemplateOut:
    """Creates the document's missing fields, the template and its steps in one transaction."""
    actor.require_admin("import pipeline templates")
    parsed = _parse_document(document)
    existing = {row.name: row for row in load_field_rows(uow, tenant_id=actor.tenant_id)}
    specs, to_create, problems = _field_specs(parsed, existing)
    steps, step_problems = _checked_steps(
        parsed,
        specs=specs,
        names_by_id=templates.field_ids_to_names(uow, tenant_id=actor.tenant_id),
        disabled=lambda families, prefix: disabled_family_problems(
            uow, tenant_id=actor.tenant_id, families=families, prefix=prefix
        ),
    )
    problems.extend(step_problems)
    if parsed.board is not None:
        problems.extend(board_problems(parsed.board, specs))
    if problems:
        raise InvalidInput(problems, "The template document cannot be imported.")
    template_name = name or parsed.name
    if uow.templates.name_taken(actor.tenant_id, template_name):
        raise Conflict(
            f"A pipeline template named “{template_name}” exists already; "
            "import it under another name."
        )
    now = uow.clock.now()
    for field in to_create:
        uow.templates.add(
            FieldDefinition(
                tenant_id=actor.tenant_id,
                id=uuid.uuid4(),
                name=field.name,
                label=field.label,
                description=field.description,
                field_type=field.field_type.value,
                scope=field.scope,
                options=list(field.options),
                is_required=field.is_required,
                min_value=field.min_value,
                max_value=field.max_value,
                pattern=field.pattern,
                precision=field.precision,
                created_at=now,
                updated_at=now,
                deleted_at=None,
            )
        )
    row = templates.add_template_row(
        uow,
        actor,
        name=template_name,
        description=parsed.description,
        board=parsed.board.model_dump() if parsed.board is not None else None,
    )
    step_rows = [
        templates.add_step_row(
            uow,
            actor,
            template_id=row.id,
            name=step.name,
            position=position,
            description=step.description,
            target_duration_days=step.target_duration_days,
            color=step.color,
            icon=step.icon,
            families=families,
        )
        for step, position, families in sorted(steps, key=lambda entry: entry[1])
    ]
    uow.commit()
    return templates.template_out(row, step_rows)


# --- the built-in library --------------------------------------------------------------------


def library_documents() -> dict[str, dict[str, Any]]:
    """The built-in template library, keyed by file stem (``sales``, ``recruiting`` …)."""
    folder = resources.files(LIBRARY_PACKAGE) / LIBRARY_FOLDER
    documents: dict[str, dict[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            documents[entry.name.removesuffix(".yaml")] = yaml.safe_load(
                entry.read_text(encoding="utf-8")
            )
    return documents


# --- command line ----------------------------------------------------------------------------


def export_for_tenant(uow: UnitOfWork, *, tenant_slug: str, template: str) -> dict[str, Any]:
    """The document of the tenant's template named ``template`` (or with that id)."""
    actor = system_actor(tenant_by_slug(uow, tenant_slug).id)
    return export_template(uow, actor, templates.resolve_template(uow, actor, template))


def import_for_tenant(
    uow: UnitOfWork, *, tenant_slug: str, document: Mapping[str, Any], name: str | None = None
) -> templates.PipelineTemplateOut:
    """Imports ``document`` as the tenant itself (the command line's actor)."""
    actor = system_actor(tenant_by_slug(uow, tenant_slug).id)
    return import_template(uow, actor, document, name=name)
