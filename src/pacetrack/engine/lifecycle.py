"""An item's lifecycle: active, completed with an outcome, archived, deleted.

A step whose metadata carries ``"terminal": {"outcome": "won"}`` ends the
pipeline: an item that enters it is completed with that outcome. Outcomes come
from a fixed vocabulary so that reports can count them across pipelines.

The transitions (``lifecycle_refusal``) are decided here, without the database:

- a move needs an active item; field values can still be changed on a completed item
  (a terminal step may ask for a close date or a reason), not on an archived one;
- ``reopen`` takes a completed item back into a step (through the move path);
- ``archive`` puts a completed item away, ``unarchive`` brings it back completed;
- ``delete`` (soft) applies to any item that is not deleted already.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

ACTIVE: Final = "active"
COMPLETED: Final = "completed"
ARCHIVED: Final = "archived"
DELETED: Final = "deleted"

ItemStatus = Literal["active", "completed", "archived", "deleted"]
LifecycleAction = Literal["move", "change", "reopen", "archive", "unarchive", "delete"]

OUTCOMES: Final = ("won", "lost", "done", "hired", "rejected", "cancelled")
"""The outcomes a terminal step may record, in the order the studio offers them."""

_NEEDS: Final[Mapping[LifecycleAction, frozenset[str]]] = {
    "move": frozenset({ACTIVE}),
    "change": frozenset({ACTIVE, COMPLETED}),
    "reopen": frozenset({COMPLETED}),
    "archive": frozenset({COMPLETED}),
    "unarchive": frozenset({ARCHIVED}),
    "delete": frozenset({ACTIVE, COMPLETED, ARCHIVED}),
}
_REFUSALS: Final[Mapping[tuple[LifecycleAction, str], str]] = {
    ("move", COMPLETED): "The item is completed; reopen it to move it.",
    ("move", ARCHIVED): "The item is archived; unarchive and reopen it to move it.",
    ("change", ARCHIVED): "The item is archived; unarchive it to change its fields.",
    ("reopen", ACTIVE): "The item is open already; only a completed item can be reopened.",
    ("reopen", ARCHIVED): "The item is archived; unarchive it before reopening it.",
    ("archive", ACTIVE): "The item is still open; only a completed item can be archived.",
    ("archive", ARCHIVED): "The item is archived already.",
    ("unarchive", ACTIVE): "The item is not archived.",
    ("unarchive", COMPLETED): "The item is not archived.",
}


@dataclass(frozen=True, kw_only=True)
class TerminalProblem:
    """Why a step's ``metadata.terminal`` cannot be saved; ``path`` inside the metadata."""

    path: str
    message: str


def lifecycle_refusal(action: LifecycleAction, status: str) -> str | None:
    """Why an item with ``status`` cannot undergo ``action``, or None when it can."""
    if status in _NEEDS[action]:
        return None
    return _REFUSALS.get((action, status), "The item cannot be changed any more.")


def terminal_outcome(metadata: Mapping[str, object]) -> str | None:
    """The outcome entering a step with ``metadata`` records, or None for a step that is not
    terminal (read into ``StepSettings.terminal_outcome``; saved metadata passed
    ``terminal_problems``)."""
    terminal = metadata.get("terminal")
    if not isinstance(terminal, Mapping):
        return None
    outcome = terminal.get("outcome")
    return outcome if isinstance(outcome, str) and outcome in OUTCOMES else None


def terminal_problems(metadata: Mapping[str, object]) -> tuple[TerminalProblem, ...]:
    """What is wrong with ``metadata.terminal``: absent or null means not terminal; else an
    object whose ``outcome`` is one of ``OUTCOMES`` and nothing more."""
    if "terminal" not in metadata or metadata["terminal"] is None:
        return ()
    terminal = metadata["terminal"]
    if not isinstance(terminal, Mapping):
        return (
            TerminalProblem(
                path="metadata.terminal",
                message='must be an object such as {"outcome": "won"}, or null',
            ),
        )
    problems = [
        TerminalProblem(path=f"metadata.terminal.{key}", message="unknown setting")
        for key in terminal
        if key != "outcome"
    ]
    outcome = terminal.get("outcome")
    if outcome not in OUTCOMES:
        problems.insert(
            0,
            TerminalProblem(
                path="metadata.terminal.outcome",
                message=f"must be one of {', '.join(OUTCOMES)}",
            ),
        )
    return tuple(problems)
