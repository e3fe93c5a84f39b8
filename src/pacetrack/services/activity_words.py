"""The item's activity log rows as sentences for people.

Each row kind has one function from its stored ``data`` to a ``Sentence``.
People are named by display name, steps and fields by their names and labels,
assignment rules by the group or role they draw from. Rows written before a
key existed (for example ``choices`` on ``item.assigned``) still read, with
fewer particulars.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pacetrack.engine.fields import FieldSpec, FieldType
from pacetrack.engine.words import counted

NOBODY = "nobody"


@dataclass(frozen=True, kw_only=True)
class Lookup:
    """The names a sentence may need, read once for the whole log."""

    accounts: Mapping[str, str]
    """Account id → display name."""
    steps: Mapping[str, str]
    """Step id → name."""
    fields: Mapping[str, FieldSpec]
    groups: Mapping[str, str] = field(default_factory=dict)
    """Group id or name → name."""
    roles: Mapping[str, str] = field(default_factory=dict)
    """Role id or name → name."""

    def person(self, account_id: object) -> str:
        return self.accounts.get(str(account_id), "a former member")

    def people(self, account_ids: Sequence[object]) -> str:
        return joined([self.person(account) for account in account_ids]) or NOBODY

    def step(self, data: Mapping[str, Any], key: str) -> str:
        """The step named by ``data[key + "_id"]``, else the name stored beside it."""
        stored = data.get(key)
        return self.steps.get(str(data.get(f"{key}_id")), str(stored) if stored else "a step")

    def label(self, name: object) -> str:
        spec = self.fields.get(str(name))
        return spec.display_name if spec is not None else str(name)


@dataclass(frozen=True, kw_only=True)
class Sentence:
    text: str
    details: tuple[str, ...] = ()
    outcome: str = "info"
    """``info``, ``ok``, ``refused``, ``failed`` or ``pending``: how the page marks it."""


def joined(parts: Sequence[str]) -> str:
    """ "Ana", "Ana and Bo", "Ana, Bo and Cy"."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def value_words(value: Any, spec: FieldSpec | None, lookup: Lookup) -> str:
    """A stored field value as people read it."""
    if value is None or value == "" or value == []:
        return "empty"
    kind = spec.field_type if spec is not None else None
    if kind is FieldType.USER:
        return lookup.person(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return joined([str(part) for part in value])
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def _created(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    return Sentence(text=f"Created at {lookup.step(data, 'step')}.")


def _fields_changed(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    changes = [change for change in data.get("changes") or [] if isinstance(change, Mapping)]
    details = tuple(
        f"{lookup.label(change.get('field'))}: "
        f"{value_words(change.get('old'), lookup.fields.get(str(change.get('field'))), lookup)}"
        f" → {value_words(change.get('new'), lookup.fields.get(str(change.get('field'))), lookup)}"
        for change in changes
    )
    return Sentence(text=f"Changed {counted(len(changes), 'field')}.", details=details)


def _moved(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    how = " automatically" if data.get("automatic") else ""
    moved = f"Moved{how} from {lookup.step(data, 'from_step')} to {lookup.step(data, 'to_step')}"
    version = data.get("upgrade_to_version")
    text = f"{moved} by the upgrade to version {version}." if version else f"{moved}."
    calculated = [lookup.label(name) for name in data.get("calculated") or []]
    details = (f"Recalculated {joined(calculated)}.",) if calculated else ()
    return Sentence(text=text, details=details, outcome="ok")


def _move_blocked(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    violations = [v for v in data.get("violations") or [] if isinstance(v, Mapping)]
    how = "An automatic move" if data.get("automation_id") else "The move"
    reasons = counted(len(violations), "reason")
    return Sentence(
        text=f"{how} to {lookup.step(data, 'to_step')} was refused ({reasons}).",
        details=tuple(str(v.get("message", "")) for v in violations if v.get("message")),
        outcome="refused",
    )


def rule_words(rule_type: str, target: str, lookup: Lookup) -> str:
    """How an assignment rule chooses: "by round robin among Sales reps"."""
    group = lookup.groups.get(target, target)
    if rule_type == "round_robin":
        return f"by round robin among {group}"
    if rule_type == "least_assigned":
        return f"as the least busy of {group}"
    if rule_type == "account_group":
        return f"as a member of {group}"
    if rule_type == "role":
        return f"as holding the role {lookup.roles.get(target, target)}"
    return "by name in the step's rules"


def _assigned(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    added = list(data.get("added") or [])
    removed = list(data.get("removed") or [])
    details: list[str] = []
    if data.get("source") == "step_entry":
        choices = [c for c in data.get("choices") or [] if isinstance(c, Mapping)]
        for choice in choices:
            chosen = list(choice.get("chosen") or [])
            if chosen:
                how = rule_words(
                    str(choice.get("rule_type")), str(choice.get("rule_target")), lookup
                )
                details.append(f"Assigned to {lookup.people(chosen)} {how}.")
        if not choices and added:
            details.append(f"Assigned to {lookup.people(added)} by the step's rules.")
        if removed:
            details.append(f"No longer assigned: {lookup.people(removed)}.")
        text = f"Entering {lookup.step(data, 'step')} changed the assignees."
        return Sentence(text=details.pop(0) if len(details) == 1 else text, details=tuple(details))
    if data.get("mode") == "replace":
        return Sentence(text=f"Set the assignees to {lookup.people(data.get('assignees') or [])}.")
    if added:
        details.append(f"Assigned {lookup.people(added)}.")
    if removed:
        details.append(f"Removed {lookup.people(removed)} from the assignees.")
    return Sentence(text=" ".join(details) or "Left the assignees as they were.")


def _unresolved(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    how = rule_words(str(data.get("rule_type")), str(data.get("rule_target")), lookup)
    reason = str(data.get("reason") or "nobody was eligible")
    left = " The item has no assignee." if data.get("left_unassigned") else ""
    return Sentence(text=f"Nobody could be assigned {how}: {reason}.{left}", outcome="failed")


def _owner_changed(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    before, after = data.get("from_account_id"), data.get("to_account_id")
    old = lookup.person(before) if before else NOBODY
    return Sentence(text=f"Changed the owner from {old} to {lookup.person(after)}.")


def _comment(data: Mapping[str, Any]) -> tuple[str, ...]:
    comment = str(data.get("comment") or "").strip()
    return (f"“{comment}”",) if comment else ()


def _approval_requested(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    return Sentence(
        text=f"Asked for approval to leave {lookup.step(data, 'step')}.",
        details=_comment(data),
        outcome="pending",
    )


def _approval_approved(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    done = data.get("status") == "approved"
    text = f"Approved leaving {lookup.step(data, 'step')}."
    if not done:
        text += " More approvals are needed."
    return Sentence(text=text, details=_comment(data), outcome="ok" if done else "pending")


def _approval_rejected(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    return Sentence(
        text=f"Rejected leaving {lookup.step(data, 'step')}.",
        details=_comment(data),
        outcome="refused",
    )


def _approval_voided(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    changed = [lookup.label(name) for name in data.get("fields") or []]
    why = f" because {joined(changed)} changed" if changed else ""
    return Sentence(
        text=f"The approval to leave {lookup.step(data, 'step')} no longer counts{why}.",
        outcome="refused",
    )


def _automation_problem(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    message = str(data.get("message") or "it could not run")
    return Sentence(text=f"An automation could not run: {message}.", outcome="failed")


def _condition_failed(data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    rule = "A notification" if data.get("rule_kind") == "notification" else "An automation"
    error = str(data.get("error") or "it could not be checked")
    return Sentence(
        text=f"{rule} did not run because its condition could not be checked: {error}.",
        outcome="failed",
    )


SENTENCES: dict[str, Callable[[Mapping[str, Any], Lookup], Sentence]] = {
    "item.created": _created,
    "item.fields_changed": _fields_changed,
    "item.moved": _moved,
    "item.move_blocked": _move_blocked,
    "item.assigned": _assigned,
    "item.owner_changed": _owner_changed,
    "assignment.unresolved": _unresolved,
    "approval.requested": _approval_requested,
    "approval.approved": _approval_approved,
    "approval.rejected": _approval_rejected,
    "approval.voided": _approval_voided,
    "item.automation_error": _automation_problem,
    "item.automation_loop_stopped": _automation_problem,
    "rule.condition_failed": _condition_failed,
}


def sentence(kind: str, data: Mapping[str, Any], lookup: Lookup) -> Sentence:
    """The row as a sentence; a kind without its own words reads as its name."""
    words = SENTENCES.get(kind)
    if words is None:
        return Sentence(text=kind.replace("_", " ").replace(".", ": ").capitalize() + ".")
    return words(data, lookup)
