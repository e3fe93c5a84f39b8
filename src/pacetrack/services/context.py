"""Who is asking: every service call takes an Actor and is scoped to its tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pacetrack.services.errors import PermissionDenied

ADMIN = "admin"
MANAGER = "manager"
MEMBER = "member"
BUILT_IN_ROLES = (ADMIN, MANAGER, MEMBER)


@dataclass(frozen=True, kw_only=True)
class Actor:
    tenant_id: uuid.UUID
    account_id: uuid.UUID | None
    roles: frozenset[str]
    email: str = ""

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    def require_admin(self, action: str) -> None:
        if not self.is_admin:
            raise PermissionDenied(f"Only admins can {action}.")

    def require_manager(self, action: str) -> None:
        if not (self.roles & {ADMIN, MANAGER}):
            raise PermissionDenied(f"Only admins and managers can {action}.")


def system_actor(tenant_id: uuid.UUID) -> Actor:
    """The tenant itself acting (automations, the worker, the command line)."""
    return Actor(tenant_id=tenant_id, account_id=None, roles=frozenset({ADMIN}), email="system")
