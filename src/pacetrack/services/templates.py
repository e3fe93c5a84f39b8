"""Pipeline templates and their step templates, with save-time checks of every config family.

Every write of a configuration family goes through ``checked_families``: the raw
JSON is parsed into the engine's typed values (422 naming the JSON path), field
references given as a field definition's id are rewritten to the field's name
(stored configs always reference fields by name, which keeps them portable),
the whole step config is checked against the tenant's fields
(``engine.config_check``) and only then the canonical JSON is stored.

Deleting a pipeline template is a soft delete that cascades to its step
templates; it is refused (409) while an active pipeline instance runs on it.
Deleting a single step template is refused the same way while an active
instance has a step copied from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.db.tables import PipelineTemplate, StepTemplate
from pacetrack.engine.config import CONFIG_FAMILIES, StepConfig, ValidationRule
from pacetrack.engine.config_check import check_step_config
from pacetrack.engine.fields import FieldSpec
from pacetrack.engine.ids import as_uuid
from pacetrack.engine.step_settings import field_problems, read_step_settings
from pacetrack.engine.words import noun
from pacetrack.services.board_setting import BoardSetting, checked_board, stored_board
from pacetrack.services.config_schema import (
    dump_family,
    family_schemas,
    parse_family,
    step_config,
)
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pacetrack.services.fields import load_field_rows, load_field_specs
from pacetrack.services.input_types import DbInt, JsonValue, PlainStr
from pacetrack.services.tenant_features import refuse_disabled_families
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.webhooks import automation_url_problems

LIST_FAMILIES = tuple(family for family in CONFIG_FAMILIES if family != "metadata")
ACTIVE = "active"

# Properties that hold a field reference (a name, or a field definition id to normalize).
FIELD_REFERENCE_KEYS = frozenset(
    {
        "field_definition_id",
        "field_id",
        "compare_field_id",
        "output_field_id",
        "numerator_field_id",
        "denominator_field_id",
        "start_field_id",
        "end_field_id",
    }
)
FIELD_LIST_KEYS = frozenset({"field_ids"})


# --- API models ------------------------------------------------------------------------------


class PipelineTemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PlainStr = Field(min_length=1, max_length=200)
    description: PlainStr = Field(default="", max_length=5000)
    board: BoardSetting | None = None


class PipelineTemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    name: PlainStr | None = Field(default=None, min_length=1, max_length=200)
    description: PlainStr | None = Field(default=None, max_length=5000)
    board: BoardSetting | None = Field(
        default=None, description="Replaces the board setting when given"
    )


class StepTemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    pipeline_template_id: uuid.UUID
    name: str
    description: str
    order: int
    target_duration_days: int | None
    color: str | None
    icon: str | None
    field_configs: list[Any]
    validations: list[Any]
    assignments: list[Any]
    notifications: list[Any]
    automations: list[Any]
    calculations: list[Any]
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class PipelineTemplateOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    board: BoardSetting
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    steps: list[StepTemplateOut] | None = Field(
        default=None, description="The live steps in order (on get, create and import)"
    )


class StepProperties(BaseModel):
    """The plain (non-configuration) columns of a step template."""

    model_config = ConfigDict(extra="forbid")
    description: PlainStr | None = Field(default=None, max_length=5000)
    target_duration_days: int | None = Field(default=None, ge=0, le=36500)
    color: PlainStr | None = Field(default=None, max_length=32)
    icon: PlainStr | None = Field(default=None, max_length=64)


class StepTemplateCreate(StepProperties):
    pipeline_template_id: uuid.UUID
    name: PlainStr = Field(min_length=1, max_length=200)
    order: DbInt | None = Field(
        default=None, description="Position in the pipeline; default: after the last step"
    )
    field_configs: JsonValue = None
    validations: JsonValue = None
    assignments: JsonValue = None
    notifications: JsonValue = None
    automations: JsonValue = None
    calculations: JsonValue = None
    metadata: JsonValue = None


class StepTemplateUpdate(StepProperties):
    id: uuid.UUID
    name: PlainStr | None = Field(default=None, min_length=1, max_length=200)


class StepReorder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pipeline_template_id: uuid.UUID
    step_ids: list[uuid.UUID] = Field(
        max_length=1000,
        description="Every live step of the template, in order, each once",
        json_schema_extra={"uniqueItems": True},
    )


# --- configuration checks --------------------------------------------------------------------


def field_ids_to_names(uow: UnitOfWork, *, tenant_id: uuid.UUID) -> dict[str, str]:
    rows = load_field_rows(uow, tenant_id=tenant_id)
    return {str(row.id): row.name for row in rows}


def _normalized_reference(value: Any, names_by_id: Mapping[str, str]) -> Any:
    as_id = as_uuid(value) if isinstance(value, str) else None
    return value if as_id is None else names_by_id.get(str(as_id), value)


def normalize_field_references(raw: Any, names_by_id: Mapping[str, str]) -> Any:
    """A copy of ``raw`` whose field references given as field ids name the field instead."""
    if isinstance(raw, list):
        return [normalize_field_references(item, names_by_id) for item in raw]
    if not isinstance(raw, dict):
        return raw
    result: dict[Any, Any] = {}
    for key, value in raw.items():
        if key in FIELD_REFERENCE_KEYS:
            result[key] = _normalized_reference(value, names_by_id)
        elif key in FIELD_LIST_KEYS and isinstance(value, list):
            result[key] = [_normalized_reference(item, names_by_id) for item in value]
        else:
            result[key] = normalize_field_references(value, names_by_id)
    return result


def stored_families(row: StepTemplate) -> dict[str, Any]:
    return {family: getattr(row, family_column(family)) for family in CONFIG_FAMILIES}


def family_column(family: str) -> str:
    """The step template attribute that holds ``family``."""
    return "metadata_" if family == "metadata" else family


def parse_families(
    raw: Mapping[str, Any], *, names_by_id: Mapping[str, str], prefix: str = ""
) -> dict[str, Any]:
    """Each family of ``raw`` as typed values; one InvalidInput with every bad path."""
    parsed: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for family, value in raw.items():
        try:
            parsed[family] = parse_family(
                family,
                normalize_field_references(value, names_by_id),
                prefix=f"{prefix}{family}",
            )
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    return parsed


def check_config(
    config: StepConfig, *, fields: Mapping[str, FieldSpec], prefix: str = ""
) -> list[FieldProblem]:
    return [
        FieldProblem(field=f"{prefix}{problem.path}", message=problem.message)
        for problem in check_step_config(config, fields=fields)
    ]


ENTRY_RULES_PATH = "metadata.entry_validations"


def metadata_problems(
    metadata: Mapping[str, Any],
    *,
    names_by_id: Mapping[str, str],
    fields: Mapping[str, FieldSpec],
    prefix: str = "",
) -> list[FieldProblem]:
    """Every problem of the settings in ``metadata`` (``engine.step_settings``), so a bad
    value is refused when it is saved instead of being guessed at when items move: its
    type, and the fields it names. ``metadata.entry_validations`` is checked like the
    step's validations."""
    rule_problems: list[FieldProblem] = []

    def parse_rules(raw: Any) -> tuple[ValidationRule, ...]:
        try:
            rules: tuple[ValidationRule, ...] = parse_family(
                "validations",
                normalize_field_references(raw, names_by_id),
                prefix=f"{prefix}{ENTRY_RULES_PATH}",
            )
        except InvalidInput as exc:
            rule_problems.extend(exc.problems)
            return ()
        rule_problems.extend(
            FieldProblem(
                field=f"{prefix}{ENTRY_RULES_PATH}{problem.field.removeprefix('validations')}",
                message=problem.message,
            )
            for problem in check_config(StepConfig(validations=rules), fields=fields)
        )
        return rules

    settings = read_step_settings(metadata, parse_rules=parse_rules)
    return [
        *(
            FieldProblem(field=f"{prefix}{problem.path}", message=problem.message)
            for problem in (*settings.problems, *field_problems(settings, fields=fields))
        ),
        *rule_problems,
    ]


