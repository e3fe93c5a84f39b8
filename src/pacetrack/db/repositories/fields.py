"""The tenant's custom field definitions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ScalarSelect,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)

from pacetrack.db import repository
from pacetrack.db.repositories.base import Repository
from pacetrack.db.tables import FieldDefinition, StepTemplate


def fields_digest(tenant_id: ColumnElement[Any]) -> ScalarSelect[Any]:
    """PostgreSQL: a revision of the tenant's live field definitions, read in the statement
    that reads a pipeline, so a move whose fields are cached needs no query of its own for
    them: how many there are, and the newest transaction that wrote one (``xmin``, which
    every insert and update of a row sets). Any change to the live set changes one of the
    two, and reading them costs nothing per field, unlike hashing the rows."""
    newest = cast(cast(literal_column("field_definition.xmin"), Text), BigInteger)
    return (
        select(func.concat(func.count(), ":", func.max(newest)))
        .where(FieldDefinition.tenant_id == tenant_id, FieldDefinition.deleted_at.is_(None))
        .scalar_subquery()
    )


@dataclass(frozen=True, kw_only=True)
class FieldSpecColumns:
    """What the engine needs of a field definition, as stored (``options``: JSON text)."""

    name: str
    field_type: str
    label: str
    options: str | None
    is_required: bool
    min_value: Decimal | None
    max_value: Decimal | None
    pattern: str | None
    precision: int | None


_SPEC_NAMES = tuple(field.name for field in fields(FieldSpecColumns))
_SPEC_COLUMNS = (
    FieldDefinition.name,
    FieldDefinition.field_type,
    FieldDefinition.label,
    cast(FieldDefinition.options, Text).label("options"),
    FieldDefinition.is_required,
    FieldDefinition.min_value,
    FieldDefinition.max_value,
    FieldDefinition.pattern,
    FieldDefinition.precision,
)
# Built once: constructing a statement and its cache key costs more than running it.
_SPECS = (
    select(*_SPEC_COLUMNS)
    .where(
        FieldDefinition.tenant_id == bindparam("tenant_id"), FieldDefinition.deleted_at.is_(None)
    )
    .order_by(FieldDefinition.name)
)
_SPECS_PG = _SPECS.add_columns(fields_digest(bindparam("tenant_id")).label("fields_digest"))


class FieldRepository(Repository):
    def live(self, tenant_id: uuid.UUID) -> list[FieldDefinition]:
        """The tenant's field definitions not deleted, by name."""
        statement = repository.scoped(FieldDefinition, tenant_id=tenant_id)
        return list(self.session.scalars(statement.order_by(FieldDefinition.name)))

    def get(self, tenant_id: uuid.UUID, field_id: uuid.UUID) -> FieldDefinition | None:
        return repository.get(self.session, FieldDefinition, tenant_id=tenant_id, id=field_id)

    def live_named(self, tenant_id: uuid.UUID, name: str) -> FieldDefinition | None:
        """The definition named ``name`` that is not deleted."""
        statement = repository.scoped(FieldDefinition, tenant_id=tenant_id)
        return self.session.scalars(statement.where(FieldDefinition.name == name)).first()

    def step_templates(self, tenant_id: uuid.UUID) -> Sequence[StepTemplate]:
        """The tenant's live step templates (whose configurations may name fields)."""
        statement = repository.scoped(StepTemplate, tenant_id=tenant_id)
        return repository.all_rows(self.session, statement)

    def spec_columns(self, tenant_id: uuid.UUID) -> tuple[tuple[FieldSpecColumns, ...], str | None]:
        """The live definitions' engine columns by name and, on PostgreSQL, their digest
        (``fields_digest``, read in the same statement, so it describes these rows)."""
        postgres = self.session.get_bind().dialect.name == "postgresql"
        rows = self.session.execute(_SPECS_PG if postgres else _SPECS, {"tenant_id": tenant_id})
        found: list[FieldSpecColumns] = []
        digest: str | None = None
        for row in rows:
            values = row._mapping
            found.append(FieldSpecColumns(**{name: values[name] for name in _SPEC_NAMES}))
            if postgres:
                digest = row.fields_digest
        return tuple(found), digest
