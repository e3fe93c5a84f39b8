"""Who a simulated step would reach: the assignees it would choose and the people each
notification would tell, by name, decided as entering the step decides them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pacetrack.db import repository
from pacetrack.db.tables import Account, Item, StepTemplate
from pacetrack.engine.config import StepConfig
from pacetrack.engine.triggers import Decided
from pacetrack.services import assignment_rules, notifications
from pacetrack.services.context import ADMIN, Actor
from pacetrack.services.side_effects import dump_rule
from pacetrack.services.studio.simulation_models import AccountRef, FiringOut, UnresolvedOut
from pacetrack.services.unit_of_work import UnitOfWork


class People:
    """Account names for ids, read once per simulation."""

    def __init__(self, uow: UnitOfWork, tenant_id: uuid.UUID) -> None:
        self._session = uow.session
        self._tenant_id = tenant_id
        self._known: dict[uuid.UUID, AccountRef] = {}

    def refs(self, accounts: Iterable[Account]) -> list[AccountRef]:
        return [self.ref(account) for account in accounts]

    def ref(self, account: Account) -> AccountRef:
        found = AccountRef(
            id=account.id, username=account.username, display_name=account.display_name
        )
        self._known[account.id] = found
        return found

    def by_ids(self, ids: Sequence[uuid.UUID]) -> list[AccountRef]:
        missing = [account_id for account_id in ids if account_id not in self._known]
        if missing:
            statement = repository.scoped(Account, tenant_id=self._tenant_id).where(
                Account.id.in_(missing)
            )
            for account in repository.all_rows(self._session, statement):
                self.ref(account)
        return [self._known[account_id] for account_id in ids if account_id in self._known]


class Firings:
    """Decided rules as answers, with the accounts each notification would reach."""

    def __init__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        people: People,
        *,
        instance_id: uuid.UUID | None,
        owner_id: uuid.UUID | None,
    ) -> None:
        self._uow, self._actor, self._people = uow, actor, people
        self._instance_id, self._owner_id = instance_id, owner_id

    def recipients(
        self, recipients: Sequence[Mapping[str, Any]], assignee_ids: Sequence[uuid.UUID]
    ) -> list[AccountRef]:
        uow, tenant_id = self._uow, self._actor.tenant_id
        named = notifications.recipients_of(
            uow,
            tenant_id=tenant_id,
            owner_id=self._owner_id,
            assignee_ids=assignee_ids,
            recipients=recipients,
        )
        if self._instance_id is not None:
            named = notifications.who_may_hear(
                uow, tenant_id=tenant_id, instance_id=self._instance_id, accounts=named
            )
        return self._people.refs(named)

    def out(self, decided: Iterable[Decided], assignee_ids: Sequence[uuid.UUID]) -> list[FiringOut]:
        answers = []
        for entry in decided:
            rule, kind = entry.firing.rule, entry.firing.kind
            dumped = dump_rule(kind, rule)
            recipients: list[AccountRef] = []
            if kind == "notification" and entry.condition.holds:
                recipients = self.recipients(dumped.get("recipients") or [], assignee_ids)
            answers.append(
                FiringOut(
                    rule_kind=kind,
                    rule_id=rule.id,
                    trigger=rule.trigger,
                    fires=entry.condition.holds,
                    condition_error=entry.condition.error,
                    recipients=recipients,
                    rule=dumped,
                )
            )
        return answers


def system_notifications(
    firings: Firings,
    *,
    before: Sequence[uuid.UUID],
    after: Sequence[uuid.UUID],
    unresolved: Sequence[UnresolvedOut],
    pipeline_owner_id: uuid.UUID | None,
) -> list[FiringOut]:
    """The notifications assignment on entry sends (``side_effects.record``'s system rules):
    the newly assigned are told; nobody assigned tells the pipeline's owner and the admins."""
    added = [account for account in after if account not in set(before)]
    rules: list[dict[str, Any]] = []
    if added:
        recipients = [{"type": "user", "id": str(account)} for account in added]
        rules.append({"id": "item_assigned", "trigger": "assigned", "recipients": recipients})
    owner = [{"type": "user", "id": str(pipeline_owner_id)}] if pipeline_owner_id else []
    for problem in unresolved if not after else ():  # one per rule that found nobody
        rules.append(
            {
                "id": "assignment_unresolved",
                "trigger": "assignment_unresolved",
                "recipients": [*owner, {"type": "role", "id": ADMIN}],
                "context": {"rule_type": problem.rule_type, "reason": problem.reason},
            }
        )
    return [
        FiringOut(
            rule_kind="notification",
            rule_id=rule["id"],
            trigger=rule["trigger"],
            fires=True,
            recipients=firings.recipients(rule["recipients"], after),
            rule={**rule, "template": rule["id"]},
        )
        for rule in rules
    ]


def assignment_preview(
    uow: UnitOfWork,
    actor: Actor,
    config: StepConfig,
    *,
    step: StepTemplate | None,
    item: Item | None,
    now: datetime,
) -> tuple[tuple[uuid.UUID, ...], list[UnresolvedOut]]:
    """Whom entering would assign (the item's assignees when the step has no rules)."""
    kept = assignment_rules.assignees(item) if item is not None else ()
    if not config.assignments:
        return kept, []
    placement = assignment_rules.Placement(
        tenant_id=actor.tenant_id,
        instance_id=item.pipeline_instance_id if item is not None else None,
        item_id=item.id if item is not None else None,
        step_template_id=step.id if step is not None else None,
    )
    chosen: list[uuid.UUID] = []
    unresolved: list[UnresolvedOut] = []
    for rule in config.assignments:
        choice = assignment_rules.choose(
            uow, placement=placement, rule=rule, now=now, take_turn=False
        )
        if choice.unresolved_reason is not None:
            unresolved.append(
                UnresolvedOut(
                    rule_type=rule.type, rule_target=rule.id, reason=choice.unresolved_reason
                )
            )
        chosen.extend(choice.chosen)
    return tuple(dict.fromkeys(chosen)), unresolved
