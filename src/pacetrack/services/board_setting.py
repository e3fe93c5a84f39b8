"""A pipeline template's board setting: the money field each column totals and the fields
each card shows.

Stored in ``pipeline_template.board`` by field name, checked at save against the tenant's
fields: an unknown field, or a money field that is not a currency field, is refused with a
422 naming ``board.money_field`` or ``board.card_fields[i]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.engine.fields import FieldSpec, FieldType
from pacetrack.services.errors import FieldProblem, InvalidInput
from pacetrack.services.input_types import PlainStr

MAX_CARD_FIELDS = 6
FieldName = Annotated[PlainStr, Field(min_length=1, max_length=63)]


class BoardSetting(BaseModel):
    """Which field a column totals (a currency field) and which fields a card shows."""

    model_config = ConfigDict(extra="forbid")
    money_field: FieldName | None = Field(
        default=None, description="A currency field, totalled per column"
    )
    card_fields: list[FieldName] = Field(
        default_factory=list,
        max_length=MAX_CARD_FIELDS,
        description="Fields shown on each card, in order",
    )


def board_problems(
    setting: BoardSetting, fields: Mapping[str, FieldSpec], *, prefix: str = "board"
) -> list[FieldProblem]:
    """Every reason ``setting`` cannot be saved against the tenant's ``fields``."""
    problems: list[FieldProblem] = []
    if setting.money_field is not None:
        spec = fields.get(setting.money_field)
        path = f"{prefix}.money_field"
        if spec is None:
            problems.append(
                FieldProblem(field=path, message=f"there is no field “{setting.money_field}”")
            )
        elif spec.field_type is not FieldType.CURRENCY:
            problems.append(
                FieldProblem(
                    field=path,
                    message=f"{spec.display_name} is not a currency field, "
                    "so it cannot be totalled",
                )
            )
    seen: set[str] = set()
    for index, name in enumerate(setting.card_fields):
        path = f"{prefix}.card_fields[{index}]"
        if name not in fields:
            problems.append(FieldProblem(field=path, message=f"there is no field “{name}”"))
        elif name in seen:
            problems.append(FieldProblem(field=path, message="listed twice"))
        seen.add(name)
    return problems


def checked_board(
    setting: BoardSetting | None, fields: Mapping[str, FieldSpec], *, prefix: str = "board"
) -> dict[str, Any]:
    """The document to store for ``setting`` (422 with every problem when it does not fit)."""
    if setting is None:
        return {}
    problems = board_problems(setting, fields, prefix=prefix)
    if problems:
        raise InvalidInput(problems, "The board setting names fields that do not fit.")
    return setting.model_dump(exclude_defaults=False)


def stored_board(document: Mapping[str, Any] | None) -> BoardSetting:
    """The stored setting (an empty one when none was saved)."""
    return BoardSetting.model_validate(dict(document or {}))
