"""JSON <-> typed step configuration, with errors that name the JSON path.

The engine's frozen dataclasses (``pacetrack.engine.config``) are the single
definition of every family; Pydantic validates incoming JSON straight into them
and publishes their JSON Schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from pacetrack.engine.config import (
    CONFIG_FAMILIES,
    Assignment,
    AutomationRule,
    Calculation,
    FieldConfig,
    NotificationRule,
    StepConfig,
    ValidationRule,
)
from pacetrack.engine.step_settings import StepSettings, read_step_settings
from pacetrack.services.errors import FieldProblem, InvalidInput
from pacetrack.services.validation_words import message_of

MAX_FAMILY_JSON_BYTES = 256 * 1024

FAMILY_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "field_configs": TypeAdapter(tuple[FieldConfig, ...]),
    "validations": TypeAdapter(tuple[Annotated[ValidationRule, Field(discriminator="type")], ...]),
    "assignments": TypeAdapter(tuple[Annotated[Assignment, Field(discriminator="type")], ...]),
    "notifications": TypeAdapter(tuple[NotificationRule, ...]),
    "automations": TypeAdapter(tuple[AutomationRule, ...]),
    "calculations": TypeAdapter(tuple[Annotated[Calculation, Field(discriminator="type")], ...]),
    "metadata": TypeAdapter(dict[str, Any]),
}
_TYPE_TAGS = {
    "field_required",
    "field_min_value",
    "field_max_value",
    "field_pattern",
    "field_comparison",
    "custom_expression",
    "user",
    "account_group",
    "role",
    "round_robin",
    "least_assigned",
    "webhook",
    "update_field",
    "notify",
    "create_item",
    "assign",
    "move_to_step",
    "sum",
    "average",
    "percentage",
    "date_diff",
    "custom",
}


def json_path(location: tuple[int | str, ...]) -> str:
    """``('validations', 0, 'field_min_value', 'min_value')`` -> ``validations[0].min_value``.

    Pydantic puts the discriminator's tag in the location of a tagged union
    member; it is not part of the document, so it is left out.
    """
    path = ""
    previous: int | str | None = None
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in _TYPE_TAGS and (
            isinstance(previous, int) or path.endswith(("action", "assignment"))
        ):
            pass
        else:
            path += f".{part}" if path else str(part)
        previous = part
    return path


def _untagged_union_errors(errors: list[Any]) -> list[Any]:
    """Keep only the errors of the union member that the input's ``type`` chose.

    Nested unions (an automation's ``action``, an assign action's ``assignment``)
    are validated member by member; Pydantic reports every member's errors under
    the member's class name. The member whose ``type`` literal matched is the one
    the author meant; when none matched, the type itself is what is wrong.
    """
    groups: dict[tuple[Any, ...], dict[str, list[Any]]] = {}
    kept: list[Any] = []
    for error in errors:
        location = tuple(error["loc"])
        member_at = next(
            (i for i, part in enumerate(location) if isinstance(part, str) and part[:1].isupper()),
            None,
        )
        if member_at is None:
            kept.append(error)
            continue
        owner = location[:member_at]
        member = str(location[member_at])
        stripped = {**error, "loc": owner + location[member_at + 1 :]}
        groups.setdefault(owner, {}).setdefault(member, []).append(stripped)
    for owner, members in groups.items():
        chosen = [
            member_errors
            for member_errors in members.values()
            if not any(e["loc"] == (*owner, "type") for e in member_errors)
        ]
        if len(chosen) == 1:
            kept.extend(chosen[0])
        else:
            tags = sorted(
                str(e.get("ctx", {}).get("expected", "")).strip("'")
                for member_errors in members.values()
                for e in member_errors
                if e["loc"] == (*owner, "type")
            )
            kept.append(
                {
                    "loc": (*owner, "type"),
                    "type": "union_tag_invalid",
                    "msg": "unknown type; expected one of " + ", ".join(tags),
                }
            )
    return kept


def problems_from(exc: ValidationError, prefix: str) -> list[FieldProblem]:
    problems = []
    errors = list(exc.errors(include_url=False))
    for _depth in range(4):  # unions nest: action -> assignment
        errors = _untagged_union_errors(errors)
    for error in errors:
        location = (prefix, *error["loc"]) if prefix else tuple(error["loc"])
        message = message_of(error)
        if error["type"] == "union_tag_invalid" and "ctx" in error:
            message = f"unknown type; expected one of {error['ctx'].get('expected_tags', '')}"
        problems.append(FieldProblem(field=json_path(location), message=message))
    return problems


def parse_family(family: str, raw: Any, *, prefix: str | None = None) -> Any:
    """Validate ``raw`` JSON as ``family``; raises InvalidInput naming each bad path."""
    if family not in FAMILY_ADAPTERS:
        raise InvalidInput.one(family, f"unknown configuration family “{family}”")
    label = family if prefix is None else prefix
    if len(json.dumps(raw, default=str)) > MAX_FAMILY_JSON_BYTES:
        raise InvalidInput.one(label, f"is larger than {MAX_FAMILY_JSON_BYTES // 1024} KiB")
    try:
        return FAMILY_ADAPTERS[family].validate_python(raw)
    except ValidationError as exc:
        raise InvalidInput(problems_from(exc, label)) from exc


def dump_family(family: str, value: Any) -> Any:
    """The canonical JSON form that is stored and returned."""
    dumped = FAMILY_ADAPTERS[family].dump_python(value, mode="json", exclude_none=True)
    return list(dumped) if isinstance(dumped, tuple) else dumped


def family_schemas() -> dict[str, Any]:
    return {family: FAMILY_ADAPTERS[family].json_schema() for family in CONFIG_FAMILIES}


@lru_cache(maxsize=4096)
def _parse_stored(family: str, encoded: str) -> Any:
    return FAMILY_ADAPTERS[family].validate_json(encoded)


def stored_family(family: str, stored: Any) -> Any:
    """Typed value of a stored (already validated) family, cached by its content."""
    return _parse_stored(family, json.dumps(stored, sort_keys=True, default=str))


def stored_rules(raw: Any) -> tuple[ValidationRule, ...]:
    """Stored rules shaped like the validations family (``metadata.entry_validations``);
    raises ValueError when they are not."""
    rules: tuple[ValidationRule, ...] = stored_family("validations", raw)
    return rules


def step_settings(metadata: Mapping[str, Any]) -> StepSettings:
    """The typed settings of stored ``metadata`` (``engine.step_settings``)."""
    return read_step_settings(metadata, parse_rules=stored_rules)


def step_config(
    families: Mapping[str, Any], *, target_duration_days: int | None = None
) -> StepConfig:
    """A StepConfig from stored family documents (missing families are empty)."""
    values: dict[str, Any] = {}
    for family in CONFIG_FAMILIES:
        if family in families and families[family] is not None:
            values[family] = stored_family(family, families[family])
    return StepConfig(**values, target_duration_days=target_duration_days, rule_parser=stored_rules)
