"""The difference between two published versions of a pipeline template.

Both sides are snapshots (``{"name", "description", "board", "steps": [...]}``, each
step with its id, plain properties and seven configuration families). Steps are
matched by their step template id, so a renamed step is the same step; rules of a
family are matched by their ``id`` when every rule on both sides has a distinct one,
else by position; metadata is compared key by key. Every change comes as data and as
a sentence for people.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pacetrack.engine.config import CONFIG_FAMILIES

STEP_PROPERTIES = ("description", "target_duration_days", "color", "icon")
TEMPLATE_PROPERTIES = ("name", "description", "board")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
RULE_FAMILIES = tuple(family for family in CONFIG_FAMILIES if family != "metadata")
FAMILY_WORDS = {
    "field_configs": "field setting",
    "validations": "validation",
    "assignments": "assignment",
    "notifications": "notification",
    "automations": "automation",
    "calculations": "calculation",
    "metadata": "setting",
}


@dataclass(frozen=True, kw_only=True)
class ValueChange:
    """One property, metadata key or rule: ``kind`` is added, removed or changed."""

    kind: str
    key: str
    before: Any
    after: Any


@dataclass(frozen=True, kw_only=True)
class FamilyChange:
    family: str
    matched_by: str  # "id", "position" or "key"
    changes: tuple[ValueChange, ...]


@dataclass(frozen=True, kw_only=True)
class StepRef:
    id: str
    name: str
    position: int


@dataclass(frozen=True, kw_only=True)
class StepRenamed:
    id: str
    before: str
    after: str


@dataclass(frozen=True, kw_only=True)
class StepMoved:
    id: str
    name: str
    before: int
    after: int


@dataclass(frozen=True, kw_only=True)
class StepChange:
    id: str
    name: str
    properties: tuple[ValueChange, ...]
    families: tuple[FamilyChange, ...]


@dataclass(frozen=True, kw_only=True)
class StepWords:
    """The changes of one step as sentences to show under its name; ``id`` None: the
    template's own properties."""

    id: str | None
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class TemplateDiff:
    template: tuple[ValueChange, ...]
    added: tuple[StepRef, ...]
    removed: tuple[StepRef, ...]
    renamed: tuple[StepRenamed, ...]
    reordered: tuple[StepMoved, ...]
    changed: tuple[StepChange, ...]
    words: tuple[str, ...]
    by_step: tuple[StepWords, ...] = ()
    """The same changes grouped: the template first, then the steps of the newer side in
    order, then the steps it removed."""

    @property
    def empty(self) -> bool:
        return not self.words


def diff_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[ValueChange, ...]:
    """Key by key: keys only in ``after`` are added, only in ``before`` removed."""
    changes = []
    for key in [*before, *(key for key in after if key not in before)]:
        if key not in after:
            changes.append(ValueChange(kind="removed", key=key, before=before[key], after=None))
        elif key not in before:
            changes.append(ValueChange(kind="added", key=key, before=None, after=after[key]))
        elif before[key] != after[key]:
            changes.append(
                ValueChange(kind="changed", key=key, before=before[key], after=after[key])
            )
    return tuple(changes)


def _rule_ids(rules: Sequence[Any]) -> list[str] | None:
    ids = [rule.get("id") if isinstance(rule, Mapping) else None for rule in rules]
    if all(isinstance(rule_id, str) for rule_id in ids) and len(set(ids)) == len(ids):
        return [str(rule_id) for rule_id in ids]
    return None


def diff_rules(before: Sequence[Any], after: Sequence[Any]) -> tuple[str, tuple[ValueChange, ...]]:
    """How the rules are matched (``id`` or ``position``) and what changed, rule by rule."""
    before_ids, after_ids = _rule_ids(before), _rule_ids(after)
    if before_ids is not None and after_ids is not None:
        return "id", diff_values(
            dict(zip(before_ids, before, strict=True)), dict(zip(after_ids, after, strict=True))
        )
    by_position = diff_values(
        {str(n): rule for n, rule in enumerate(before, start=1)},
        {str(n): rule for n, rule in enumerate(after, start=1)},
    )
    return "position", by_position


def _family_change(family: str, before: Any, after: Any) -> FamilyChange | None:
    if family == "metadata":
        matched_by, changes = "key", diff_values(dict(before or {}), dict(after or {}))
    else:
        matched_by, changes = diff_rules(list(before or []), list(after or []))
    if not changes:
        return None
    return FamilyChange(family=family, matched_by=matched_by, changes=changes)


def _step_change(before: Mapping[str, Any], after: Mapping[str, Any]) -> StepChange | None:
    properties = diff_values(
        {key: before.get(key) for key in STEP_PROPERTIES},
        {key: after.get(key) for key in STEP_PROPERTIES},
    )
    families = tuple(
        change
        for family in (*RULE_FAMILIES, "metadata")
        if (change := _family_change(family, before.get(family), after.get(family)))
    )
    if not properties and not families:
        return None
    return StepChange(
        id=str(after["id"]), name=str(after["name"]), properties=properties, families=families
    )


def _ref(step: Mapping[str, Any], position: int) -> StepRef:
    return StepRef(id=str(step["id"]), name=str(step["name"]), position=position)


