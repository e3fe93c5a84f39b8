"""The configuration audit: every flushed change to a registered table becomes one entry.

A session of the factory ``track`` watches remembers, at each flush, the first state it
saw of every row of an audited table (``AuditedKind``) it creates, changes or deletes.
The unit of work calls ``entries`` just before it commits: each remembered row is
compared with its state then, and a row whose audited columns differ gives one entry
(created, updated or deleted) in the same transaction. Comparing first and last state
gives one entry per entity per transaction however many flushes touched it, and leaves
out what a rolled-back savepoint undid (the row is back to its first state, or gone).

Capturing at the flush means that no service has to remember to record anything; only
writes the flush does not see (Core ``UPDATE``/``DELETE`` statements) escape it, and no
configuration is written that way. A service may ``annotate`` a row it creates when the
entry should say more than the row does (a new version that is a rollback).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from pacetrack.db.tables_auth import ENTITY_NAME_LENGTH, ConfigAuditEntry

CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"
PUBLISHED = "published"
ROLLED_BACK = "rolled_back"
ACTIONS = (CREATED, UPDATED, DELETED, PUBLISHED, ROLLED_BACK)

MASKED = "••••••••"
"""What a secret column shows instead of its value."""
MASKED_CHANGED = "•••••••• (changed)"
"""What an update shows as the new value of a secret that changed."""

_SEEN = "pacetrack_config_audit"
_ANNOTATED = "pacetrack_config_audit_annotated"

Snapshot = dict[str, Any]


def _own_name(_session: Session, row: Any) -> str:
    return str(row.name)


def _own_id(row: Any) -> uuid.UUID:
    return row.id  # type: ignore[no-any-return]


def _own_tenant(row: Any) -> uuid.UUID:
    return row.tenant_id  # type: ignore[no-any-return]


def _nothing_more(_session: Session, _row: Any) -> Snapshot:
    return {}


def _nothing_before(_session: Session, _row: Any) -> Snapshot | None:
    return None


@dataclass(frozen=True, kw_only=True)
class AuditedKind:
    """Which table is audited as which kind of entity, and what of it the log keeps.

    ``columns``: the configuration attributes recorded (their key in ``before``/``after``
    drops a trailing underscore: ``metadata_`` is ``metadata``). ``secrets``: those of them
    recorded as masked. ``soft_delete``: the attribute whose setting means "deleted".
    ``lifecycle``: False when creating or deleting the row is not itself a configuration
    change (a pipeline's steps come and go with the pipeline): only updates are recorded.
    ``described``: keys computed from related rows (a granted role's name).
    ``created``: the action a creation records (a published version is ``published``);
    ``follows``: the ``before`` of a creation that carries on from an earlier row (the
    version number a new version follows), None for a plain creation.
    """

    kind: str
    table: type[Any]
    columns: tuple[str, ...]
    secrets: frozenset[str] = frozenset()
    soft_delete: str | None = None
    lifecycle: bool = True
    name: Callable[[Session, Any], str] = _own_name
    entity_id: Callable[[Any], uuid.UUID] = _own_id
    tenant_id: Callable[[Any], uuid.UUID] = _own_tenant
    described: Callable[[Session, Any], Snapshot] = _nothing_more
    created: str = CREATED
    follows: Callable[[Session, Any], Snapshot | None] = _nothing_before


@dataclass(frozen=True, kw_only=True)
class _Annotation:
    action: str
    values: Snapshot


@dataclass
class _Seen:
    row: Any
    kind: AuditedKind
    before: Snapshot | None
    """The row's audited values when first seen; None: the row was new."""
    soft_deleted: bool = False


@dataclass
class _Watch:
    kinds: dict[type[Any], list[AuditedKind]] = field(default_factory=dict)


def _key(column: str) -> str:
    return column.rstrip("_")


def _previous(row: Any, column: str) -> Any:
    history = inspect(row).attrs[column].load_history()
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else None


def _current(row: Any, column: str) -> Any:
    return getattr(row, column)


def _values(
    session: Session, kind: AuditedKind, row: Any, read: Callable[[Any, str], Any]
) -> tuple[Snapshot, bool]:
    """The audited values of ``row`` (read with ``read``) and whether it is soft-deleted."""
    values = {_key(column): read(row, column) for column in kind.columns}
    values.update(kind.described(session, row))
    deleted = kind.soft_delete is not None and read(row, kind.soft_delete) is not None
    return values, deleted


def _seen(session: Session) -> dict[int, list[_Seen]]:
    seen: dict[int, list[_Seen]] = session.info.setdefault(_SEEN, {})
    return seen


def _watcher(watch: _Watch) -> Callable[[Session, object, object], None]:
    def before_flush(session: Session, _context: object, _instances: object) -> None:
        seen = _seen(session)
        for group, rows in (
            ("new", session.new),
            ("dirty", session.dirty),
            ("deleted", session.deleted),
        ):
            for row in rows:
                kinds = watch.kinds.get(type(row))
                if not kinds or id(row) in seen:
                    continue
                if group == "dirty" and not session.is_modified(row):
                    continue
                entries: list[_Seen] = []
                for kind in kinds:
                    if group == "new":
                        entries.append(_Seen(row=row, kind=kind, before=None))
                        continue
                    before, soft_deleted = _values(session, kind, row, _previous)
                    entries.append(
                        _Seen(row=row, kind=kind, before=before, soft_deleted=soft_deleted)
                    )
                seen[id(row)] = entries

    return before_flush


def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:
        session.info.pop(_SEEN, None)
        session.info.pop(_ANNOTATED, None)


def annotate(session: Session, row: Any, *, action: str, **values: Any) -> None:
    """Records the creation of ``row`` as ``action`` with ``values`` added to its ``after``:
    only the service knows that a new version is a rollback, and to which version."""
    annotated: dict[int, _Annotation] = session.info.setdefault(_ANNOTATED, {})
    annotated[id(row)] = _Annotation(action=action, values=values)


def track(factory: sessionmaker[Session], kinds: Sequence[AuditedKind]) -> None:
    """Makes every session of ``factory`` remember the audited rows its flushes write."""
    watch = _Watch()
    for kind in kinds:
        watch.kinds.setdefault(kind.table, []).append(kind)
    event.listen(factory, "before_flush", _watcher(watch))
    event.listen(factory, "after_soft_rollback", _rolled_back)


def _plain(value: Any) -> Any:
    """``value`` as JSON: ids and times as text, exact numbers as their digits."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _masked(kind: AuditedKind, values: Snapshot, *, changed: bool = False) -> Snapshot:
    secret_keys = {_key(column) for column in kind.secrets}
    shown: Snapshot = {}
    for key, value in values.items():
        if key in secret_keys and value is not None:
            shown[key] = MASKED_CHANGED if changed else MASKED
        else:
            shown[key] = _plain(value)
    return shown


def _gone(row: Any) -> bool:
    state = inspect(row)
    return bool(state.deleted or state.was_deleted or state.transient or state.detached)


def _action(seen: _Seen, after: Snapshot | None, soft_deleted: bool) -> str | None:
    lifecycle = seen.kind.lifecycle
    if seen.before is None:
        created = lifecycle and after is not None and not soft_deleted
        return seen.kind.created if created else None
    if after is None or (soft_deleted and not seen.soft_deleted):
        return DELETED if lifecycle else None
    return UPDATED if after != seen.before else None


def _entry(
    session: Session,
    seen: _Seen,
    *,
    at: datetime,
    actor: uuid.UUID | None,
    annotation: _Annotation | None,
) -> Any:
    kind, row = seen.kind, seen.row
    after: Snapshot | None = None
    soft_deleted = False
    if not _gone(row):
        after, soft_deleted = _values(session, kind, row, _current)
    action = _action(seen, after, soft_deleted)
    if action is None:
        return None
    before_shown: Snapshot | None = None
    after_shown: Snapshot | None = None
    if seen.before is None and after is not None:
        if annotation is not None:
            action = annotation.action
            after = {**after, **annotation.values}
        follows = kind.follows(session, row)
        before_shown = None if follows is None else _masked(kind, follows)
        after_shown = _masked(kind, after)
    elif action == DELETED and seen.before is not None:
        before_shown = _masked(kind, seen.before)
    elif seen.before is not None and after is not None:
        changed = {key for key in after if after[key] != seen.before.get(key)}
        before_shown = _masked(kind, {key: seen.before.get(key) for key in changed})
        after_shown = _masked(kind, {key: after[key] for key in changed}, changed=True)
    tenant_id = kind.tenant_id(row)
    return ConfigAuditEntry(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        at=at,
        actor_account_id=actor,
        entity_kind=kind.kind,
        entity_id=kind.entity_id(row),
        entity_name=kind.name(session, row)[:ENTITY_NAME_LENGTH],
        action=action,
        before=before_shown,
        after=after_shown,
    )


def entries(
    session: Session, *, at: datetime, actor: Callable[[uuid.UUID], uuid.UUID | None]
) -> list[ConfigAuditEntry]:
    """The entries of the changes flushed since the last commit, added to ``session``.

    ``actor(tenant_id)``: the account acting in that tenant, None for the system.
    Call it after the last flush of the transaction.
    """
    seen = session.info.pop(_SEEN, {})
    annotated: dict[int, _Annotation] = session.info.pop(_ANNOTATED, {})
    made: list[ConfigAuditEntry] = []
    for row_key, group in seen.items():
        for one in group:
            entry = _entry(
                session,
                one,
                at=at,
                actor=actor(one.kind.tenant_id(one.row)),
                annotation=annotated.get(row_key),
            )
            if entry is not None:
                made.append(entry)
    session.add_all(made)
    return made
