"""Who may see a pipeline instance (and its items): the rule, as a pure predicate.

An instance's ``access`` document is ``{"restricted": bool, "accounts": [...],
"account_groups": [...], "roles": [...]}`` with canonical UUID strings (the
service layer resolves names to ids when it is saved). An unrestricted
instance is seen by everyone in the tenant; a restricted one only by admins,
the instance's owner and the listed accounts, group members and role holders.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pacetrack.engine.ids import as_uuid


@dataclass(frozen=True, kw_only=True)
class InstanceAccess:
    restricted: bool = False
    accounts: frozenset[uuid.UUID] = frozenset()
    account_groups: frozenset[uuid.UUID] = frozenset()
    roles: frozenset[uuid.UUID] = frozenset()


UNRESTRICTED = InstanceAccess()


@dataclass(frozen=True, kw_only=True)
class Viewer:
    """What the rule needs to know about a person: admin or not, groups and roles held."""

    account_id: uuid.UUID | None
    is_admin: bool
    group_ids: frozenset[uuid.UUID] = frozenset()
    role_ids: frozenset[uuid.UUID] = frozenset()


def _ids(raw: object) -> frozenset[uuid.UUID]:
    if not isinstance(raw, list | tuple):
        return frozenset()
    return frozenset(found for found in map(as_uuid, raw) if found is not None)


def parse_access(document: Mapping[str, Any] | None) -> InstanceAccess:
    """The stored document as a value; a missing one is unrestricted.

    An unreadable list entry is dropped, which can only narrow who sees a
    restricted instance, never widen it.
    """
    if not document:
        return UNRESTRICTED
    return InstanceAccess(
        restricted=document.get("restricted") is True,
        accounts=_ids(document.get("accounts")),
        account_groups=_ids(document.get("account_groups")),
        roles=_ids(document.get("roles")),
    )


def needs_memberships(
    access: InstanceAccess, *, owner_id: uuid.UUID | None, viewer: Viewer
) -> bool:
    """Whether the viewer's groups and roles decide (so the caller must load them)."""
    if not access.restricted or viewer.is_admin or viewer.account_id is None:
        return False
    if viewer.account_id == owner_id or viewer.account_id in access.accounts:
        return False
    return bool(access.account_groups or access.roles)


def may_see(access: InstanceAccess, *, owner_id: uuid.UUID | None, viewer: Viewer) -> bool:
    """Whether ``viewer`` may see an instance with ``access`` owned by ``owner_id``."""
    if not access.restricted or viewer.is_admin:
        return True
    if viewer.account_id is None:
        return False
    if viewer.account_id == owner_id or viewer.account_id in access.accounts:
        return True
    return bool(access.account_groups & viewer.group_ids or access.roles & viewer.role_ids)
