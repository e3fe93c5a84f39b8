"""Check one expression as the step configuration editor types it.

The answer is the verdict saving the rule would reach (``engine.config_check.
check_expression``, the very function the save path calls) against the tenant's
fields, spelt out for an editor: where the error is (offset, line, column), the
did-you-mean suggestion, the fields the expression reads and the type it gives.
A broken expression is an answer (``ok: false``), not a refused request.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from pacetrack.engine.config_check import check_expression as engine_check
from pacetrack.engine.expressions import (
    ExpressionError,
    function_summaries,
    line_and_column,
    referenced_names,
    referenced_paths,
)
from pacetrack.engine.expressions.syntax import MAX_SOURCE_LENGTH
from pacetrack.engine.expressions.types import type_of_field
from pacetrack.engine.fields import FieldSpec
from pacetrack.services import templates
from pacetrack.services.context import Actor
from pacetrack.services.errors import NotFound
from pacetrack.services.fields import load_field_specs
from pacetrack.services.input_types import PlainStr
from pacetrack.services.unit_of_work import UnitOfWork

ExpressionContext = Literal["validation", "calculation", "condition"]
ReferenceId = Annotated[uuid.UUID | None, WithJsonSchema({"type": "string", "format": "uuid"})]
"""An optional id: absent or an id (the schema does not offer null)."""

_BOOLEAN_CONTEXTS = frozenset({"validation", "condition"})


class ExpressionCheck(BaseModel):
    """An expression to check, what kind of rule it is for and where that rule lives."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [{"required": ["pipeline_template_id"]}, {"required": ["step_id"]}]
        },
    )
    expression: PlainStr = Field(
        max_length=4 * MAX_SOURCE_LENGTH,
        description=f"The expression; one longer than {MAX_SOURCE_LENGTH} characters is "
        "answered with that error",
    )
    context: ExpressionContext = Field(
        description="validation (custom_expression: true/false), calculation (custom: the "
        "output field's type) or condition (visible_when, required_when, rule conditions: "
        "true/false)"
    )
    pipeline_template_id: ReferenceId = Field(default=None, description="The rule's template")
    step_id: ReferenceId = Field(default=None, description="The rule's step template")
    output_field_id: PlainStr | None = Field(
        default=None,
        max_length=63,
        description="For a calculation: the field it writes (name or id); the expression "
        "must give that field's type (other contexts ignore it)",
    )

    @model_validator(mode="after")
    def _one_owner(self) -> ExpressionCheck:
        if (self.pipeline_template_id is None) == (self.step_id is None):
            raise ValueError("give pipeline_template_id or step_id, exactly one")
        return self


class ExpressionProblem(BaseModel):
    message: str = Field(description="The engine's words, without the position")
    offset: int = Field(description="0-based character offset, as the engine counts it")
    line: int = Field(description="1-based line of the offset")
    column: int = Field(description="1-based column of the offset")
    suggestion: str | None = Field(description="A did-you-mean name, when there is one")


class FunctionOut(BaseModel):
    name: str
    summary: str = Field(description="Its signature and what it gives, in one line")


class ExpressionCheckOut(BaseModel):
    ok: bool = Field(description="Saving a rule with this expression would be accepted")
    errors: list[ExpressionProblem]
    suggestions: list[str] = Field(description="Every did-you-mean name of the errors")
    fields_read: list[str] = Field(
        description="The field names the expression reads (empty when it does not parse)"
    )
    paths_read: list[str] = Field(
        description="The dotted paths it reads, ``dimensions.sqft`` for a key of an object "
        "field (empty when it does not parse)"
    )
    result_type: str | None = Field(
        description="number, text, boolean, date, datetime, list, object, null or any; "
        "null when it does not compile"
    )
    expected_type: str | None = Field(description="The type the context needs, when fixed")
    output_fields: list[str] = Field(
        description="For a calculation: the fields its result may be written to (every field "
        "whose type accepts the result type); empty in other contexts or when it does not "
        "compile"
    )
    functions: list[FunctionOut] = Field(
        description="Every function the language offers, for an editor's completion"
    )


def _owner_checked(uow: UnitOfWork, actor: Actor, command: ExpressionCheck) -> None:
    if command.step_id is not None:
        try:
            templates.get_step_row(uow, actor, command.step_id)
        except NotFound:
            raise NotFound.one("step_id", "no such step template") from None
    elif command.pipeline_template_id is not None:
        try:
            templates.get_template_row(uow, actor, command.pipeline_template_id)
        except NotFound:
            raise NotFound.one("pipeline_template_id", "no such pipeline template") from None


def _output_name(
    uow: UnitOfWork, actor: Actor, reference: str, fields: Mapping[str, FieldSpec]
) -> str:
    """The name of the field ``reference`` names (by name or id, as rules may)."""
    names_by_id = templates.field_ids_to_names(uow, tenant_id=actor.tenant_id)
    name = templates.normalize_field_references({"field_id": reference}, names_by_id)["field_id"]
    if name not in fields:
        raise NotFound.one("output_field_id", f"no field named “{reference}”")
    return str(name)


def _problem(source: str, message: str, position: int, suggestion: str | None) -> ExpressionProblem:
    line, column = line_and_column(source, position)
    return ExpressionProblem(
        message=message, offset=position, line=line, column=column, suggestion=suggestion
    )


def check_expression(uow: UnitOfWork, actor: Actor, command: ExpressionCheck) -> ExpressionCheckOut:
    """The save-time verdict on ``command.expression``; reads only."""
    actor.require_manager("check expressions")
    _owner_checked(uow, actor, command)
    fields = load_field_specs(uow, tenant_id=actor.tenant_id)
    expected: str | None = "boolean" if command.context in _BOOLEAN_CONTEXTS else None
    if command.context == "calculation" and command.output_field_id is not None:
        output = _output_name(uow, actor, command.output_field_id, fields)
        expected = type_of_field(fields[output]).value
    source = command.expression
    verdict = engine_check(source, fields=fields, result=expected)
    try:
        fields_read = sorted(referenced_names(source))
        paths_read = sorted(referenced_paths(source))
    except ExpressionError:
        fields_read, paths_read = [], []
    errors: list[ExpressionProblem] = []
    if verdict.error is not None:
        error = verdict.error
        errors.append(_problem(source, error.message, error.position, error.suggestion))
    elif verdict.type_problem is not None:
        errors.append(_problem(source, verdict.type_problem, 0, None))
    compiled = verdict.expression
    output_fields: list[str] = []
    if compiled is not None and command.context == "calculation":
        given = compiled.result_type
        output_fields = sorted(
            name for name, spec in fields.items() if given.accepts(type_of_field(spec).value)
        )
    return ExpressionCheckOut(
        ok=verdict.ok,
        errors=errors,
        suggestions=[e.suggestion for e in errors if e.suggestion],
        fields_read=fields_read,
        paths_read=paths_read,
        result_type=compiled.result_type.value if compiled is not None else None,
        expected_type=expected,
        output_fields=output_fields,
        functions=[FunctionOut(name=n, summary=s) for n, s in function_summaries().items()],
    )