def checked_families(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    raw: Mapping[str, Any],
    current: Mapping[str, Any],
    target_duration_days: int | None,
    fields: Mapping[str, FieldSpec] | None = None,
) -> dict[str, Any]:
    """The canonical JSON of the families in ``raw``, checked together with ``current``'s others.

    Raises InvalidInput (422) naming ``<family>[i].<prop>`` for every problem, and naming
    ``<family>`` alone when the request uses a family the tenant has turned off.
    """
    refuse_disabled_families(uow, tenant_id=tenant_id, families=raw, stored=current)
    names_by_id = field_ids_to_names(uow, tenant_id=tenant_id)
    parsed = parse_families(raw, names_by_id=names_by_id)
    config = replace(step_config(current, target_duration_days=target_duration_days), **parsed)
    specs = fields if fields is not None else load_field_specs(uow, tenant_id=tenant_id)
    problems = check_config(config, fields=specs)
    if "metadata" in parsed:
        problems += metadata_problems(parsed["metadata"], names_by_id=names_by_id, fields=specs)
    problems += automation_url_problems(
        uow.session, tenant_id=tenant_id, automations=parsed.get("automations", ())
    )
    if problems:
        raise InvalidInput(problems, "The step configuration cannot be saved.")
    return {family: dump_family(family, value) for family, value in parsed.items()}


