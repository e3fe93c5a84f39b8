"""Who gets an item: the choice made by each assignment rule, as pure functions.

The service layer resolves a rule's group, role or user into ``Candidate``
values (with their active state and, for ``least_assigned``, their workload)
and passes the round-robin position it read under a lock; these functions only
decide. Inactive accounts are never chosen. Candidates are ordered by
``(username, id)``: usernames are unique per tenant and readable, so the
rotation order and the tie-break are both stable and explainable to an admin.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

RuleType = Literal["user", "account_group", "role", "round_robin", "least_assigned"]
AssignMode = Literal["add", "remove", "replace"]


@dataclass(frozen=True, kw_only=True)
class Candidate:
    account_id: uuid.UUID
    username: str
    is_active: bool = True
    can_see: bool = True
    """Whether the account may see the item's pipeline (a restricted one admits a few)."""
    active_items: int = 0

    @property
    def order_key(self) -> tuple[str, str]:
        return (self.username, str(self.account_id))


@dataclass(frozen=True, kw_only=True)
class RotationPosition:
    """The member a round robin chose last (its order key survives the member leaving)."""

    account_id: uuid.UUID
    username: str

    @property
    def order_key(self) -> tuple[str, str]:
        return (self.username, str(self.account_id))


@dataclass(frozen=True, kw_only=True)
class RuleChoice:
    """What one rule decided: the accounts chosen, or why nobody was."""

    chosen: tuple[uuid.UUID, ...] = ()
    unresolved_reason: str | None = None
    rotation: RotationPosition | None = None


def eligible(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The active candidates who can see the pipeline, in their stable order, each once."""
    seen: set[uuid.UUID] = set()
    result: list[Candidate] = []
    for candidate in sorted(candidates, key=lambda c: c.order_key):
        if candidate.is_active and candidate.can_see and candidate.account_id not in seen:
            seen.add(candidate.account_id)
            result.append(candidate)
    return result


def _nobody(candidates: Sequence[Candidate], what: str) -> str:
    if not candidates:
        return f"{what} has no members"
    if not any(candidate.is_active for candidate in candidates):
        return f"{what} has no active members"
    return f"{what} has no active members who can see this pipeline"


def choose_everyone(candidates: Sequence[Candidate], *, what: str) -> RuleChoice:
    """``user``, ``account_group`` and ``role``: every active candidate."""
    chosen = eligible(candidates)
    if not chosen:
        return RuleChoice(unresolved_reason=_nobody(candidates, what))
    return RuleChoice(chosen=tuple(c.account_id for c in chosen))


def choose_round_robin(
    candidates: Sequence[Candidate], *, last: RotationPosition | None, what: str
) -> RuleChoice:
    """The first active member after the one chosen last, wrapping around.

    Comparing order keys rather than list positions keeps the rotation fair when
    members join, leave or are deactivated between two entries.
    """
    members = eligible(candidates)
    if not members:
        return RuleChoice(unresolved_reason=_nobody(candidates, what))
    chosen = members[0]
    if last is not None:
        chosen = next((m for m in members if m.order_key > last.order_key), members[0])
    return RuleChoice(
        chosen=(chosen.account_id,),
        rotation=RotationPosition(account_id=chosen.account_id, username=chosen.username),
    )


def choose_least_assigned(candidates: Sequence[Candidate], *, what: str) -> RuleChoice:
    """The active member with the fewest active items; ties go to the first in order."""
    members = eligible(candidates)
    if not members:
        return RuleChoice(unresolved_reason=_nobody(candidates, what))
    chosen = min(members, key=lambda m: (m.active_items, m.order_key))
    return RuleChoice(chosen=(chosen.account_id,))


def apply_mode(
    current: Sequence[uuid.UUID], mode: AssignMode, accounts: Sequence[uuid.UUID]
) -> tuple[uuid.UUID, ...]:
    """The assignees after a manual change; order is kept and duplicates dropped."""
    if mode == "replace":
        return tuple(dict.fromkeys(accounts))
    if mode == "add":
        return tuple(dict.fromkeys([*current, *accounts]))
    removed = set(accounts)
    return tuple(a for a in dict.fromkeys(current) if a not in removed)


def difference(
    before: Sequence[uuid.UUID], after: Sequence[uuid.UUID]
) -> tuple[tuple[uuid.UUID, ...], tuple[uuid.UUID, ...]]:
    """``(added, removed)`` between two assignee lists."""
    old, new = set(before), set(after)
    return (
        tuple(a for a in dict.fromkeys(after) if a not in old),
        tuple(a for a in dict.fromkeys(before) if a not in new),
    )
