"""Tenant-scoped access to rows: every read and write names the tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from pacetrack.db.tables import Base
from pacetrack.engine.ids import as_uuid

Row = TypeVar("Row", bound=Base)


def get(session: Session, model: type[Row], *, tenant_id: uuid.UUID, id: uuid.UUID) -> Row | None:
    """The row ``id`` of ``tenant_id``, or None (also when it belongs to another tenant)."""
    row = session.get(model, (tenant_id, id))
    if row is not None and getattr(row, "deleted_at", None) is not None:
        return None
    return row


def by_id_or_name(
    session: Session,
    model: type[Row],
    *,
    tenant_id: uuid.UUID,
    name: InstrumentedAttribute[str],
    reference: str,
) -> Row | None:
    """The row of ``tenant_id`` whose id is ``reference``, else one whose ``name`` column
    holds it (people name accounts, groups and roles either way)."""
    as_id = as_uuid(reference)
    if as_id is not None:
        found = get(session, model, tenant_id=tenant_id, id=as_id)
        if found is not None:
            return found
    statement = select(model).where(
        model.tenant_id == tenant_id,  # type: ignore[attr-defined]
        name == reference,
    )
    return session.scalars(statement).first()


def get_for_update(
    session: Session,
    model: type[Row],
    *,
    tenant_id: uuid.UUID,
    id: uuid.UUID,
    keys_kept: bool = False,
) -> Row | None:
    """Locks the row for the rest of the transaction (PostgreSQL ``FOR UPDATE``).

    ``keys_kept``: the caller changes none of the row's key columns and does not delete
    it, so the lock is ``FOR NO KEY UPDATE``: other writers of the row still wait, but
    inserts of rows that refer to it (whose foreign-key check takes ``FOR KEY SHARE``)
    do not.

    SQLite has no row locks; its transactions begin IMMEDIATE (see
    ``db.session``), which serialises writers for the same effect.
    """
    statement = _for_update.get((model, keys_kept))
    if statement is None:
        statement = _for_update.setdefault((model, keys_kept), _lock_statement(model, keys_kept))
    row: Row | None = session.scalars(
        statement, {"p_tenant_id": tenant_id, "p_id": id}
    ).one_or_none()
    if row is not None and getattr(row, "deleted_at", None) is not None:
        return None
    return row


# One locking statement per model, built once with bind parameters: building a
# statement (and its cache key) costs more CPU than the round trip of running it.
_for_update: dict[tuple[type[Any], bool], Select[Any]] = {}


def _lock_statement(model: type[Row], keys_kept: bool) -> Select[Any]:
    return (
        select(model)
        .where(
            model.tenant_id == bindparam("p_tenant_id"),  # type: ignore[attr-defined]
            model.id == bindparam("p_id"),  # type: ignore[attr-defined]
        )
        .with_for_update(key_share=keys_kept)
        .execution_options(populate_existing=True)
    )


def scoped(model: type[Row], *, tenant_id: uuid.UUID) -> Select[Row]:
    """``SELECT`` of the tenant's live rows of ``model``, to refine with filters."""
    statement = select(model).where(model.tenant_id == tenant_id)  # type: ignore[attr-defined]
    if hasattr(model, "deleted_at"):
        statement = statement.where(model.deleted_at.is_(None))  # type: ignore[attr-defined]
    return statement


def all_rows(session: Session, statement: Select[Row]) -> Sequence[Row]:
    return session.scalars(statement).all()


def add(session: Session, row: Any) -> None:
    session.add(row)
