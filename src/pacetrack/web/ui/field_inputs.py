"""Form inputs for custom fields: a stored value shown in its input, a submitted input read back.

Only the fields whose input differs from what the page showed are sent to the
update service, so saving a form never rewrites (or clears) values the user did
not touch. Values go to the service as typed; it checks and normalizes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from pacetrack.services.fields import FieldDefinitionOut
from pacetrack.services.items import CalculatedFieldOut
from pacetrack.services.vocabulary import FieldType

INPUT_PREFIX = "field__"

# The HTML control used for each field type.
WIDGETS = {
    FieldType.TEXT: "text",
    FieldType.LONG_TEXT: "textarea",
    FieldType.NUMBER: "number",
    FieldType.CURRENCY: "number",
    FieldType.PERCENTAGE: "number",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime-local",
    FieldType.BOOLEAN: "checkbox",
    FieldType.DROPDOWN: "select",
    FieldType.MULTISELECT: "multiselect",
    FieldType.EMAIL: "email",
    FieldType.URL: "url",
    FieldType.USER: "user",
    FieldType.OBJECT: "json",
}


@dataclass(frozen=True, kw_only=True)
class FieldInput:
    """One field as the item form shows it."""

    name: str
    label: str
    description: str
    field_type: str
    widget: str
    shown: Any
    """The input's content: a string, a bool (checkbox) or a tuple of options (multi-select)."""
    options: tuple[str, ...]
    required: bool
    errors: tuple[str, ...] = field(default=())
    formula: str = ""
    """For a calculated field (shown read-only): what its value is made of."""
    calculation_error: str = ""

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"

    @property
    def input_name(self) -> str:
        return INPUT_PREFIX + self.name


def shown_value(definition: FieldDefinitionOut, value: Any) -> Any:
    """A stored (canonical) value as its input displays it."""
    widget = WIDGETS.get(FieldType(definition.field_type), "text")
    if widget == "checkbox":
        return value is True
    if widget == "multiselect":
        return tuple(value) if isinstance(value, list) else ()
    if value is None:
        return ""
    if widget == "datetime-local" and isinstance(value, str):
        # Stored as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC); the input shows UTC without the zone.
        return value.removesuffix("Z")[:16]
    if widget == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


def submitted_value(definition: FieldDefinitionOut, form: FormData) -> Any:
    """What the form holds for a field, in the same shape as ``shown_value``."""
    widget = WIDGETS.get(FieldType(definition.field_type), "text")
    key = INPUT_PREFIX + definition.name
    if widget == "checkbox":
        return form.get(key) == "on"
    if widget == "multiselect":
        chosen = {str(option) for option in form.getlist(key)}
        return tuple(option for option in definition.options if option in chosen)
    return str(form.get(key, ""))


def to_raw(definition: FieldDefinitionOut, submitted: Any) -> tuple[Any, str | None]:
    """The value to hand to the update service, or why the input cannot be read."""
    widget = WIDGETS.get(FieldType(definition.field_type), "text")
    if widget == "checkbox":
        return bool(submitted), None
    if widget == "multiselect":
        return (list(submitted) or None), None
    text = str(submitted)
    if not text.strip():
        return None, None
    if widget == "datetime-local":
        return text.strip() + "Z", None
    if widget == "json":
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, f"must be valid JSON ({exc.msg} at line {exc.lineno})"
        return parsed, None
    if widget in {"number", "date", "email", "url", "user"}:
        return text.strip(), None
    return text, None


def build_inputs(
    definitions: Mapping[str, FieldDefinitionOut],
    *,
    visible: Sequence[str],
    required: Sequence[str],
    values: Mapping[str, Any],
    errors: Mapping[str, Sequence[str]],
    form: FormData | None = None,
    calculated: Mapping[str, CalculatedFieldOut] | None = None,
) -> list[FieldInput]:
    """The inputs of the visible fields; after a refused save they keep what was typed.
    Calculated fields always show their stored value (they are read-only)."""
    inputs = []
    for name in visible:
        definition = definitions.get(name)
        if definition is None:
            continue
        kind = FieldType(definition.field_type)
        calculation = (calculated or {}).get(name)
        shown = (
            submitted_value(definition, form)
            if form is not None and calculation is None
            else shown_value(definition, values.get(name))
        )
        inputs.append(
            FieldInput(
                name=name,
                label=definition.label or name,
                description=definition.description,
                field_type=kind.value,
                widget=WIDGETS.get(kind, "text"),
                shown=shown,
                options=tuple(definition.options),
                required=name in required,
                errors=tuple(errors.get(name, ())),
                formula=calculation.formula if calculation else "",
                calculation_error=(calculation.error or "") if calculation else "",
            )
        )
    return inputs


def changed_values(
    definitions: Mapping[str, FieldDefinitionOut],
    *,
    visible: Sequence[str],
    values: Mapping[str, Any],
    form: FormData,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The fields whose input changed, as raw values, and the inputs that cannot be read."""
    changes: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name in visible:
        definition = definitions.get(name)
        if definition is None:
            continue
        submitted = submitted_value(definition, form)
        if submitted == shown_value(definition, values.get(name)):
            continue
        raw, problem = to_raw(definition, submitted)
        if problem is not None:
            problems[name] = [f"{definition.label or name} {problem}"]
        else:
            changes[name] = raw
    return changes, problems