# --- reading ---------------------------------------------------------------------------------


def get_template_row(uow: UnitOfWork, actor: Actor, template_id: uuid.UUID) -> PipelineTemplate:
    row = uow.templates.template(actor.tenant_id, template_id)
    if row is None:
        raise NotFound("Pipeline template not found.")
    return row


def get_step_row(
    uow: UnitOfWork, actor: Actor, step_id: uuid.UUID, *, for_update: bool = False
) -> StepTemplate:
    row = uow.templates.step(actor.tenant_id, step_id, for_update=for_update)
    if row is None:
        raise NotFound("Step template not found.")
    return row


def step_out(row: StepTemplate) -> StepTemplateOut:
    return StepTemplateOut(
        id=row.id,
        pipeline_template_id=row.pipeline_template_id,
        name=row.name,
        description=row.description,
        order=row.position,
        target_duration_days=row.target_duration_days,
        color=row.color,
        icon=row.icon,
        field_configs=list(row.field_configs or []),
        validations=list(row.validations or []),
        assignments=list(row.assignments or []),
        notifications=list(row.notifications or []),
        automations=list(row.automations or []),
        calculations=list(row.calculations or []),
        metadata=dict(row.metadata_ or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def template_out(
    row: PipelineTemplate, steps: Iterable[StepTemplate] | None = None
) -> PipelineTemplateOut:
    return PipelineTemplateOut(
        id=row.id,
        name=row.name,
        description=row.description,
        board=stored_board(row.board),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        steps=None if steps is None else [step_out(step) for step in steps],
    )


def resolve_template(uow: UnitOfWork, actor: Actor, reference: str) -> uuid.UUID:
    """The id of the live template named ``reference`` (or with that id)."""
    template_id = as_uuid(reference)
    if template_id is None:
        named = uow.templates.named(actor.tenant_id, reference)
        if named is None:
            raise NotFound(f"No pipeline template named “{reference}”.")
        return named.id
    return get_template_row(uow, actor, template_id).id


# --- pipeline templates ----------------------------------------------------------------------


def add_template_row(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    description: str,
    board: dict[str, Any] | None = None,
) -> PipelineTemplate:
    """Adds a template to the open unit of work (409 when the name is taken)."""
    if uow.templates.name_taken(actor.tenant_id, name):
        raise Conflict(f"A pipeline template named “{name}” exists already.")
    now = uow.clock.now()
    row = PipelineTemplate(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        name=name,
        description=description,
        board=dict(board or {}),
        created_by=actor.account_id,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    uow.templates.add(row)
    uow.flush()
    return row


def create_template(
    uow: UnitOfWork, actor: Actor, data: PipelineTemplateCreate
) -> PipelineTemplateOut:
    actor.require_admin("create pipeline templates")
    board = checked_board(data.board, load_field_specs(uow, tenant_id=actor.tenant_id))
    row = add_template_row(uow, actor, name=data.name, description=data.description, board=board)
    uow.commit()
    return template_out(row, [])


def list_templates(uow: UnitOfWork, actor: Actor) -> list[PipelineTemplateOut]:
    return [template_out(row) for row in uow.templates.templates(actor.tenant_id)]


def get_template(uow: UnitOfWork, actor: Actor, template_id: uuid.UUID) -> PipelineTemplateOut:
    row = get_template_row(uow, actor, template_id)
    return template_out(row, uow.templates.live_steps(actor.tenant_id, row.id))


def update_template(
    uow: UnitOfWork, actor: Actor, data: PipelineTemplateUpdate
) -> PipelineTemplateOut:
    actor.require_admin("change pipeline templates")
    row = get_template_row(uow, actor, data.id)
    if data.name is not None and data.name != row.name:
        if uow.templates.name_taken(actor.tenant_id, data.name, except_id=row.id):
            raise Conflict(f"A pipeline template named “{data.name}” exists already.")
        row.name = data.name
    if data.description is not None:
        row.description = data.description
    if data.board is not None:
        row.board = checked_board(data.board, load_field_specs(uow, tenant_id=actor.tenant_id))
    row.updated_at = uow.clock.now()
    uow.commit()
    return get_template(uow, actor, row.id)


def delete_template(uow: UnitOfWork, actor: Actor, template_id: uuid.UUID) -> None:
    """Soft-deletes the template and its steps; refused while an active instance uses it."""
    actor.require_admin("delete pipeline templates")
    row = get_template_row(uow, actor, template_id)
    running = uow.templates.active_instance_names(actor.tenant_id, row.id)
    if running:
        raise Conflict(
            f"Pipeline template “{row.name}” is used by active pipeline "
            f"{noun(len(running), 'instance')} "
            f"{', '.join(running)}; close them first."
        )
    now = uow.clock.now()
    for step in uow.templates.live_steps(actor.tenant_id, row.id):
        step.deleted_at = now
    row.deleted_at = now
    uow.commit()


# --- step templates --------------------------------------------------------------------------


def _check_step_name(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    template_id: uuid.UUID,
    name: str,
    except_id: uuid.UUID | None = None,
) -> None:
    # Steps are named by move_to_step automations, so a name must be unambiguous.
    clash = any(
        step.name == name and step.id != except_id
        for step in uow.templates.live_steps(tenant_id, template_id)
    )
    if clash:
        raise Conflict.one("name", f"the pipeline already has a step named “{name}”")


def add_step_row(
    uow: UnitOfWork,
    actor: Actor,
    *,
    template_id: uuid.UUID,
    name: str,
    position: int,
    description: str,
    target_duration_days: int | None,
    color: str | None,
    icon: str | None,
    families: Mapping[str, Any],
) -> StepTemplate:
    """Adds a step with already checked, canonical ``families`` to the open unit of work."""
    now = uow.clock.now()
    row = StepTemplate(
        tenant_id=actor.tenant_id,
        id=uuid.uuid4(),
        pipeline_template_id=template_id,
        name=name,
        description=description,
        position=position,
        target_duration_days=target_duration_days,
        color=color,
        icon=icon,
        field_configs=families.get("field_configs", []),
        validations=families.get("validations", []),
        assignments=families.get("assignments", []),
        notifications=families.get("notifications", []),
        automations=families.get("automations", []),
        calculations=families.get("calculations", []),
        metadata_=families.get("metadata", {}),
        created_by=actor.account_id,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )
    uow.templates.add(row)
    return row


def create_step(uow: UnitOfWork, actor: Actor, data: StepTemplateCreate) -> StepTemplateOut:
    actor.require_admin("change pipeline templates")
    template = get_template_row(uow, actor, data.pipeline_template_id)
    _check_step_name(uow, tenant_id=actor.tenant_id, template_id=template.id, name=data.name)
    raw = {
        family: getattr(data, family)
        for family in CONFIG_FAMILIES
        if getattr(data, family) is not None
    }
    families = checked_families(
        uow,
        tenant_id=actor.tenant_id,
        raw=raw,
        current={},
        target_duration_days=data.target_duration_days,
    )
    position = data.order
    if position is None:
        highest = uow.templates.highest_step_position(actor.tenant_id, template.id)
        position = 1 if highest is None else highest + 1
    row = add_step_row(
        uow,
        actor,
        template_id=template.id,
        name=data.name,
        position=position,
        description=data.description or "",
        target_duration_days=data.target_duration_days,
        color=data.color,
        icon=data.icon,
        families=families,
    )
    template.updated_at = row.created_at
    uow.commit()
    return step_out(row)


def list_steps(
    uow: UnitOfWork, actor: Actor, *, template_id: uuid.UUID | None = None
) -> list[StepTemplateOut]:
    rows = uow.templates.steps(actor.tenant_id, template_id=template_id)
    return [step_out(row) for row in rows]


def get_step(uow: UnitOfWork, actor: Actor, step_id: uuid.UUID) -> StepTemplateOut:
    return step_out(get_step_row(uow, actor, step_id))


def update_step(uow: UnitOfWork, actor: Actor, data: StepTemplateUpdate) -> StepTemplateOut:
    actor.require_admin("change pipeline templates")
    row = get_step_row(uow, actor, data.id, for_update=True)
    changes = data.model_dump(exclude_unset=True, exclude={"id"})
    if changes.get("name") is not None and changes["name"] != row.name:
        _check_step_name(
            uow,
            tenant_id=actor.tenant_id,
            template_id=row.pipeline_template_id,
            name=changes["name"],
            except_id=row.id,
        )
    for key in ("name", "description"):
        if key in changes and changes[key] is None:
            raise InvalidInput.one(key, "must not be null")
    if "target_duration_days" in changes:
        # at_risk rules depend on the target; the stored config must still pass.
        config_problems = check_config(
            _row_config(row, target_duration_days=changes["target_duration_days"]),
            fields=load_field_specs(uow, tenant_id=actor.tenant_id),
        )
        if config_problems:
            raise InvalidInput(
                [
                    FieldProblem(field="target_duration_days", message=p.message)
                    for p in config_problems
                ]
            )
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = uow.clock.now()
    uow.commit()
    return step_out(row)


def _row_config(row: StepTemplate, *, target_duration_days: int | None) -> StepConfig:
    return step_config(stored_families(row), target_duration_days=target_duration_days)


def delete_step(uow: UnitOfWork, actor: Actor, step_id: uuid.UUID) -> None:
    """Soft-deletes the step template from the draft. Running pipelines keep their copy
    (they run a published version) until they are upgraded to a version without it."""
    actor.require_admin("change pipeline templates")
    row = get_step_row(uow, actor, step_id, for_update=True)
    row.deleted_at = uow.clock.now()
    uow.commit()


def reorder_steps(uow: UnitOfWork, actor: Actor, data: StepReorder) -> list[StepTemplateOut]:
    actor.require_admin("change pipeline templates")
    template = get_template_row(uow, actor, data.pipeline_template_id)
    steps = uow.templates.live_steps(actor.tenant_id, template.id)
    by_id = {step.id: step for step in steps}
    if len(set(data.step_ids)) != len(data.step_ids):
        raise InvalidInput.one("step_ids", "a step is listed twice")
    if set(data.step_ids) != set(by_id):
        missing = len(set(by_id) - set(data.step_ids))
        foreign = len(set(data.step_ids) - set(by_id))
        # Well formed, but not the template's steps as they are now.
        raise Conflict.one(
            "step_ids",
            f"list every live step of the template exactly once "
            f"({missing} missing, {foreign} not in this template)",
        )
    now = uow.clock.now()
    for position, step_id in enumerate(data.step_ids, start=1):
        step = by_id[step_id]
        if step.position != position:
            step.position = position
            step.updated_at = now
    template.updated_at = now
    uow.commit()
    return [step_out(by_id[step_id]) for step_id in data.step_ids]


def update_family(
    uow: UnitOfWork, actor: Actor, step_id: uuid.UUID, *, family: str, raw: Any
) -> StepTemplateOut:
    """Replaces one configuration family of a step template after every save-time check."""
    actor.require_admin("configure steps")
    if family not in CONFIG_FAMILIES:
        raise InvalidInput.one(family, f"unknown configuration family “{family}”")
    row = get_step_row(uow, actor, step_id, for_update=True)
    families = checked_families(
        uow,
        tenant_id=actor.tenant_id,
        raw={family: raw},
        current=stored_families(row),
        target_duration_days=row.target_duration_days,
    )
    setattr(row, family_column(family), families[family])
    row.updated_at = uow.clock.now()
    uow.commit()
    return step_out(row)


def config_schema() -> dict[str, Any]:
    return family_schemas()
