"""The built-in template library (``templates_library/*.yaml``): browse, preview, use.

Using a library template imports its document into the caller's tenant through the
one import path (``template_transfer.import_template``): the same checks, the
missing field definitions created, one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.engine.config import CONFIG_FAMILIES
from pacetrack.services import templates
from pacetrack.services.context import Actor
from pacetrack.services.errors import Conflict, FieldProblem, InvalidInput, NotFound
from pacetrack.services.input_types import PlainStr
from pacetrack.services.template_transfer import import_template, library_documents
from pacetrack.services.unit_of_work import UnitOfWork

KEY_PATTERN = r"^[a-z0-9_-]{1,64}$"
LIST_FAMILIES = tuple(family for family in CONFIG_FAMILIES if family != "metadata")


class LibraryTemplateSummary(BaseModel):
    key: str = Field(description="Names the template in get and instantiate")
    name: str
    description: str
    step_count: int
    step_names: list[str]


class LibraryField(BaseModel):
    name: str
    label: str
    field_type: str


class LibraryStep(BaseModel):
    name: str
    order: int
    description: str
    target_duration_days: int | None
    color: str | None
    icon: str | None
    visible_fields: list[str] = Field(description="The fields the step shows, in order")
    rule_counts: dict[str, int] = Field(description="How many rules each family holds")
    rule_ids: dict[str, list[str]] = Field(description="The ids of each family's rules")
    metadata: dict[str, Any]


class LibraryTemplate(LibraryTemplateSummary):
    fields: list[LibraryField] = Field(description="The field definitions it brings")
    steps: list[LibraryStep]


class LibraryInstantiate(BaseModel):
    """Create a pipeline template in your tenant from library template ``key``."""

    model_config = ConfigDict(extra="forbid")
    key: PlainStr = Field(max_length=64, pattern=KEY_PATTERN)
    name: PlainStr | None = Field(
        default=None, min_length=1, max_length=200, description="Default: the library's name"
    )


def _steps(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    steps = [step for step in document.get("steps") or [] if isinstance(step, Mapping)]
    return sorted(steps, key=lambda step: int(step.get("order") or 0))


def _summary(key: str, document: Mapping[str, Any]) -> LibraryTemplateSummary:
    steps = _steps(document)
    return LibraryTemplateSummary(
        key=key,
        name=str(document.get("name", key)),
        description=str(document.get("description", "")),
        step_count=len(steps),
        step_names=[str(step.get("name", "")) for step in steps],
    )


def _step(index: int, step: Mapping[str, Any]) -> LibraryStep:
    families = {family: list(step.get(family) or []) for family in LIST_FAMILIES}
    return LibraryStep(
        name=str(step.get("name", "")),
        order=int(step.get("order") or index + 1),
        description=str(step.get("description", "")),
        target_duration_days=step.get("target_duration_days"),
        color=step.get("color"),
        icon=step.get("icon"),
        visible_fields=[
            str(entry.get("field_definition_id"))
            for entry in families["field_configs"]
            if entry.get("is_visible", True)
        ],
        rule_counts={family: len(rules) for family, rules in families.items()},
        rule_ids={
            family: [str(rule["id"]) for rule in rules if "id" in rule]
            for family, rules in families.items()
            if family not in {"field_configs", "assignments"}
        },
        metadata=dict(step.get("metadata") or {}),
    )


def _document(key: str) -> Mapping[str, Any]:
    document = library_documents().get(key)
    if document is None:
        raise NotFound.one("key", f"the library has no template “{key}”")
    return document


def list_library(actor: Actor) -> list[LibraryTemplateSummary]:
    del actor  # every account may browse the shipped templates
    return [_summary(key, document) for key, document in library_documents().items()]


def get_library_template(actor: Actor, key: str) -> LibraryTemplate:
    del actor
    document = _document(key)
    return LibraryTemplate(
        **_summary(key, document).model_dump(),
        fields=[
            LibraryField(
                name=str(field["name"]), label=str(field["label"]), field_type=field["field_type"]
            )
            for field in document.get("fields") or []
        ],
        steps=[_step(index, step) for index, step in enumerate(_steps(document))],
    )


def instantiate(
    uow: UnitOfWork, actor: Actor, command: LibraryInstantiate
) -> templates.PipelineTemplateOut:
    """A new pipeline template from the library, through the import path (201; 409 when the
    name is taken or a field it brings clashes with the tenant's field of that name)."""
    actor.require_admin("create pipeline templates")
    document = _document(command.key)
    name = command.name or str(document["name"])
    if uow.templates.name_taken(actor.tenant_id, name):
        raise Conflict.one(
            "name",
            f"a pipeline template named “{name}” exists already",
            detail="Choose another name for the new pipeline template.",
        )
    try:
        return import_template(uow, actor, document, name=name)
    except InvalidInput as exc:
        # The shipped document is valid; what clashes is the tenant's own fields.
        raise Conflict(
            "The template's fields clash with fields of your tenant.",
            problems=[
                FieldProblem(field="key", message=f"{problem.field}: {problem.message}")
                for problem in exc.problems
            ],
        ) from exc