def diff_snapshots(before: Mapping[str, Any], after: Mapping[str, Any]) -> TemplateDiff:
    """What changed from the ``before`` snapshot to the ``after`` one."""
    old_steps = {str(step["id"]): step for step in before.get("steps", [])}
    new_steps = {str(step["id"]): step for step in after.get("steps", [])}
    old_order = list(old_steps)
    new_order = list(new_steps)
    kept_old = [step_id for step_id in old_order if step_id in new_steps]
    kept_new = [step_id for step_id in new_order if step_id in old_steps]
    added = tuple(
        _ref(new_steps[step_id], new_order.index(step_id) + 1)
        for step_id in new_order
        if step_id not in old_steps
    )
    removed = tuple(
        _ref(old_steps[step_id], old_order.index(step_id) + 1)
        for step_id in old_order
        if step_id not in new_steps
    )
    renamed = tuple(
        StepRenamed(
            id=step_id,
            before=str(old_steps[step_id]["name"]),
            after=str(new_steps[step_id]["name"]),
        )
        for step_id in kept_new
        if old_steps[step_id]["name"] != new_steps[step_id]["name"]
    )
    # Reordered: a kept step whose place among the kept steps is different.
    reordered = tuple(
        StepMoved(
            id=step_id,
            name=str(new_steps[step_id]["name"]),
            before=kept_old.index(step_id) + 1,
            after=index,
        )
        for index, step_id in enumerate(kept_new, start=1)
        if kept_old.index(step_id) + 1 != index
    )
    changed = tuple(
        change
        for step_id in kept_new
        if (change := _step_change(old_steps[step_id], new_steps[step_id]))
    )
    template = diff_values(
        {key: before.get(key) for key in TEMPLATE_PROPERTIES},
        {key: after.get(key) for key in TEMPLATE_PROPERTIES},
    )
    diff = TemplateDiff(
        template=template,
        added=added,
        removed=removed,
        renamed=renamed,
        reordered=reordered,
        changed=changed,
        words=_words(template, added, removed, renamed, reordered, changed),
    )
    order = [(step_id, str(new_steps[step_id]["name"])) for step_id in new_order]
    return replace(diff, by_step=_by_step(order, diff))


def _by_step(order: Sequence[tuple[str, str]], diff: TemplateDiff) -> tuple[StepWords, ...]:
    sentences: dict[str, list[str]] = {step_id: [] for step_id, _name in order}
    for ref in diff.added:
        sentences[ref.id].append(f"Added at position {ref.position}.")
    for rename in diff.renamed:
        sentences[rename.id].append(f"Renamed from “{rename.before}” to “{rename.after}”.")
    for moved in diff.reordered:
        sentences[moved.id].append(f"Moved from position {moved.before} to {moved.after}.")
    for step in diff.changed:
        sentences[step.id] += [f"{_capital(_property_words(p))}." for p in step.properties]
        for family in step.families:
            sentences[step.id] += [
                f"{_capital(phrase)}{_rule_detail(rule)}."
                for phrase, rule in zip(_rule_words(family), family.changes, strict=True)
            ]
    groups = [
        StepWords(
            id=None,
            name="Template",
            words=tuple(f"{_capital(_property_words(change))}." for change in diff.template),
        )
    ]
    groups += [
        StepWords(id=step_id, name=name, words=tuple(sentences[step_id])) for step_id, name in order
    ]
    groups += [StepWords(id=ref.id, name=ref.name, words=("Removed.",)) for ref in diff.removed]
    return tuple(group for group in groups if group.words)


def _rule_detail(rule: ValueChange) -> str:
    """What changed inside a changed rule: ``: min value changed from 5000 to 8000``."""
    if rule.kind != "changed" or not (
        isinstance(rule.before, Mapping) and isinstance(rule.after, Mapping)
    ):
        return ""
    inner = diff_values(rule.before, rule.after)
    return ": " + "; ".join(_property_words(c, _shown_in_rule) for c in inner) if inner else ""


def _capital(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _property_words(change: ValueChange, shown: Callable[[Any], str] | None = None) -> str:
    show = shown or _shown
    key = change.key.replace("_", " ")
    if change.kind == "added":
        return f"{key} set to {show(change.after)}"
    if change.kind == "removed":
        return f"{key} cleared"
    return f"{key} changed from {show(change.before)} to {show(change.after)}"


def _shown_in_rule(value: Any) -> str:
    """A rule's value: stored numbers are text (exact decimals) but read as numbers."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return value
    return _shown(value)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "nothing"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, Mapping | list):
        return "a new setting"
    return str(value)


def _rule_words(change: FamilyChange) -> list[str]:
    """``validation “min_value” changed``: one phrase per rule of the family."""
    word = FAMILY_WORDS[change.family]
    phrases = []
    for rule in change.changes:
        named = f"{word} “{rule.key}”" if change.matched_by != "position" else f"{word} {rule.key}"
        phrases.append(f"{named} {rule.kind}")
    return phrases


def _family_words(step: str, change: FamilyChange) -> list[str]:
    return [f"Step “{step}”: {phrase}." for phrase in _rule_words(change)]


def _words(
    template: Sequence[ValueChange],
    added: Sequence[StepRef],
    removed: Sequence[StepRef],
    renamed: Sequence[StepRenamed],
    reordered: Sequence[StepMoved],
    changed: Sequence[StepChange],
) -> tuple[str, ...]:
    sentences = [f"Template {_property_words(change)}." for change in template]
    sentences += [f"Step “{step.name}” added at position {step.position}." for step in added]
    sentences += [f"Step “{step.name}” removed." for step in removed]
    sentences += [f"Step “{step.before}” renamed to “{step.after}”." for step in renamed]
    sentences += [
        f"Step “{step.name}” moved from position {step.before} to {step.after}."
        for step in reordered
    ]
    for step in changed:
        sentences += [f"Step “{step.name}”: {_property_words(p)}." for p in step.properties]
        for family in step.families:
            sentences += _family_words(step.name, family)
    return tuple(sentences)
