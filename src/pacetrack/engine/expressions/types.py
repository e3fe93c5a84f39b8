"""The static types of the expression language and how field types map onto them."""

from __future__ import annotations

from enum import StrEnum

from pacetrack.engine.fields import NUMERIC_TYPES, FieldSpec, FieldType


class ValueType(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    LIST = "list"
    OBJECT = "object"
    NULL = "null"
    ANY = "any"
    """A value inside an object field: its type is only known at run time."""

    def accepts(self, wanted: str) -> bool:
        """Whether a value of this static type may be used where ``wanted`` is needed."""
        return self in {ValueType.ANY, ValueType.NULL} or self.value == wanted

    @property
    def known(self) -> bool:
        return self not in {ValueType.ANY, ValueType.NULL}


_BY_FIELD_TYPE = {
    FieldType.DATE: ValueType.DATE,
    FieldType.DATETIME: ValueType.DATETIME,
    FieldType.BOOLEAN: ValueType.BOOLEAN,
    FieldType.MULTISELECT: ValueType.LIST,
    FieldType.OBJECT: ValueType.OBJECT,
}


def type_of_field(spec: FieldSpec) -> ValueType:
    """The expression type of a field's value (text for text-like, option and user fields)."""
    if spec.field_type in NUMERIC_TYPES:
        return ValueType.NUMBER
    return _BY_FIELD_TYPE.get(spec.field_type, ValueType.TEXT)


def unify(types: list[ValueType]) -> ValueType | None:
    """The common type of alternatives (branches, coalesce arguments); None when they clash."""
    known = {t for t in types if t is not ValueType.NULL}
    if ValueType.ANY in known:
        return ValueType.ANY
    if not known:
        return ValueType.NULL
    if len(known) == 1:
        return known.pop()
    return None
