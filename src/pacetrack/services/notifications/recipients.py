"""Who a notification reaches: the accounts its recipients name, and of those the ones
who may see the item's pipeline."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pacetrack.db.tables import Account, Item
from pacetrack.engine.ids import as_uuid
from pacetrack.services import access
from pacetrack.services.unit_of_work import UnitOfWork


def resolve_recipients(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, item: Item, recipients: Iterable[Mapping[str, Any]]
) -> list[Account]:
    """The active accounts of ``tenant_id`` the recipients name, each once, in order.

    ``user``, ``account_group`` and ``role`` take an id or a name (username,
    group name, role name); names and ids are looked up in the tenant only.
    """
    return recipients_of(
        uow,
        tenant_id=tenant_id,
        owner_id=item.owner_account_id,
        assignee_ids=[a for a in map(as_uuid, item.assigned_account_ids or []) if a],
        recipients=recipients,
    )


def recipients_of(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    owner_id: uuid.UUID | None,
    assignee_ids: Iterable[uuid.UUID],
    recipients: Iterable[Mapping[str, Any]],
) -> list[Account]:
    """``resolve_recipients`` for an item with this owner and these assignees (which a
    simulation knows without a stored item)."""
    named = uow.recipients
    wanted: list[uuid.UUID] = []
    for recipient in recipients:
        kind, ref = recipient.get("type"), recipient.get("id")
        if kind == "owner":
            if owner_id:
                wanted.append(owner_id)
        elif kind == "assignees":
            wanted.extend(assignee_ids)
        elif kind == "user" and ref:
            account_id = as_uuid(ref) or named.account_id_named(tenant_id, ref)
            if account_id:
                wanted.append(account_id)
        elif kind == "account_group" and ref:
            group_id = as_uuid(ref) or named.group_id_named(tenant_id, ref)
            wanted.extend(named.group_member_ids(tenant_id, group_id))
        elif kind == "role" and ref:
            role_id = as_uuid(ref) or named.role_id_named(tenant_id, ref)
            wanted.extend(named.role_member_ids(tenant_id, role_id))
    unique = list(dict.fromkeys(wanted))
    if not unique:
        return []
    active = named.active_accounts(tenant_id, unique)
    return [active[account_id] for account_id in unique if account_id in active]


def who_may_hear(
    uow: UnitOfWork, *, tenant_id: uuid.UUID, instance_id: uuid.UUID, accounts: list[Account]
) -> list[Account]:
    """Those of ``accounts`` who may see the pipeline: nobody hears about an item of a
    pipeline they may not see (its fields may be sensitive)."""
    allowed = access.accounts_who_can_see(
        uow,
        tenant_id=tenant_id,
        instance_id=instance_id,
        account_ids=[account.id for account in accounts],
    )
    return [account for account in accounts if account.id in allowed]
